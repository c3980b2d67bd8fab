import { describe, expect, it } from '@jest/globals';
import type { Configuration, FindAccount } from 'oidc-provider';
import { buildProviderConfiguration } from '../../src/oidc/configuration.ts';
import type { ProviderPages } from '../../src/oidc/pages.ts';
import { createApiRegistry, type ApiDefinition } from '../../src/services/apis.service.ts';

const noop = async () => undefined;
const pages: ProviderPages = { renderError: noop, logoutSource: noop, postLogoutSuccessSource: noop };
const DAY = 86_400;
const ttl = { accessToken: 600, authorizationCode: 60, idToken: 3600, refreshTokenIdle: 14 * DAY, refreshTokenAbsolute: 30 * DAY, session: 7200, interaction: 900, grant: 86_400 };
const ordersApi: ApiDefinition = { identifier: 'https://orders.example', scopes: { 'orders:read': 'Read orders' }, token_format: 'jwt', signing_alg: 'ES256', claims: ['email', 'roles'], default: true };
const reportsApi: ApiDefinition = { identifier: 'https://reports.example', scopes: {}, token_format: 'opaque', signing_alg: 'ES256', claims: [], default: false, access_token_ttl: 120 };
const account = { sub: 'acc-1', email: 'ada@example.com', roles: ['admin'] };

function build(): Configuration {
  return buildProviderConfiguration({
    config: { ttl },
    adapter: () => ({}) as never,
    signingKeys: [{ kty: 'EC', kid: 'k1' }],
    cookieSecrets: ['c'.repeat(43)],
    clients: [{ client_id: 'spa', kind: 'public', token_endpoint_auth_method: 'none', grant_types: ['authorization_code'], response_types: ['code'], redirect_uris: ['https://app.example/cb'] }],
    apis: createApiRegistry([ordersApi, reportsApi]),
    findAccount: (async () => undefined) as FindAccount,
    accountClaims: async (id) => (id === account.sub ? account : undefined),
    jwtAccessTokens: { record: noop },
    fetch: noop as never,
    pages,
    mfaRequired: async () => false,
    existingGrants: { records: { listByAccountId: async () => [] }, audit: { record: noop }, now: () => Date.now() },
  });
}

type AnyFn = (...args: unknown[]) => unknown;
const fn = (value: unknown) => value as AnyFn;

