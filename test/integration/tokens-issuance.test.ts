import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { DEMO_ACCOUNT } from '../../src/services/demo-data.service.ts';
import { completeCodeFlow, discoverTestClient, redeem, startAuthorization } from '../helpers/relying-party.ts';
import { postAsClient, startTestKeyward, TEST_API, TEST_SERVICE_CLIENT, TEST_WEB_CLIENT, type TestKeyward } from '../helpers/test-server.ts';
import { EDDSA_APP, ES256_APP, REPORTS_API, TOKEN_REGISTRY } from '../helpers/token-fixtures.ts';
import { locationOf, signInAndConsent, UserAgent } from '../helpers/user-agent.ts';

describe('token issuance', () => {
  let keyward: TestKeyward;
  let rp: oidc.Configuration;
  let jwks: ReturnType<typeof createRemoteJWKSet>;

  beforeAll(async () => {
    keyward = await startTestKeyward({ registry: TOKEN_REGISTRY });
    rp = await discoverTestClient(keyward.issuer);
    jwks = createRemoteJWKSet(new URL(`${keyward.issuer}/jwks`));
  });
  afterAll(async () => keyward?.stop());

  describe('PKCE (RFC 7636) is required, with S256', () => {
    const authorizationError = async (params: Record<string, string>) => {
      const url = new URL(`${keyward.issuer}/auth`);
      url.search = new URLSearchParams({ client_id: TEST_WEB_CLIENT.client_id, response_type: 'code', scope: 'openid', redirect_uri: TEST_WEB_CLIENT.redirect_uris[0], state: 's', ...params }).toString();
      const location = locationOf(await new UserAgent().get(url), keyward.issuer);
      return { error: location.searchParams.get('error'), description: location.searchParams.get('error_description') };
    };

    it('refuses an authorization request without code_challenge, even from a confidential client', async () => {
      expect(await authorizationError({})).toEqual({ error: 'invalid_request', description: expect.stringMatching(/PKCE/) });
    });

    it('refuses the plain method', async () => {
      expect((await authorizationError({ code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' })).error).toBe('invalid_request');
    });

    it('refuses a missing or wrong verifier at the token endpoint', async () => {
      const started = await startAuthorization(rp);
      const callback = await signInAndConsent(new UserAgent(), started.url, DEMO_ACCOUNT);
      const code = callback.searchParams.get('code')!;
      const redeemWith = (extra: Record<string, string>) =>
        postAsClient(`${keyward.issuer}/token`, TEST_WEB_CLIENT, { grant_type: 'authorization_code', code, redirect_uri: TEST_WEB_CLIENT.redirect_uris[0], ...extra });
      expect((await redeemWith({})).json.error).toMatch(/^invalid_(grant|request)$/);
      const wrong = await redeemWith({ code_verifier: oidc.randomPKCECodeVerifier() });
      expect(wrong.status).toBe(400);
      expect(wrong.json.error).toBe('invalid_grant');
    });
  });

  describe('JWT access tokens (RFC 9068) for APIs selected by resource indicators (RFC 8707)', () => {
    it('issues an RS256 at+jwt (the RFC 9068 default) for the default API when the client sends no resource, with the standard and custom claims', async () => {
      const account = await keyward.running.container.stores.accounts.findByEmail(DEMO_ACCOUNT.email);
      const tokens = await completeCodeFlow(rp, { scope: 'openid email roles orders:read' });
      const { payload, protectedHeader } = await jwtVerify(tokens.access_token, jwks, { issuer: keyward.issuer, audience: TEST_API.identifier, typ: 'at+jwt' });
      expect(protectedHeader).toMatchObject({ alg: 'RS256', typ: 'at+jwt' });
      expect(payload).toMatchObject({
        iss: keyward.issuer, sub: account!.id, aud: TEST_API.identifier, client_id: TEST_WEB_CLIENT.client_id,
        scope: 'orders:read', email: DEMO_ACCOUNT.email, roles: ['demo'],
        iat: expect.any(Number), exp: expect.any(Number), jti: expect.any(String), auth_time: expect.any(Number),
      });
      expect(payload.exp! - payload.iat!).toBe(600);
    });

    it('leaves out account claims the granted scope does not release', async () => {
      const tokens = await completeCodeFlow(rp, { scope: 'openid orders:read' });
      const { payload } = await jwtVerify(tokens.access_token, jwks, { issuer: keyward.issuer, audience: TEST_API.identifier });
      expect(payload).not.toHaveProperty('email');
      expect(payload).not.toHaveProperty('roles');
    });

    it('issues an opaque token for an API set to opaque tokens, when asked for by resource', async () => {
      const tokens = await completeCodeFlow(rp, { scope: 'openid reports:read', extra: { resource: REPORTS_API.identifier } });
      expect(tokens.access_token.split('.')).toHaveLength(1);
    });

    it('refuses an unknown resource with invalid_target', async () => {
      const started = await startAuthorization(rp, 'openid', { resource: 'https://unknown.test' });
      const location = locationOf(await new UserAgent().get(started.url), keyward.issuer);
      expect(location.searchParams.get('error')).toBe('invalid_target');
    });
  });

  describe('ID tokens', () => {
    it('are RS256 by default', async () => {
      const tokens = await completeCodeFlow(rp);
      expect(decodeProtectedHeader(tokens.id_token!).alg).toBe('RS256');
    });

    it.each([[ES256_APP, 'ES256'], [EDDSA_APP, 'EdDSA']] as const)('use the algorithm %s registered (%s), and verify against the JWKS', async (client, alg) => {
      const app = await discoverTestClient(keyward.issuer, client);
      const tokens = await completeCodeFlow(app, { scope: 'openid email' });
      const { payload, protectedHeader } = await jwtVerify(tokens.id_token!, jwks, { issuer: keyward.issuer, audience: client.client_id });
      expect(protectedHeader.alg).toBe(alg);
      expect(payload.email).toBe(DEMO_ACCOUNT.email);
    });

    it('carry the identity claims by scope when the access token is for an API', async () => {
      const tokens = await completeCodeFlow(rp, { scope: 'openid email profile roles' });
      expect(tokens.claims()).toMatchObject({ email: DEMO_ACCOUNT.email, email_verified: true, name: DEMO_ACCOUNT.name, roles: ['demo'] });
    });
  });

  describe('client_credentials (service clients)', () => {
    it('issues a JWT for the requested API, and for the default API without resource', async () => {
      for (const extra of [{ resource: TEST_API.identifier }, {}] as Record<string, string>[]) {
        const response = await postAsClient(`${keyward.issuer}/token`, TEST_SERVICE_CLIENT, { grant_type: 'client_credentials', scope: 'orders:read', ...extra });
        expect(response.status).toBe(200);
        const { payload } = await jwtVerify(String(response.json.access_token), jwks, { issuer: keyward.issuer, audience: TEST_API.identifier, typ: 'at+jwt' });
        expect(payload).toMatchObject({ client_id: TEST_SERVICE_CLIENT.client_id, sub: TEST_SERVICE_CLIENT.client_id, scope: 'orders:read' });
        expect(response.json).not.toHaveProperty('refresh_token');
      }
    });

    it('is refused to a web app, and a service client cannot start an authorization', async () => {
      const asWebApp = await postAsClient(`${keyward.issuer}/token`, TEST_WEB_CLIENT, { grant_type: 'client_credentials' });
      expect(asWebApp.json.error).toBe('unauthorized_client');
      const url = `${keyward.issuer}/auth?client_id=${TEST_SERVICE_CLIENT.client_id}&response_type=code&scope=openid&code_challenge=${'a'.repeat(43)}&code_challenge_method=S256`;
      const response = await new UserAgent().get(url);
      expect(response.status).toBe(400);
    });
  });

  describe('confidential clients authenticate exactly as registered', () => {
    it('refuses client_secret_post from a client registered for client_secret_basic, and accepts basic', async () => {
      const response = await fetch(`${keyward.issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'x', client_id: TEST_WEB_CLIENT.client_id, client_secret: TEST_WEB_CLIENT.client_secret }),
      });
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ error: 'invalid_client' });
      const basic = await postAsClient(`${keyward.issuer}/token`, TEST_WEB_CLIENT, { grant_type: 'refresh_token', refresh_token: 'x' });
      expect(basic.json.error).toBe('invalid_grant');
    });
  });

  describe('authorization codes are single use (RFC 6749 §4.1.2)', () => {
    const codeAndRedeem = async () => {
      const started = await startAuthorization(rp, 'openid');
      const callback = await signInAndConsent(new UserAgent(), started.url, DEMO_ACCOUNT);
      const body = { grant_type: 'authorization_code', code: callback.searchParams.get('code')!, redirect_uri: TEST_WEB_CLIENT.redirect_uris[0], code_verifier: started.verifier };
      return () => postAsClient(`${keyward.issuer}/token`, TEST_WEB_CLIENT, body);
    };

    it('refuses a second redemption and revokes what the first one issued', async () => {
      const redeemCode = await codeAndRedeem();
      const first = await redeemCode();
      expect(first.status).toBe(200);
      expect((await redeemCode()).json.error).toBe('invalid_grant');
      const refresh = await postAsClient(`${keyward.issuer}/token`, TEST_WEB_CLIENT, { grant_type: 'refresh_token', refresh_token: String(first.json.refresh_token) });
      expect(refresh.json.error).toBe('invalid_grant');
      expect(keyward.logs.lines().some((l) => l.securityEvent === 'authorization_code_reuse')).toBe(true);
    });

    it('lets exactly one of ten racing redemptions succeed, and revokes its tokens too', async () => {
      const redeemCode = await codeAndRedeem();
      const results = await Promise.all(Array.from({ length: 10 }, () => redeemCode()));
      const winners = results.filter((r) => r.status === 200);
      expect(winners).toHaveLength(1);
      expect(results.filter((r) => r.json.error === 'invalid_grant')).toHaveLength(9);
      const refresh = await postAsClient(`${keyward.issuer}/token`, TEST_WEB_CLIENT, { grant_type: 'refresh_token', refresh_token: String(winners[0]!.json.refresh_token) });
      expect(refresh.json.error).toBe('invalid_grant');
    });
  });

  it('redeems through openid-client with state and nonce checks', async () => {
    const started = await startAuthorization(rp, 'openid');
    const callback = await signInAndConsent(new UserAgent(), started.url, DEMO_ACCOUNT);
    await expect(redeem(rp, { ...started, state: 'other-state' }, callback)).rejects.toThrow('invalid response encountered');
    // The same callback with the right state goes through: the refusal was the state check.
    expect((await redeem(rp, started, callback)).access_token).toEqual(expect.any(String));
  });
});
