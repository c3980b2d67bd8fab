import type { Configuration, KoaContextWithOIDC } from 'oidc-provider';
import type { Config } from '../config/schema.ts';
import { ACCOUNT_CLAIM_SCOPES, isOpenIdScope, type ApiRegistry } from '../services/apis.service.ts';

/** Loads the claims of an account for access tokens; undefined when it no longer exists. */
export type AccountClaimsLoader = (accountId: string) => Promise<Record<string, unknown> | undefined>;

interface TokenLike {
  kind?: string;
  clientId?: string;
  accountId?: string;
  aud?: string | string[];
  scope?: string;
  authTime?: number;
  iiat?: number;
  resourceServer?: { audience?: string; accessTokenTTL?: number };
}

type Ctx = KoaContextWithOIDC;

/**
 * The client metadata Keyward adds (extraClientMetadata): what kind of client, for resource
 * servers which API, and for the others which APIs and scopes they may get tokens for.
 */
export const KEYWARD_CLIENT_METADATA = ['kind', 'api', 'api_scopes', 'require_pkce', 'service_account', 'require_mfa', 'first_party', 'accent_color'] as const;

export const kindOf = (client: unknown): string | undefined => (client as { kind?: string } | undefined)?.kind;
export const apiOf = (client: unknown): string | undefined => (client as { api?: string } | undefined)?.api;

/** The audience an access token was issued for, if any (RFC 8707 / RFC 9068 `aud`). */
export function audienceOf(token: TokenLike): string | undefined {
  const aud = token.resourceServer?.audience ?? token.aud;
  return Array.isArray(aud) ? aud[0] : aud;
}

/** The code or refresh token the current token endpoint request redeems. */
function grantSource(ctx: Ctx): TokenLike | undefined {
  const entities = ctx.oidc?.entities as Record<string, TokenLike | undefined> | undefined;
  return entities?.AuthorizationCode ?? entities?.RefreshToken;
}

/**
 * The OpenID scopes of the token being issued at the token endpoint: those of the code or
 * refresh token it comes from, narrowed by a `scope` parameter when the client sends one
 * (RFC 6749 §6) — what this issuance may release (claims in a JWT, UserInfo), never what the
 * grant holds by now or held for another issuance.
 */
export function openidScopesInForce(ctx: unknown): string[] {
  const c = ctx as Ctx & { oidc?: { params?: { scope?: unknown } } };
  const source = (grantSource(c)?.scope ?? '').split(' ').filter(isOpenIdScope);
  const requested = c.oidc?.params?.scope;
  if (typeof requested !== 'string' || requested === '') return source;
  const narrowed = new Set(requested.split(' '));
  return source.filter((scope) => narrowed.has(scope));
}

/**
 * Token issuance, rotation, revocation and introspection policies (oidc-provider docs:
 * #issuerefreshtoken, #rotaterefreshtoken, #revokegrantpolicy, #extratokenclaims,
 * #featuresintrospection, #featuresrevocation).
 */
export function tokenPolicies(deps: { config: Pick<Config, 'ttl'>; apis: ApiRegistry; accountClaims: AccountClaimsLoader }) {
  const { ttl } = deps.config;
  return {
    // Every client registered for the refresh_token grant gets one with its code, without
    // offline_access + prompt=consent: all clients here are first-party apps declared by the operator.
    issueRefreshToken: (async (_ctx, client) => client.grantTypeAllowed('refresh_token')) satisfies Configuration['issueRefreshToken'],

    // Rotate on every use; a rotated token presented again revokes the grant (see adapter.ts for the grace window).
    rotateRefreshToken: true,

    /**
     * An API's own lifetime (its access_token_ttl, on the resource server resource-indicators.ts
     * builds), else ACCESS_TOKEN_TTL. A number in `ttl` would win over every API's (#ttl).
     */
    accessTokenTtl(_ctx: unknown, token: TokenLike): number {
      return token.resourceServer?.accessTokenTTL ?? ttl.accessToken;
    },

    /** Idle lifetime per token, capped so that no chain outlives the absolute lifetime from sign-in. */
    refreshTokenTtl(_ctx: unknown, token: TokenLike): number {
      const started = token.iiat ?? Math.floor(Date.now() / 1000);
      const remaining = started + ttl.refreshTokenAbsolute - Math.floor(Date.now() / 1000);
      return Math.max(1, Math.min(ttl.refreshTokenIdle, remaining));
    },

    revokeGrantPolicy: ((ctx) => {
      // Revoking one access token leaves the grant (and its refresh token) alone (RFC 7009 §2.1 allows either).
      if (ctx.oidc.route === 'revocation' && ctx.oidc.entities.AccessToken) return false;
      return true;
    }) satisfies Configuration['revokeGrantPolicy'],

    /** RFC 9068 §2.2: auth_time, plus the account claims the API asks for and the granted scope releases. */
    async extraTokenClaims(ctx: Ctx, token: TokenLike) {
      const source = grantSource(ctx);
      const audience = audienceOf(token);
      const api = audience ? deps.apis.find(audience) : undefined;
      const claims: Record<string, unknown> = {};
      if (source?.authTime) claims.auth_time = source.authTime;
      if (!api || api.claims.length === 0 || !token.accountId) return claims;
      const granted = new Set(openidScopesInForce(ctx));
      const account = await deps.accountClaims(token.accountId);
      for (const name of api.claims) {
        if (granted.has(ACCOUNT_CLAIM_SCOPES[name]) && account?.[name] !== undefined) claims[name] = account[name];
      }
      return claims;
    },

    /**
     * Only resource servers introspect (checked for every request in protocol-middleware.ts),
     * and only access tokens issued for their own API: they learn nothing about other tokens.
     */
    async introspectionAllowed(_ctx: unknown, client: unknown, token: TokenLike): Promise<boolean> {
      const isAccessToken = token.kind === 'AccessToken' || token.kind === 'ClientCredentials';
      return kindOf(client) === 'resource_server' && isAccessToken && audienceOf(token) === apiOf(client);
    },

    // A client may revoke only its own tokens; for another's, 200 without acting (no oracle, RFC 7009 §2.2).
    async revocationAllowed(_ctx: unknown, client: { clientId: string }, token: TokenLike): Promise<boolean> {
      return token.clientId === client.clientId;
    },
  };
}
