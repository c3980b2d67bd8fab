import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { DEMO_ACCOUNT } from '../../src/services/demo-data.service.ts';
import { completeCodeFlow, discoverTestClient, startAuthorization } from '../helpers/relying-party.ts';
import { postAsClient, startTestKeyward, TEST_API, TEST_SERVICE_CLIENT, TEST_WEB_CLIENT, type TestKeyward } from '../helpers/test-server.ts';
import { locationOf, UserAgent } from '../helpers/user-agent.ts';

/** A second API with an administrative scope that no client here is granted. */
const API_B = { identifier: 'https://api-b.test', scopes: { 'b:read': 'Read B', 'b:admin': 'Administer B' }, token_format: 'opaque' } as const;
const API_B_SERVER = { client_id: 'api-b', kind: 'resource_server', api: API_B.identifier, client_secret: 'api-b-secret-0123456789abcdef0123456789ab' } as const;

/** A service client granted b:read on API B only (not the default orders API). */
const B_READER = {
  client_id: 'b-reader',
  kind: 'service',
  client_secret: 'b-reader-secret-0123456789abcdef0123456789',
  api_scopes: { [API_B.identifier]: ['b:read'] },
} as const;

/** A public app granted orders:read (on the default API) and b:read, and limited to these OpenID scopes. */
const GRANTED_APP = {
  client_id: 'granted-app',
  kind: 'public',
  redirect_uris: ['http://localhost:8090/cb'],
  scope: 'openid email profile offline_access',
  api_scopes: { [TEST_API.identifier]: ['orders:read'], [API_B.identifier]: ['b:read'] },
} as const;

/**
 * RFC 6749 §3.3 and RFC 8707 §2: a client gets only the APIs and scopes the operator granted it
 * (`api_scopes`), at the token endpoint (client_credentials) and at the authorization endpoint.
 */
describe('API grants per client', () => {
  let keyward: TestKeyward;
  let jwks: ReturnType<typeof createRemoteJWKSet>;
  const token = (client: { client_id: string; client_secret: string }, form: Record<string, string>) =>
    postAsClient(`${keyward.issuer}/token`, client, { grant_type: 'client_credentials', ...form });
  const introspect = (accessToken: string) => postAsClient(`${keyward.issuer}/token/introspection`, API_B_SERVER, { token: accessToken });

  beforeAll(async () => {
    keyward = await startTestKeyward({
      registry: { apis: [{ ...TEST_API, default: true }, API_B], clients: [TEST_SERVICE_CLIENT, B_READER, GRANTED_APP, API_B_SERVER] },
    });
    jwks = createRemoteJWKSet(new URL(`${keyward.issuer}/jwks`));
  });
  afterAll(async () => keyward?.stop());

  describe('client_credentials', () => {
    it('refuses an API the client is not granted with invalid_target (the attack: any service client got b:admin)', async () => {
      const response = await token(TEST_SERVICE_CLIENT, { resource: API_B.identifier, scope: 'b:read b:admin' });
      expect(response.status).toBe(400);
      expect(response.json.error).toBe('invalid_target');
      expect(response.json).not.toHaveProperty('access_token');
    });

    it('refuses the default API to a client not granted it, with or without scope', async () => {
      expect((await token(TEST_SERVICE_CLIENT, { resource: TEST_API.identifier })).json.error).toBe('invalid_target');
      expect((await token(B_READER, { resource: TEST_API.identifier, scope: 'orders:read' })).json.error).toBe('invalid_target');
      expect((await token(B_READER, { scope: 'orders:read' })).json.error).toBe('invalid_scope');
    });

    it('refuses a scope of a granted API that the client is not granted with invalid_scope', async () => {
      for (const scope of ['b:read b:admin', 'b:admin', 'orders:read', 'no-such-scope']) {
        const response = await token(B_READER, { resource: API_B.identifier, scope });
        expect({ scope, status: response.status, error: response.json.error }).toEqual({ scope, status: 400, error: 'invalid_scope' });
      }
    });

    it('issues a token with only the granted scopes for a granted API', async () => {
      const response = await token(B_READER, { resource: API_B.identifier, scope: 'b:read' });
      expect(response.status).toBe(200);
      expect(response.json.scope).toBe('b:read');
      expect((await introspect(String(response.json.access_token))).json).toMatchObject({ active: true, scope: 'b:read', aud: API_B.identifier, client_id: B_READER.client_id });
    });
  });

  describe('authorization code with PKCE', () => {
    const authorizationError = async (client: typeof GRANTED_APP | typeof TEST_WEB_CLIENT, scope: string, extra: Record<string, string> = {}) => {
      const started = await startAuthorization(await discoverTestClient(keyward.issuer, client), scope, extra);
      const location = locationOf(await new UserAgent().get(started.url), keyward.issuer);
      return location.searchParams.get('error');
    };

    it('refuses an API the client is not granted with invalid_target', async () => {
      expect(await authorizationError(TEST_WEB_CLIENT, 'openid b:read', { resource: API_B.identifier })).toBe('invalid_target');
      expect(await authorizationError(TEST_WEB_CLIENT, 'openid', { resource: TEST_API.identifier })).toBe('invalid_target');
    });

    it('refuses a scope the client is not granted with invalid_scope, named or by default API', async () => {
      expect(await authorizationError(GRANTED_APP, 'openid b:admin', { resource: API_B.identifier })).toBe('invalid_scope');
      expect(await authorizationError(GRANTED_APP, 'openid orders:write')).toBe('invalid_scope');
      expect(await authorizationError(GRANTED_APP, 'openid orders:read', { resource: API_B.identifier })).toBe('invalid_scope');
      // The test web client is granted nothing: the default API is not its default.
      expect(await authorizationError(TEST_WEB_CLIENT, 'openid orders:read')).toBe('invalid_scope');
    });

    it('starts with a client that lists its OpenID scopes in `scope`, and refuses it any other with invalid_scope', async () => {
      expect(await authorizationError(GRANTED_APP, 'openid roles')).toBe('invalid_scope');
    });

    it('issues a token for a granted API with only the granted scopes', async () => {
      const rp = await discoverTestClient(keyward.issuer, GRANTED_APP);
      const orders = await completeCodeFlow(rp, { scope: 'openid email orders:read' });
      const { payload } = await jwtVerify(orders.access_token, jwks, { issuer: keyward.issuer, audience: TEST_API.identifier });
      expect(payload).toMatchObject({ client_id: GRANTED_APP.client_id, scope: 'orders:read' });
      const b = await completeCodeFlow(rp, { scope: 'openid b:read', extra: { resource: API_B.identifier } });
      expect((await introspect(b.access_token)).json).toMatchObject({ active: true, scope: 'b:read', aud: API_B.identifier });
    });

    it('still signs in a client granted no API with OpenID scopes only', async () => {
      const tokens = await completeCodeFlow(await discoverTestClient(keyward.issuer), { scope: 'openid email profile' });
      expect(tokens.claims()).toMatchObject({ aud: TEST_WEB_CLIENT.client_id });
      // Its access token is for userinfo, which releases the identity claims (OIDC Core §5.3).
      const userinfo = await fetch(`${keyward.issuer}/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
      expect(userinfo.status).toBe(200);
      expect(await userinfo.json()).toMatchObject({ email: DEMO_ACCOUNT.email, name: DEMO_ACCOUNT.name });
    });
  });
});