/** The provider configuration is a pure function: checked here without a server. */
describe('buildProviderConfiguration', () => {
  it('turns development interactions off and points interactions at Keyward routes', async () => {
    const configuration = build();
    expect(configuration.features?.devInteractions?.enabled).toBe(false);
    expect(await fn(configuration.interactions!.url)({}, { uid: 'abc' })).toBe('/interaction/abc');
  });

  it('enables the protocol surface, client credentials, resource indicators and back-channel logout', () => {
    const { features } = build();
    for (const feature of ['introspection', 'revocation', 'userinfo', 'rpInitiatedLogout', 'clientCredentials', 'resourceIndicators', 'backchannelLogout'] as const) {
      expect(features?.[feature]?.enabled).toBe(true);
    }
  });

  it('requires PKCE for every client, only the code response type, and RS256 ID tokens by default', () => {
    const configuration = build();
    expect(fn(configuration.pkce!.required)({}, { clientAuthMethod: 'client_secret_basic' })).toBe(true);
    expect(fn(configuration.pkce!.required)({}, { clientAuthMethod: 'none' })).toBe(true);
    expect(configuration.responseTypes).toEqual(['code']);
    expect(configuration.clientDefaults?.id_token_signed_response_alg).toBe('RS256');
    expect(configuration.enabledJWA?.idTokenSigningAlgValues).toEqual(['RS256', 'ES256', 'EdDSA']);
  });

  it('describes each API granted to the client as a resource server, with the default one for requests without `resource`', async () => {
    const resourceIndicators = build().features!.resourceIndicators!;
    const granted = { api_scopes: { [ordersApi.identifier]: ['orders:read'], [reportsApi.identifier]: [] } };
    expect(await fn(resourceIndicators.defaultResource)({}, granted)).toBe(ordersApi.identifier);
    expect(await fn(resourceIndicators.defaultResource)({}, granted, [reportsApi.identifier, ordersApi.identifier])).toBe(ordersApi.identifier);
    expect(await fn(resourceIndicators.getResourceServerInfo)({}, ordersApi.identifier, granted)).toEqual({
      scope: 'orders:read', audience: ordersApi.identifier, accessTokenTTL: 600, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'ES256' } },
    });
    expect(await fn(resourceIndicators.getResourceServerInfo)({}, reportsApi.identifier, granted)).toEqual({ scope: '', audience: reportsApi.identifier, accessTokenTTL: 120, accessTokenFormat: 'opaque' });
    await expect(fn(resourceIndicators.getResourceServerInfo)({}, 'https://unknown.example', granted) as Promise<unknown>).rejects.toMatchObject({ error: 'invalid_target' });
  });

  it('gives a client only the APIs and scopes in its api_scopes, the default API included (RFC 6749 §3.3, RFC 8707 §2)', async () => {
    const resourceIndicators = build().features!.resourceIndicators!;
    const info = fn(resourceIndicators.getResourceServerInfo);
    // Not granted the default API: no default resource (sign-in with OpenID scopes only still works).
    expect(await fn(resourceIndicators.defaultResource)({}, {})).toBeUndefined();
    expect(await fn(resourceIndicators.defaultResource)({}, {}, [reportsApi.identifier, ordersApi.identifier])).toEqual([reportsApi.identifier, ordersApi.identifier]);
    await expect(info({}, ordersApi.identifier, {}) as Promise<unknown>).rejects.toMatchObject({ error: 'invalid_target' });
    await expect(info({}, ordersApi.identifier, { api_scopes: { [reportsApi.identifier]: [] } }) as Promise<unknown>).rejects.toMatchObject({ error: 'invalid_target' });
    // Granted the API without scopes: tokens for it carry none.
    expect(await info({}, ordersApi.identifier, { api_scopes: { [ordersApi.identifier]: [] } })).toMatchObject({ scope: '' });
    // A client_credentials request naming a scope it is not granted fails rather than losing the scope.
    const request = (scope: string, resource?: string) => ({ oidc: { route: 'token', params: { grant_type: 'client_credentials', scope, resource } } });
    const reader = { api_scopes: { [ordersApi.identifier]: [] } };
    await expect(info(request('orders:read', ordersApi.identifier), ordersApi.identifier, reader) as Promise<unknown>).rejects.toMatchObject({ error: 'invalid_scope', scope: 'orders:read' });
    // Without `resource` and not granted the default API, an API scope has nowhere to go.
    await expect(fn(resourceIndicators.defaultResource)(request('orders:read'), { api_scopes: { [reportsApi.identifier]: [] } }) as Promise<unknown>).rejects.toMatchObject({ error: 'invalid_scope' });
    expect(await fn(resourceIndicators.defaultResource)(request('openid'), {})).toBeUndefined();
    // Redeeming a code or a refresh token is left to oidc-provider's own subset rules.
    expect(await info({ oidc: { route: 'token', params: { grant_type: 'refresh_token', scope: 'orders:read' } } }, ordersApi.identifier, reader)).toMatchObject({ scope: '' });
  });

  it('lets only a resource server introspect, and only access tokens for its own API', async () => {
    const allowed = fn(build().features!.introspection!.allowedPolicy);
    const rs = { clientId: 'rs', kind: 'resource_server', api: ordersApi.identifier };
    const accessToken = { kind: 'AccessToken', aud: ordersApi.identifier };
    expect(await allowed({}, rs, accessToken)).toBe(true);
    expect(await allowed({}, rs, { kind: 'ClientCredentials', resourceServer: { audience: ordersApi.identifier } })).toBe(true);
    expect(await allowed({}, rs, { kind: 'AccessToken', aud: reportsApi.identifier })).toBe(false);
    expect(await allowed({}, rs, { kind: 'AccessToken' })).toBe(false);
    expect(await allowed({}, rs, { kind: 'RefreshToken', aud: ordersApi.identifier })).toBe(false);
    expect(await allowed({}, { clientId: 'web', kind: 'web' }, accessToken)).toBe(false);
  });

  it('lets a client revoke only its own tokens', async () => {
    const allowed = fn(build().features!.revocation!.allowedPolicy);
    expect(await allowed({}, { clientId: 'spa' }, { clientId: 'spa' })).toBe(true);
    expect(await allowed({}, { clientId: 'spa' }, { clientId: 'web' })).toBe(false);
  });

  it('issues refresh tokens to clients registered for the grant, rotates them, and caps the chain', async () => {
    const configuration = build();
    expect(await fn(configuration.issueRefreshToken)({}, { grantTypeAllowed: (g: string) => g === 'refresh_token' }, {})).toBe(true);
    expect(await fn(configuration.issueRefreshToken)({}, { grantTypeAllowed: () => false }, {})).toBe(false);
    expect(configuration.rotateRefreshToken).toBe(true);
    const refreshTtl = fn(configuration.ttl!.RefreshToken);
    const now = Math.floor(Date.now() / 1000);
    expect(refreshTtl({}, { iiat: now })).toBe(14 * DAY);
    expect(refreshTtl({}, { iiat: now - 20 * DAY })).toBeLessThanOrEqual(10 * DAY);
    expect(refreshTtl({}, { iiat: now - 20 * DAY })).toBeGreaterThan(10 * DAY - 5);
  });

  it('keeps the grant when one access token is revoked, and revokes it otherwise', () => {
    const policy = fn(build().revokeGrantPolicy);
    expect(policy({ oidc: { route: 'revocation', entities: { AccessToken: {} } } })).toBe(false);
    expect(policy({ oidc: { route: 'revocation', entities: { RefreshToken: {} } } })).toBe(true);
    expect(policy({ oidc: { route: 'token', entities: {} } })).toBe(true);
  });

  it('adds auth_time and the account claims the API asks for and the scope releases', async () => {
    const claims = fn(build().extraTokenClaims);
    const ctx = (scope: string) => ({ oidc: { entities: { AuthorizationCode: { authTime: 1700000000, scope } } } });
    const token = { kind: 'AccessToken', accountId: account.sub, aud: ordersApi.identifier };
    expect(await claims(ctx('openid email roles orders:read'), token)).toEqual({ auth_time: 1700000000, email: account.email, roles: ['admin'] });
    expect(await claims(ctx('openid orders:read'), token)).toEqual({ auth_time: 1700000000 });
    expect(await claims(ctx('openid email'), { ...token, aud: reportsApi.identifier })).toEqual({ auth_time: 1700000000 });
  });

  it('passes keys, cookie secrets, clients and Keyward client metadata through', () => {
    const configuration = build();
    expect(configuration.jwks).toEqual({ keys: [{ kty: 'EC', kid: 'k1' }] });
    expect(configuration.cookies?.keys).toEqual(['c'.repeat(43)]);
    expect(configuration.clients?.[0]?.client_id).toBe('spa');
    expect(configuration.extraClientMetadata?.properties).toEqual(['kind', 'api', 'api_scopes', 'require_pkce', 'service_account', 'require_mfa', 'first_party', 'accent_color']);
  });
});
