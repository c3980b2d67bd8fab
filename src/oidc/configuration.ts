import { errors, type Adapter, type Configuration, type FindAccount, type JWK, type KoaContextWithOIDC } from 'oidc-provider';
import type { Config } from '../config/schema.ts';
import { OPENID_SCOPES, type ApiRegistry } from '../services/apis.service.ts';
import type { ClientMetadata } from '../services/clients.service.ts';
import type { JwtAccessTokens } from './jwt-access-tokens.ts';
import type { ProviderPages } from './pages.ts';
import { loadExistingGrant, withFirstPartyConsent, type ExistingGrantDeps } from './existing-grants.ts';
import { resourceIndicatorsFeature } from './resource-indicators.ts';
import { ACR_VALUES } from '../services/mfa/mfa-policy.ts';
import { policyWithStepUp, type StepUpRequirement } from './step-up-check.ts';
import { KEYWARD_CLIENT_METADATA, tokenPolicies, type AccountClaimsLoader } from './token-policies.ts';

/** The claims each OpenID scope releases (OIDC Core §5.4), plus Keyward's `roles`. */
export const SCOPE_CLAIMS: Readonly<Record<string, readonly string[]>> = {
  openid: ['sub'],
  email: ['email', 'email_verified'],
  profile: ['name', 'picture', 'updated_at'],
  roles: ['roles'],
};

/**
 * Called by oidc-provider only for an authorization request without code_challenge
 * (lib/actions/authorization/sender_constraints.js). RFC 9700 §2.1.1 lets a confidential
 * OpenID Connect client use the nonce instead of PKCE against code injection: so an opted-out
 * client without PKCE must send one.
 */
function pkceRequired(ctx: KoaContextWithOIDC, client: unknown): boolean {
  if ((client as { require_pkce?: boolean }).require_pkce !== false) return true;
  if (typeof ctx.oidc.params?.nonce !== 'string' || ctx.oidc.params.nonce === '') {
    throw new errors.InvalidRequest('nonce is required for this client when it sends no PKCE code_challenge');
  }
  return false;
}

/** Claims about the authentication event rather than the account (OIDC Core §2). */
const AUTHENTICATION_CLAIMS = ['acr', 'amr', 'auth_time'] as const;

export interface ProviderConfigurationDeps {
  config: Pick<Config, 'ttl'>;
  adapter: (model: string) => Adapter;
  /** Private signing keys; oidc-provider publishes only their public parts at /jwks. */
  signingKeys: JWK[];
  cookieSecrets: string[];
  clients: ClientMetadata[];
  apis: ApiRegistry;
  findAccount: FindAccount;
  accountClaims: AccountClaimsLoader;
  jwtAccessTokens: Pick<JwtAccessTokens, 'record'>;
  fetch: (url: URL | string, init: RequestInit) => Promise<Response>;
  pages: ProviderPages;
  /** Whether a request needs a second factor the browser's session has not given (step-up). */
  mfaRequired: StepUpRequirement;
  /** Remembered consent across browsers, and first-party clients (existing-grants.ts). */
  existingGrants: ExistingGrantDeps;
}

/**
 * The oidc-provider configuration, as a pure function of its inputs so it can be unit-tested
 * without a server (DESIGN.md, Conventions 5). Option names follow oidc-provider's
 * docs/README.md, whose anchors the comments cite.
 */
