import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type * as oidc from 'openid-client';
import { FakeClock } from '../helpers/fake-clock.ts';
import { completeCodeFlow, discoverTestClient } from '../helpers/relying-party.ts';
import { postAsClient, startTestKeyward, TEST_API, TEST_RESOURCE_SERVER, TEST_SERVICE_CLIENT, TEST_WEB_CLIENT, type TestKeyward } from '../helpers/test-server.ts';
import { REPORTS_API, REPORTS_RESOURCE_SERVER, TOKEN_REGISTRY } from '../helpers/token-fixtures.ts';

/** Refresh rotation and reuse, introspection and revocation, with Keyward's clock under the test's control. */
describe('token lifecycle', () => {
  let keyward: TestKeyward;
  let rp: oidc.Configuration;
  let clock: FakeClock;

  // Each group gets its own Keyward and clock, so that moving time in one leaves the others alone.
  const startKeyward = () => {
    beforeAll(async () => {
      clock = new FakeClock(Date.now());
      keyward = await startTestKeyward({ registry: TOKEN_REGISTRY, clock, env: { REFRESH_TOKEN_ABSOLUTE_TTL: '3600' } });
      rp = await discoverTestClient(keyward.issuer);
    });
    afterAll(async () => keyward?.stop());
  };

  const tokenEndpoint = () => `${keyward.issuer}/token`;
  const refresh = (refreshToken: unknown) => postAsClient(tokenEndpoint(), TEST_WEB_CLIENT, { grant_type: 'refresh_token', refresh_token: String(refreshToken) });
  const introspect = (client: { client_id: string; client_secret: string }, token: unknown) => postAsClient(`${keyward.issuer}/token/introspection`, client, { token: String(token) });
  const revoke = (client: { client_id: string; client_secret: string }, token: unknown) => postAsClient(`${keyward.issuer}/token/revocation`, client, { token: String(token) });
  const securityEvents = (name: string) => keyward.logs.lines().filter((line) => line.securityEvent === name).length;

  describe('refresh tokens', () => {
    startKeyward();
    it('rotate on every use', async () => {
      const first = await completeCodeFlow(rp);
      const second = await refresh(first.refresh_token);
      const third = await refresh(second.json.refresh_token);
      expect(new Set([first.refresh_token, second.json.refresh_token, third.json.refresh_token]).size).toBe(3);
      expect(third.status).toBe(200);
    });

    it('forgive a retry within the grace window with one live chain: the retry\'s token works and the retry is logged', async () => {
      const before = securityEvents('refresh_token_grace_retry');
      const flow = await completeCodeFlow(rp);
      await refresh(flow.refresh_token); // its response is lost
      clock.advance(5_000);
      const retry = await refresh(flow.refresh_token);
      expect(retry.status).toBe(200);
      expect((await refresh(retry.json.refresh_token)).status).toBe(200);
      expect(securityEvents('refresh_token_grace_retry')).toBe(before + 1);
    });

    it('let a thief who replays a rotated token within the grace window lose the chain when the client comes back', async () => {
      const flow = await completeCodeFlow(rp);
      const client = await refresh(flow.refresh_token);
      clock.advance(1_000);
      const thief = await refresh(flow.refresh_token);
      expect(thief.status).toBe(200);
      // Past the grace window the client uses its (retired) token: a reuse, the grant is revoked.
      clock.advance(11_000);
      expect((await refresh(client.json.refresh_token)).json.error).toBe('invalid_grant');
      expect((await refresh(thief.json.refresh_token)).json.error).toBe('invalid_grant');
    });

    it('revoke the whole family when a rotated token comes back after the grace window, and log a security event', async () => {
      const before = securityEvents('refresh_token_reuse');
      const flow = await completeCodeFlow(rp, { scope: 'openid orders:read' });
      const rotated = await refresh(flow.refresh_token);
      clock.advance(11_000);
      const reuse = await refresh(flow.refresh_token);
      expect(reuse.json.error).toBe('invalid_grant');
      // Everything issued from the grant is gone: the newest refresh token and its access token.
      expect((await refresh(rotated.json.refresh_token)).json.error).toBe('invalid_grant');
      expect((await introspect(TEST_RESOURCE_SERVER, rotated.json.access_token)).json).toEqual({ active: false });
      expect(securityEvents('refresh_token_reuse')).toBe(before + 1);
    });

    it('let concurrent uses within the grace window all succeed, as retries of one request, and leave exactly one live chain', async () => {
      const before = securityEvents('refresh_token_reuse');
      const flow = await completeCodeFlow(rp);
      const results = await Promise.all(Array.from({ length: 8 }, () => refresh(flow.refresh_token)));
      expect(results.map((r) => r.status)).toEqual(Array(8).fill(200));
      expect(securityEvents('refresh_token_reuse')).toBe(before);
      // Exactly one of the tokens handed out is still unused; the others are retired.
      const stored = await Promise.all(results.map((result) => keyward.running.container.stores.oidcRecords.find('RefreshToken', String(result.json.refresh_token))));
      expect(stored.filter((record) => record && record.consumed === undefined)).toHaveLength(1);
    });

    it('stop at the absolute lifetime however often they rotate', async () => {
      const flow = await completeCodeFlow(rp);
      const rotated = await refresh(flow.refresh_token);
      expect(rotated.status).toBe(200);
      clock.advance(3_601_000);
      expect((await refresh(rotated.json.refresh_token)).json.error).toBe('invalid_grant');
    });
  });

  describe('introspection (RFC 7662)', () => {
    startKeyward();
    it('tells the API’s resource server about a JWT access token for it, with the RFC 7662 fields', async () => {
      const flow = await completeCodeFlow(rp, { scope: 'openid email orders:read' });
      const response = await introspect(TEST_RESOURCE_SERVER, flow.access_token);
      expect(response.json).toMatchObject({
        active: true, sub: flow.claims()!.sub, scope: 'orders:read', client_id: TEST_WEB_CLIENT.client_id,
        aud: TEST_API.identifier, token_type: 'Bearer', exp: expect.any(Number), iat: expect.any(Number), iss: keyward.issuer,
      });
    });

    it('tells another API’s resource server nothing', async () => {
      const flow = await completeCodeFlow(rp, { scope: 'openid orders:read' });
      expect((await introspect(REPORTS_RESOURCE_SERVER, flow.access_token)).json).toEqual({ active: false });
    });

    it('answers for opaque tokens of an opaque API, only to its own resource server', async () => {
      const flow = await completeCodeFlow(rp, { scope: 'openid reports:read', extra: { resource: REPORTS_API.identifier } });
      expect((await introspect(REPORTS_RESOURCE_SERVER, flow.access_token)).json).toMatchObject({ active: true, aud: REPORTS_API.identifier, scope: 'reports:read', client_id: TEST_WEB_CLIENT.client_id });
      expect((await introspect(TEST_RESOURCE_SERVER, flow.access_token)).json).toEqual({ active: false });
    });

    it('never shows a refresh token to a resource server', async () => {
      const flow = await completeCodeFlow(rp);
      expect((await introspect(TEST_RESOURCE_SERVER, flow.refresh_token)).json).toEqual({ active: false });
    });

    it('refuses clients that are not resource servers, for any token', async () => {
      for (const client of [TEST_WEB_CLIENT, TEST_SERVICE_CLIENT]) {
        const response = await introspect(client, 'whatever');
        expect(response.status).toBe(400);
        expect(response.json.error).toBe('unauthorized_client');
      }
    });

    it('reports an expired JWT as inactive', async () => {
      const token = (await postAsClient(tokenEndpoint(), TEST_SERVICE_CLIENT, { grant_type: 'client_credentials', resource: TEST_API.identifier })).json.access_token;
      expect((await introspect(TEST_RESOURCE_SERVER, token)).json.active).toBe(true);
      clock.advance(601_000);
      expect((await introspect(TEST_RESOURCE_SERVER, token)).json).toEqual({ active: false });
    });
  });

  describe('revocation (RFC 7009)', () => {
    startKeyward();
    it('makes a JWT access token inactive, answering with a JSON body common clients accept', async () => {
      const token = (await postAsClient(tokenEndpoint(), TEST_SERVICE_CLIENT, { grant_type: 'client_credentials', resource: TEST_API.identifier })).json.access_token;
      const response = await revoke(TEST_SERVICE_CLIENT, token);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(response.json).toEqual({});
      expect((await introspect(TEST_RESOURCE_SERVER, token)).json).toEqual({ active: false });
    });

    it('does nothing for a token of another client, and answers the same', async () => {
      const token = (await postAsClient(tokenEndpoint(), TEST_SERVICE_CLIENT, { grant_type: 'client_credentials', resource: TEST_API.identifier })).json.access_token;
      const response = await revoke(TEST_WEB_CLIENT, token);
      expect(response.status).toBe(200);
      expect(response.json).toEqual({});
      expect((await introspect(TEST_RESOURCE_SERVER, token)).json.active).toBe(true);
    });

    it('revokes an opaque access token, and answers 200 for an unknown one', async () => {
      const flow = await completeCodeFlow(rp, { scope: 'openid reports:read', extra: { resource: REPORTS_API.identifier } });
      await revoke(TEST_WEB_CLIENT, flow.access_token);
      expect((await introspect(REPORTS_RESOURCE_SERVER, flow.access_token)).json).toEqual({ active: false });
      expect((await revoke(TEST_WEB_CLIENT, 'unknown-token')).status).toBe(200);
    });

    it('ends the grant when a refresh token is revoked', async () => {
      const flow = await completeCodeFlow(rp, { scope: 'openid orders:read' });
      await revoke(TEST_WEB_CLIENT, flow.refresh_token);
      expect((await refresh(flow.refresh_token)).json.error).toBe('invalid_grant');
      expect((await introspect(TEST_RESOURCE_SERVER, flow.access_token)).json).toEqual({ active: false });
    });
  });
});
