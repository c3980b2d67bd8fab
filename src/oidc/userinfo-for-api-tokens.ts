import type { KoaContextWithOIDC } from 'oidc-provider';
import { SCOPE_CLAIMS } from './configuration.ts';
import { isJwt, type JwtAccessTokens } from './jwt-access-tokens.ts';
import type { AccountClaimsLoader } from './token-policies.ts';

/**
 * UserInfo for access tokens issued for an API (Keyward's model, as large hosted IdPs do: a
 * token whose grant includes `openid` is also good at UserInfo, whatever API it is for).
 *
 * oidc-provider's UserInfo accepts only its own opaque access tokens; with a default API every
 * sign-in without `resource` gets a JWT for that API, and UserInfo would answer 401 to every
 * relying-party library that calls it (OIDC Core §5.3). When oidc-provider refuses a bearer
 * token that is a live JWT of Keyward's, this answers with the claims the grant's OpenID scopes
 * release (OIDC Core §5.4), the same the ID token carries.
 */
/** The bearer token of a UserInfo request: RFC 6750 §2.1 (header) or §2.2 (form body), as oidc-provider's own UserInfo takes them. */
export function userinfoBearerToken(ctx: Pick<KoaContextWithOIDC, 'get' | 'oidc'>): unknown {
  return /^Bearer ([\w.~+/-]+=*)$/i.exec(ctx.get('authorization'))?.[1] ?? ctx.oidc?.params?.access_token;
}

export async function answerUserinfoForApiToken(ctx: KoaContextWithOIDC, jwtAccessTokens: JwtAccessTokens, accountClaims: AccountClaimsLoader): Promise<void> {
  if (ctx.status !== 401) return;
  const token = userinfoBearerToken(ctx);
  if (!isJwt(token)) return;
  const grant = await jwtAccessTokens.userinfoGrant(ctx, token);
  // A disabled or deleted account has no claims: its tokens are refused like oidc-provider's.
  const claims = grant?.scopes.includes('openid') ? await accountClaims(grant.accountId) : undefined;
  if (!grant || !claims) {
    // events.ts leaves this refusal to us (the token might have been one we accept).
    (ctx.state as { log?: { info(o: object, m: string): void } }).log?.info({ event: 'userinfo.error', error: 'invalid_token', status: 401 }, 'protocol request refused');
    return;
  }
  const released = new Set(grant.scopes.flatMap((scope) => SCOPE_CLAIMS[scope] ?? []));
  ctx.status = 200;
  ctx.remove('WWW-Authenticate');
  ctx.set('Cache-Control', 'no-store');
  ctx.body = Object.fromEntries(Object.entries(claims).filter(([name, value]) => released.has(name) && value !== undefined));
}
