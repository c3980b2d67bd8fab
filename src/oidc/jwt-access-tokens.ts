import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { Clock } from '../lib/clock.ts';
import type { OidcRecordStore } from '../stores/types.ts';
import { apiOf, kindOf, openidScopesInForce } from './token-policies.ts';

/**
 * oidc-provider does not store JWT access tokens, so it cannot introspect or revoke them
 * (it answers unsupported_token_type). Keyward answers for them itself: a JWT is active while
 * its signature, issuer and expiry check out and it is not on the revocation list; a JWT
 * issued to a user (sub ≠ client_id, RFC 9068 §2.2) also needs its grant to still exist,
 * which Keyward records (jti → grant) while signing it. client_credentials tokens need no
 * write at all: the hot path of machine-to-machine traffic stays as cheap as oidc-provider's.
 */
export const JWT_ACCESS_TOKEN_MODEL = 'JwtAccessToken';
/** jti of revoked JWT access tokens, kept until they would have expired anyway. */
export const JWT_REVOCATION_MODEL = 'JwtRevocation';

export interface JwtAccessTokens {
  /** formats.customizers.jwt: runs while the token is signed, before it reaches the client. */
  record(ctx: unknown, token: { grantId?: string }, jwt: { payload: JWTPayload }): Promise<void>;
  /** The RFC 7662 response for a JWT access token presented by `client`. */
  introspect(ctx: KoaContextWithOIDC, value: string, client: unknown): Promise<Record<string, unknown>>;
  /** RFC 7009 for a JWT access token: forgets it if `client` is the one it was issued to. */
  revoke(value: string, client: { clientId: string }): Promise<void>;
  /**
   * A user's live JWT access token (any API) and the OpenID scopes its grant holds, for
   * UserInfo; undefined when it is not one Keyward issued, has expired, was revoked or its
   * grant ended.
   */
  userinfoGrant(ctx: KoaContextWithOIDC, value: string): Promise<{ accountId: string; clientId: string; scopes: string[] } | undefined>;
}

/** A JWS in compact serialization has exactly three dot-separated parts (RFC 7515 §7.1). */
const COMPACT_JWS = /^[\w-]+\.[\w-]+\.[\w-]*$/;

export function isJwt(value: unknown): value is string {
  // The shape test first: opaque tokens (most introspections) then cost no thrown error.
  if (typeof value !== 'string' || !COMPACT_JWS.test(value)) return false;
  try {
    return Boolean(decodeProtectedHeader(value));
  } catch {
    return false;
  }
}

export function createJwtAccessTokens(deps: { store: OidcRecordStore; clock: Clock; issuer: string; publicJwks: JSONWebKeySet }): JwtAccessTokens {
  const keys = createLocalJWKSet(deps.publicJwks);
  const verify = async (value: string): Promise<JWTPayload | undefined> => {
    try {
      const { payload } = await jwtVerify(value, keys, { issuer: deps.issuer, typ: 'at+jwt', currentDate: new Date(deps.clock.now()) });
      return typeof payload.jti === 'string' ? payload : undefined;
    } catch {
      return undefined;
    }
  };

  return {
    async record(ctx, token, { payload }) {
      if (!token.grantId) return;
      // The OpenID scopes of this issuance: what UserInfo may release for this token later.
      await deps.store.upsert(
        JWT_ACCESS_TOKEN_MODEL, String(payload.jti),
        { grantId: token.grantId, clientId: payload.client_id, aud: payload.aud, openidScope: openidScopesInForce(ctx).join(' ') },
        (payload.exp ?? 0) * 1000,
      );
    },

    async introspect(ctx, value, client) {
      const inactive = { active: false };
      const payload = await verify(value);
      if (!payload || payload.aud !== apiOf(client) || kindOf(client) !== 'resource_server') return inactive;
      if (await deps.store.find(JWT_REVOCATION_MODEL, payload.jti!)) return inactive;
      if (payload.sub !== payload.client_id) {
        const record = await deps.store.find(JWT_ACCESS_TOKEN_MODEL, payload.jti!);
        const grant = typeof record?.grantId === 'string' ? await ctx.oidc.provider.Grant.find(record.grantId) : undefined;
        if (!grant || grant.clientId !== payload.client_id) return inactive;
      }
      return { ...payload, active: true, token_type: 'Bearer' };
    },

    async userinfoGrant(ctx, value) {
      const payload = await verify(value);
      if (!payload || typeof payload.sub !== 'string' || payload.sub === payload.client_id) return undefined;
      if (await deps.store.find(JWT_REVOCATION_MODEL, payload.jti!)) return undefined;
      const record = await deps.store.find(JWT_ACCESS_TOKEN_MODEL, payload.jti!);
      const grant = typeof record?.grantId === 'string' ? await ctx.oidc.provider.Grant.find(record.grantId) : undefined;
      if (!grant || grant.clientId !== payload.client_id || grant.accountId !== payload.sub) return undefined;
      // Those this token was issued with, and still granted: a narrowed refresh stays narrow, and
      // a token does not gain claims when the grant grows later.
      const stillGranted = new Set((grant.getOIDCScope() ?? '').split(' '));
      const issued = typeof record?.openidScope === 'string' ? record.openidScope.split(' ') : [];
      return { accountId: payload.sub, clientId: String(payload.client_id), scopes: issued.filter((scope) => scope && stillGranted.has(scope)) };
    },

    async revoke(value, client) {
      const payload = await verify(value);
      if (!payload || payload.client_id !== client.clientId) return;
      await deps.store.upsert(JWT_REVOCATION_MODEL, payload.jti!, { clientId: payload.client_id }, (payload.exp ?? 0) * 1000);
      await deps.store.destroy(JWT_ACCESS_TOKEN_MODEL, payload.jti!);
    },
  };
}
