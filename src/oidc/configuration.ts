import type { Adapter, Configuration, FindAccount, JWK } from 'oidc-provider';
import type { Config } from '../config/schema.ts';
import type { ClientMetadata } from '../services/clients.service.ts';
import type { ProviderPages } from './pages.ts';

export interface ProviderConfigurationDeps {
  config: Pick<Config, 'ttl'>;
  adapter: (model: string) => Adapter;
  /** Private signing keys; oidc-provider publishes only their public parts at /jwks. */
  signingKeys: JWK[];
  cookieSecrets: string[];
  clients: ClientMetadata[];
  findAccount: FindAccount;
  pages: ProviderPages;
}

/**
 * The oidc-provider configuration, as a pure function of its inputs so it can be unit-tested
 * without a server (DESIGN.md, Conventions 5). Option names follow oidc-provider's
 * docs/README.md, whose anchors the comments cite.
 */
export function buildProviderConfiguration(deps: ProviderConfigurationDeps): Configuration {
  const { ttl } = deps.config;
  return {
    adapter: deps.adapter,
    clients: deps.clients,
    findAccount: deps.findAccount,
    jwks: { keys: deps.signingKeys },
    cookies: {
      keys: deps.cookieSecrets,
      long: { httpOnly: true, sameSite: 'lax' },
      short: { httpOnly: true, sameSite: 'lax' },
    },
    // #claims: which claims each scope releases (OIDC Core §5.4).
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'updated_at'],
    },
    scopes: ['openid', 'offline_access', 'email', 'profile'],
    features: {
      // Keyward's own interaction routes drive login and consent (#featuresdevinteractions).
      devInteractions: { enabled: false },
      // A client may introspect and revoke only tokens issued to it (RFC 7662 §4, RFC 7009 §2.1);
      // for someone else's token revocation answers 200 without acting, so it is no oracle.
      introspection: { enabled: true, allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId },
      revocation: { enabled: true, allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId },
      userinfo: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: deps.pages.logoutSource,
        postLogoutSuccessSource: deps.pages.postLogoutSuccessSource,
      },
    },
    // PKCE with S256 for every client, public or confidential (RFC 9700 §2.1.1).
    pkce: { required: () => true },
    responseTypes: ['code'],
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    // Policy: a client registered for the refresh_token grant gets a refresh token with the
    // code, without having to ask for offline_access with prompt=consent: every client here
    // is a first-party app declared by the operator.
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    // Rotate on every use; a rotated token presented again revokes the grant (#rotaterefreshtoken).
    rotateRefreshToken: true,
    ttl: {
      AccessToken: ttl.accessToken,
      ClientCredentials: ttl.accessToken,
      AuthorizationCode: ttl.authorizationCode,
      IdToken: ttl.idToken,
      RefreshToken: ttl.refreshToken,
      Session: ttl.session,
      Interaction: ttl.interaction,
      Grant: ttl.grant,
    },
    renderError: deps.pages.renderError,
  };
}
