import { describe, expect, it } from '@jest/globals';
import type { Configuration, FindAccount } from 'oidc-provider';
import { buildProviderConfiguration } from '../../src/oidc/configuration.ts';
import type { ProviderPages } from '../../src/oidc/pages.ts';

const noop = async () => undefined;
const pages: ProviderPages = { renderError: noop, logoutSource: noop, postLogoutSuccessSource: noop };
const ttl = { accessToken: 600, authorizationCode: 60, idToken: 3600, refreshToken: 86_400, session: 7200, interaction: 900, grant: 86_400 };

function build(): Configuration {
  return buildProviderConfiguration({
    config: { ttl },
    adapter: () => ({}) as never,
    signingKeys: [{ kty: 'EC', kid: 'k1' }],
    cookieSecrets: ['c'.repeat(43)],
    clients: [{ client_id: 'spa', token_endpoint_auth_method: 'none', redirect_uris: ['https://app.example/cb'] }],
    findAccount: (async () => undefined) as FindAccount,
    pages,
  });
}

/** The provider configuration is a pure function: checked here without a server. */
describe('buildProviderConfiguration', () => {
  it('turns development interactions off and points interactions at Keyward routes', async () => {
    const configuration = build();
    expect(configuration.features?.devInteractions?.enabled).toBe(false);
    const url = await configuration.interactions!.url!({} as never, { uid: 'abc' } as never);
    expect(url).toBe('/interaction/abc');
  });

  it('enables the endpoints of the protocol surface', () => {
    const { features } = build();
    expect(features?.introspection?.enabled).toBe(true);
    expect(features?.revocation?.enabled).toBe(true);
    expect(features?.userinfo?.enabled).toBe(true);
    expect(features?.rpInitiatedLogout?.enabled).toBe(true);
  });

  it('requires PKCE for every client and only the code response type', () => {
    const configuration = build();
    const required = configuration.pkce!.required as (ctx: unknown, client: unknown) => boolean;
    expect(required({}, { clientAuthMethod: 'client_secret_basic' })).toBe(true);
    expect(required({}, { clientAuthMethod: 'none' })).toBe(true);
    expect(configuration.responseTypes).toEqual(['code']);
  });

  it('maps configured lifetimes onto the models', () => {
    expect(build().ttl).toMatchObject({ AccessToken: 600, AuthorizationCode: 60, IdToken: 3600, RefreshToken: 86_400, Session: 7200, Interaction: 900, Grant: 86_400 });
  });

  it('lets a client introspect and revoke only its own tokens', async () => {
    const { features } = build();
    const own = { clientId: 'spa' };
    const client = { clientId: 'spa' };
    const other = { clientId: 'web' };
    const introspect = features!.introspection!.allowedPolicy as (ctx: unknown, client: unknown, token: unknown) => Promise<boolean>;
    const revoke = features!.revocation!.allowedPolicy as (ctx: unknown, client: unknown, token: unknown) => Promise<boolean>;
    expect(await introspect({}, client, own)).toBe(true);
    expect(await introspect({}, client, other)).toBe(false);
    expect(await revoke({}, client, own)).toBe(true);
    expect(await revoke({}, client, other)).toBe(false);
  });

  it('issues refresh tokens to clients registered for the grant, and rotates them', async () => {
    const configuration = build();
    const issue = configuration.issueRefreshToken as (ctx: unknown, client: unknown, code: unknown) => Promise<boolean>;
    expect(await issue({}, { grantTypeAllowed: (g: string) => g === 'refresh_token' }, {})).toBe(true);
    expect(await issue({}, { grantTypeAllowed: () => false }, {})).toBe(false);
    expect(configuration.rotateRefreshToken).toBe(true);
  });

  it('passes keys, cookie secrets and clients through untouched', () => {
    const configuration = build();
    expect(configuration.jwks).toEqual({ keys: [{ kty: 'EC', kid: 'k1' }] });
    expect(configuration.cookies?.keys).toEqual(['c'.repeat(43)]);
    expect(configuration.clients?.[0]?.client_id).toBe('spa');
  });
});
