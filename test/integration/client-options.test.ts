import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as oidc from 'openid-client';
import { DEMO_ACCOUNT } from '../../src/services/demo-data.service.ts';
import { discoverTestClient } from '../helpers/relying-party.ts';
import { postAsClient, startTestKeyward, TEST_API, type TestKeyward } from '../helpers/test-server.ts';
import { locationOf, signInAndConsent, UserAgent } from '../helpers/user-agent.ts';

/** A server-side library that sends no PKCE (passport-openidconnect and others) but a nonce. */
const NONCE_APP = {
  client_id: 'nonce-app',
  kind: 'web',
  client_secret: 'nonce-app-secret-0123456789abcdef0123456789',
  redirect_uris: ['http://localhost:8095/cb'],
  require_pkce: false,
} as const;

/** A web app that also calls an API for itself (a "service account"). */
const SERVICE_ACCOUNT_APP = {
  client_id: 'sa-app',
  kind: 'web',
  client_secret: 'sa-app-secret-0123456789abcdef0123456789ab',
  redirect_uris: ['http://localhost:8096/cb'],
  service_account: true,
  api_scopes: { [TEST_API.identifier]: ['orders:read'] },
} as const;

describe('per-client options for server-side libraries', () => {
  let keyward: TestKeyward;
  beforeAll(async () => {
    keyward = await startTestKeyward({ registry: { apis: [TEST_API], clients: [NONCE_APP, SERVICE_ACCOUNT_APP] } });
  });
  afterAll(async () => keyward?.stop());

  const authorize = (params: Record<string, string>) => {
    const url = new URL(`${keyward.issuer}/auth`);
    for (const [name, value] of Object.entries({ client_id: NONCE_APP.client_id, response_type: 'code', scope: 'openid email', redirect_uri: NONCE_APP.redirect_uris[0], state: 'st', ...params })) url.searchParams.set(name, value);
    return url;
  };

  it('lets a client that opted out of PKCE sign in with a nonce instead, and says so at start', async () => {
    const rp = await discoverTestClient(keyward.issuer, NONCE_APP);
    const nonce = oidc.randomNonce();
    const callback = await signInAndConsent(new UserAgent(), authorize({ nonce }), DEMO_ACCOUNT);
    const tokens = await oidc.authorizationCodeGrant(rp, callback, { expectedState: 'st', expectedNonce: nonce });
    expect(tokens.claims()?.nonce).toBe(nonce);
    expect(keyward.logs.lines().some((line) => line.clientId === NONCE_APP.client_id && String(line.msg).includes('opted out of PKCE'))).toBe(true);
  });

  it('refuses that client a request with neither PKCE nor a nonce', async () => {
    const response = await new UserAgent().get(authorize({}));
    const error = locationOf(response, keyward.issuer);
    expect(error.origin).toBe('http://localhost:8095');
    expect(error.searchParams.get('error')).toBe('invalid_request');
    expect(error.searchParams.get('error_description')).toMatch(/nonce is required/);
  });

  it('still requires PKCE of every other client', async () => {
    const response = await new UserAgent().get(authorize({ client_id: SERVICE_ACCOUNT_APP.client_id, redirect_uri: SERVICE_ACCOUNT_APP.redirect_uris[0], nonce: 'n' }));
    expect(locationOf(response, keyward.issuer).searchParams.get('error_description')).toMatch(/requires PKCE/);
  });

  it('gives a web client marked service_account client_credentials tokens for the APIs granted to it', async () => {
    const granted = await postAsClient(`${keyward.issuer}/token`, SERVICE_ACCOUNT_APP, { grant_type: 'client_credentials', resource: TEST_API.identifier, scope: 'orders:read' });
    expect(granted.status).toBe(200);
    expect(granted.json.scope).toBe('orders:read');
    const other = await postAsClient(`${keyward.issuer}/token`, NONCE_APP, { grant_type: 'client_credentials' });
    expect(other.json.error).toBe('unauthorized_client');
  });
});