export function buildProviderConfiguration(deps: ProviderConfigurationDeps): Configuration {
  const { ttl } = deps.config;
  const policies = tokenPolicies({ config: deps.config, apis: deps.apis, accountClaims: deps.accountClaims });
  return {
    adapter: deps.adapter,
    clients: deps.clients,
    extraClientMetadata: { properties: [...KEYWARD_CLIENT_METADATA] },
    findAccount: deps.findAccount,
    jwks: { keys: deps.signingKeys },
    cookies: {
      keys: deps.cookieSecrets,
      long: { httpOnly: true, sameSite: 'lax' },
      short: { httpOnly: true, sameSite: 'lax' },
    },
    // #claims: which claims each scope releases (OIDC Core §5.4), plus `roles`.
    // The ID token also says how and when the person signed in (OIDC Core §2 acr, amr, auth_time;
    // RFC 8176): under `openid`, so that every ID token carries them, not only those whose
    // request asked through the claims parameter. UserInfo has no such values, so it shows none.
    claims: {
      ...Object.fromEntries(Object.entries(SCOPE_CLAIMS).map(([scope, claims]) => [scope, [...claims]])),
      openid: [...SCOPE_CLAIMS.openid!, ...AUTHENTICATION_CLAIMS],
    },
    // Only the OpenID scopes: API scopes belong to resource servers (resource-indicators.ts).
    scopes: [...OPENID_SCOPES],
    // ID tokens: RS256 unless the client registers ES256 or EdDSA (OIDC Core §15.1).
    clientDefaults: { id_token_signed_response_alg: 'RS256', grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic' },
    // Discovery advertises exactly what works and is tested (README, "What it serves"):
    // client_secret_jwt (HMAC over the client secret) is refused at registration, since Keyward
    // keeps CLI-made secrets only as keyed hashes; so are HS* assertion algorithms (#clientauthmethods).
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
    enabledJWA: { idTokenSigningAlgValues: ['RS256', 'ES256', 'EdDSA'], clientAuthSigningAlgValues: ['RS256', 'PS256', 'ES256', 'EdDSA'] },
    features: {
      // Neither documented nor tested with clients: off until they are (#featurespushedauthorizationrequests, #featuresdpop).
      pushedAuthorizationRequests: { enabled: false },
      dPoP: { enabled: false },
      // Keyward's own interaction routes drive login and consent (#featuresdevinteractions).
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true, allowedPolicy: policies.introspectionAllowed as never },
      revocation: { enabled: true, allowedPolicy: policies.revocationAllowed as never },
      userinfo: { enabled: true },
      resourceIndicators: resourceIndicatorsFeature(deps.apis, ttl.accessToken) as never,
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: deps.pages.logoutSource,
        postLogoutSuccessSource: deps.pages.postLogoutSuccessSource,
      },
    },
    // PKCE with S256 for every client, public or confidential (RFC 9700 §2.1.1), unless a web
    // client opted out (require_pkce: false); that client must then send a nonce instead.
    pkce: { required: pkceRequired },
    responseTypes: ['code'],
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}`, policy: withFirstPartyConsent(policyWithStepUp(deps.mfaRequired)) },
    // Consent is remembered per account and client, not per browser session; first-party clients skip it (#loadexistinggrant).
    loadExistingGrant: loadExistingGrant(deps.existingGrants),
    // Keyward's two assurance levels (mfa-policy.ts); published as acr_values_supported (#acrvalues).
    acrValues: [...ACR_VALUES],
    issueRefreshToken: policies.issueRefreshToken,
    // Refresh tokens live by their own idle and absolute lifetimes, not the browser session's
    // (#expireswithsession); logout ends them when LOGOUT_REVOKES_REFRESH_TOKENS says so.
    expiresWithSession: async () => false,
    rotateRefreshToken: policies.rotateRefreshToken,
    revokeGrantPolicy: policies.revokeGrantPolicy,
    extraTokenClaims: policies.extraTokenClaims as Configuration['extraTokenClaims'],
    formats: { customizers: { jwt: deps.jwtAccessTokens.record as never } },
    fetch: deps.fetch as Configuration['fetch'],
    ttl: {
      AccessToken: policies.accessTokenTtl as never,
      ClientCredentials: policies.accessTokenTtl as never,
      AuthorizationCode: ttl.authorizationCode,
      IdToken: ttl.idToken,
      RefreshToken: policies.refreshTokenTtl as never,
      Session: ttl.session,
      Interaction: ttl.interaction,
      Grant: ttl.grant,
    },
    renderError: deps.pages.renderError,
  };
}
