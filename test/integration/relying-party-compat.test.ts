import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { decodeJwt } from 'jose';
import type * as oidc from 'openid-client';
import { completeCodeFlow, discoverTestClient } from '../helpers/relying-party.ts';
import { postAsClient, startTestKeyward, TEST_RESOURCE_SERVER, TEST_SERVICE_CLIENT, TEST_WEB_CLIENT, type TestKeyward } from '../helpers/test-server.ts';
import { REPORTS_API, TOKEN_REGISTRY } from '../helpers/token-fixtures.ts';
import { UserAgent } from '../helpers/user-agent.ts';

/**
 * What relying-party libraries rely on, with a default API declared (the shape of
 * config/clients.example.json): UserInfo with the access token they got, a stated scope, a
 * discovery document that offers only what works, and logs that say what happened.
 */
describe('relying-party compatibility with a default API', () => {
  let keyward: TestKeyward;
  let rp: oidc.Configuration;
  beforeAll(async () => {
    keyward = await startTestKeyward({ registry: TOKEN_REGISTRY });
    rp = await discoverTestClient(keyward.issuer);
  });
  afterAll(async () => keyward?.stop());

  const userinfo = (token: unknown) => fetch(`${keyward.issuer}/me`, { headers: { authorization: `Bearer ${String(token)}` } });

  it('answers UserInfo for the access token of a sign-in that named no resource (a JWT for the default API)', async () => {
    const flow = await completeCodeFlow(rp, { scope: 'openid email' });
    expect(String(flow.access_token).split('.')).toHaveLength(3);
    const me = await userinfo(flow.access_token);
    expect(me.status).toBe(200);
    const claims = await me.json() as Record<string, unknown>;
    expect(claims).toMatchObject({ sub: expect.any(String), email: 'demo@keyward.test', email_verified: true });
    expect(claims).not.toHaveProperty('name'); // profile was not granted
    expect(claims.sub).toBe(flow.claims()!.sub);
    // The API still gets a token it can introspect.
    const introspection = await postAsClient(`${keyward.issuer}/token/introspection`, TEST_RESOURCE_SERVER, { token: String(flow.access_token) });
    expect(introspection.json).toMatchObject({ active: true, sub: claims.sub });
  });

  it('states the granted scope in the token response, never an empty one', async () => {
    const flow = await completeCodeFlow(rp, { scope: 'openid email profile' });
    expect(flow.scope).toBe('openid email profile');
    const withApi = await completeCodeFlow(rp, { scope: 'openid orders:read' });
    expect(withApi.scope?.split(' ').sort()).toEqual(['openid', 'orders:read']);
  });

  it('releases at UserInfo only what the token was issued with: a narrowed refresh stays narrow, a grown grant does not widen an older token', async () => {
    const agent = new UserAgent();
    const narrow = await completeCodeFlow(rp, { scope: 'openid', agent });
    // The same browser session grows the grant.
    const wide = await completeCodeFlow(rp, { scope: 'openid email profile', agent });
    expect(Object.keys(await (await userinfo(narrow.access_token)).json() as object)).toEqual(['sub']);
    expect(await (await userinfo(wide.access_token)).json()).toHaveProperty('email');
    const refreshed = await postAsClient(`${keyward.issuer}/token`, TEST_WEB_CLIENT, { grant_type: 'refresh_token', refresh_token: String(wide.refresh_token), scope: 'openid' });
    expect(refreshed.status).toBe(200);
    expect(refreshed.json.scope).toBe('openid');
    expect(decodeJwt(String(refreshed.json.access_token))).not.toHaveProperty('email');
    expect(Object.keys(await (await userinfo(refreshed.json.access_token)).json() as object)).toEqual(['sub']);
  });

  it('states for an opaque API token only its API scopes (it is not good at UserInfo), and takes a JWT in the form body (RFC 6750 §2.2)', async () => {
    const opaque = await completeCodeFlow(rp, { scope: 'openid email reports:read', extra: { resource: REPORTS_API.identifier } });
    expect(opaque.scope).toBe('reports:read');
    const jwt = await completeCodeFlow(rp, { scope: 'openid email' });
    const inBody = await fetch(`${keyward.issuer}/me`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ access_token: String(jwt.access_token) }) });
    expect(inBody.status).toBe(200);
    expect(await inBody.json()).toMatchObject({ email: 'demo@keyward.test' });
  });

  it('refuses UserInfo for a disabled account whose grant is still there', async () => {
    const flow = await completeCodeFlow(rp, { scope: 'openid email' });
    const accounts = keyward.running.container.stores.accounts;
    const demo = await accounts.findByEmail('demo@keyward.test');
    await accounts.setDisabled(demo!.id, true);
    try {
      expect((await userinfo(flow.access_token)).status).toBe(401);
    } finally {
      await accounts.setDisabled(demo!.id, false);
    }
  });

  it('refuses UserInfo once the token is revoked, and for a client_credentials token', async () => {
    const flow = await completeCodeFlow(rp, { scope: 'openid email' });
    expect((await postAsClient(`${keyward.issuer}/token/revocation`, TEST_WEB_CLIENT, { token: String(flow.access_token) })).status).toBe(200);
    expect((await userinfo(flow.access_token)).status).toBe(401);
    const machine = await postAsClient(`${keyward.issuer}/token`, TEST_SERVICE_CLIENT, { grant_type: 'client_credentials', scope: 'orders:read' });
    expect(machine.status).toBe(200);
    expect((await userinfo(machine.json.access_token)).status).toBe(401);
  });

  it('answers client_credentials for a scope no API declares with invalid_scope', async () => {
    const response = await postAsClient(`${keyward.issuer}/token`, TEST_SERVICE_CLIENT, { grant_type: 'client_credentials', scope: 'nothing:here' });
    expect(response.status).toBe(400);
    expect(response.json.error).toBe('invalid_scope');
  });

  it('advertises in discovery exactly the endpoints and methods the README documents', async () => {
    const discovery = await (await fetch(`${keyward.issuer}/.well-known/openid-configuration`)).json() as Record<string, unknown>;
    const readme = readFileSync('README.md', 'utf8');
    const documented = new Set([...readme.matchAll(/^\| [^|]+ \| `(\/[^`]*)`/gm)].map((match) => match[1]));
    const advertised = Object.entries(discovery).filter(([name]) => name.endsWith('_endpoint') || name === 'jwks_uri').map(([, url]) => new URL(String(url)).pathname);
    for (const path of advertised) expect(documented).toContain(path);
    expect(discovery).toMatchObject({
      response_types_supported: ['code'],
      grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
      token_endpoint_auth_signing_alg_values_supported: ['RS256', 'PS256', 'ES256', 'EdDSA'],
      code_challenge_methods_supported: ['S256'],
    });
    for (const absent of ['pushed_authorization_request_endpoint', 'dpop_signing_alg_values_supported', 'registration_endpoint', 'device_authorization_endpoint', 'backchannel_authentication_endpoint']) {
      expect(discovery).not.toHaveProperty(absent);
    }
    for (const method of ['client_secret_basic', 'client_secret_post', 'private_key_jwt']) expect(readme).toContain(`\`${method}\``);
  });

  it('logs no refusal for JWT introspection, revocation and UserInfo that were answered 200', async () => {
    const flow = await completeCodeFlow(rp, { scope: 'openid email' });
    const before = keyward.logs.lines().length;
    expect((await postAsClient(`${keyward.issuer}/token/introspection`, TEST_RESOURCE_SERVER, { token: String(flow.access_token) })).status).toBe(200);
    expect((await userinfo(flow.access_token)).status).toBe(200);
    expect((await postAsClient(`${keyward.issuer}/token/revocation`, TEST_WEB_CLIENT, { token: String(flow.access_token) })).status).toBe(200);
    expect(keyward.logs.lines().slice(before).filter((line) => line.msg === 'protocol request refused')).toEqual([]);
    expect((await userinfo(flow.access_token)).status).toBe(401);
    expect(keyward.logs.lines().slice(before).filter((line) => line.msg === 'protocol request refused')).toHaveLength(1);
  });
});
