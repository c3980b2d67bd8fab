import type { Middleware } from 'koa';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { StoreUnavailableError } from '../errors/app-error.ts';
import { isJwt, type JwtAccessTokens } from './jwt-access-tokens.ts';
import { kindOf, openidScopesInForce, type AccountClaimsLoader } from './token-policies.ts';
import { answerUserinfoForApiToken } from './userinfo-for-api-tokens.ts';

/**
 * RFC 6749 §5.1 and §3.3: the token response states the scope granted, and a scope is never
 * the empty string. oidc-provider states only the access token's own scope, which is empty for
 * an API token granted no API scope ("scope": ""), though the same token is good at UserInfo for
 * the OpenID scopes of its grant (userinfo-for-api-tokens.ts): those are stated too.
 */
function stateGrantedScope(ctx: KoaContextWithOIDC): void {
  const body = ctx.body as { scope?: unknown; access_token?: unknown } | undefined;
  if (!body || typeof body !== 'object' || body.access_token === undefined) return;
  const own = typeof body.scope === 'string' ? body.scope.split(' ') : [];
  // The OpenID scopes count only where the token is good at UserInfo: Keyward's JWTs (for any
  // API) and oidc-provider's own UserInfo tokens (which state openid already); not opaque API tokens.
  const openid = isJwt(body.access_token) || own.includes('openid') ? openidScopesInForce(ctx) : [];
  const stated = [...new Set([...openid, ...own].filter(Boolean))];
  if (stated.length > 0) body.scope = stated.join(' ');
  else delete body.scope;
}

const isUnsupportedTokenType = (body: unknown) => (body as { error?: string } | undefined)?.error === 'unsupported_token_type';

/**
 * Runs around oidc-provider's own route handlers (docs: "Pre- and post-middlewares") to
 * finish what the introspection and revocation endpoints need in Keyward.
 */
export function protocolMiddleware(jwtAccessTokens: JwtAccessTokens, jwksMaxAgeSeconds: number, accountClaims: AccountClaimsLoader): Middleware {
  return async (koaCtx, next) => {
    const ctx = koaCtx as unknown as KoaContextWithOIDC;
    try {
      await next();
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) throw error;
      ctx.state.storeUnavailable = true;
      ctx.status = 500;
    }
    if (ctx.status >= 500 && (ctx.state as { storeUnavailable?: boolean }).storeUnavailable) {
      // The store, not a bug: RFC 6749 temporarily_unavailable, and the client may retry (RFC 9110 §10.2.3).
      ctx.status = 503;
      ctx.set('Retry-After', '5');
      if (typeof ctx.body !== 'string') {
        ctx.body = { error: 'temporarily_unavailable', error_description: 'The service is temporarily unavailable. Try again in a moment.' };
      }
      return;
    }
    if (ctx.oidc?.route === 'userinfo') return answerUserinfoForApiToken(ctx, jwtAccessTokens, accountClaims);
    if (ctx.oidc?.route === 'token' && ctx.status === 200) stateGrantedScope(ctx);
    // Keys are published well before they sign (staged rotation), so caches may keep the JWKS this long.
    if (ctx.oidc?.route === 'jwks' && ctx.status === 200) ctx.set('Cache-Control', `public, max-age=${jwksMaxAgeSeconds}`);
    const client = ctx.oidc?.client;
    const body = ctx.body as { error?: string; error_description?: string } | undefined;
    // Client authentication failed or was throttled: keep invalid_client (401 or 429). oidc-provider
    // sets ctx.oidc.client before it compares the secret, so a client being set proves nothing.
    if (!client || body?.error === 'invalid_client') return;
    const token = ctx.oidc.params?.token;

    // RFC 6749 §5.2 names this case unauthorized_client; oidc-provider says invalid_request.
    if (ctx.oidc.route === 'token' && body?.error === 'invalid_request' && body.error_description === 'requested grant type is not allowed for this client') {
      body.error = 'unauthorized_client';
    }

    if (ctx.oidc.route === 'introspection') {
      // Refused for every token alike, so that the answer reveals nothing about the token.
      if (kindOf(client) !== 'resource_server') {
        ctx.status = 400;
        ctx.body = { error: 'unauthorized_client', error_description: 'only resource servers may introspect tokens' };
      } else if (isUnsupportedTokenType(ctx.body) && isJwt(token)) {
        ctx.status = 200;
        ctx.body = await jwtAccessTokens.introspect(ctx, token, client);
      }
    }

    if (ctx.oidc.route === 'revocation') {
      if (isUnsupportedTokenType(ctx.body) && isJwt(token)) {
        await jwtAccessTokens.revoke(token, client);
        ctx.status = 200;
      }
      // RFC 7009 §2.2: the body is ignored, but an empty text/plain 200 makes common clients
      // (oidc-client-ts, simple-oauth2) throw; an empty JSON object satisfies them all.
      if (ctx.status === 200) ctx.body = {};
    }
  };
}
