import { z } from 'zod';

/** Account claims an API may ask to have copied into its access tokens, and the scope that releases each. */
export const ACCOUNT_CLAIM_SCOPES = {
  email: 'email',
  email_verified: 'email',
  name: 'profile',
  roles: 'roles',
} as const;

export type AccountClaimName = keyof typeof ACCOUNT_CLAIM_SCOPES;

/**
 * The OpenID scopes (OIDC Core §5.4, plus `roles`): they release account claims and are the
 * provider's own, never an API's. Every other scope value is an API scope.
 */
export const OPENID_SCOPES = ['openid', 'offline_access', 'email', 'profile', 'roles'] as const;

const OPENID_SCOPE_SET = new Set<string>(OPENID_SCOPES);
export const isOpenIdScope = (scope: string): boolean => OPENID_SCOPE_SET.has(scope);

export const scopeName = z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]{1,100}$/, 'must be a scope token (RFC 6749 §3.3)');

/**
 * An API (resource server) that access tokens are issued for, selected by the RFC 8707
 * `resource` parameter. Its identifier is the resource indicator and the tokens' `aud`.
 */
export const apiSchema = z.strictObject({
  identifier: z
    .url({ error: 'must be an absolute URI (RFC 8707 §2)' })
    .refine((u) => !u.includes('#'), 'must not contain a fragment (RFC 8707 §2)'),
  name: z.string().min(1).max(100).optional(),
  /** Scope → plain-words description shown on the consent page. */
  scopes: z.record(scopeName, z.string().min(1).max(200)).refine((scopes) => Object.keys(scopes).length <= 200, 'at most 200 scopes').default({}),
  token_format: z.enum(['jwt', 'opaque']).default('jwt'),
  /**
   * RS256 by default: the one algorithm RFC 9068 §2.1 requires every resource server to accept
   * (verifiers in the wild pin it). ES256 (about three times cheaper to sign) and EdDSA are one
   * setting away for APIs whose verifiers take them.
   */
  signing_alg: z.enum(['ES256', 'RS256', 'EdDSA']).default('RS256'),
  access_token_ttl: z.number().int().min(30).max(24 * 3600).optional(),
  /** Account claims copied into access tokens when the granted scope releases them. */
  claims: z.array(z.enum(Object.keys(ACCOUNT_CLAIM_SCOPES) as [AccountClaimName, ...AccountClaimName[]])).default([]),
  /** The API a client gets tokens for when it sends no `resource`. At most one. */
  default: z.boolean().default(false),
});

export type ApiDefinition = z.infer<typeof apiSchema>;

/** Looks APIs up by identifier; the default one, if any. */
export interface ApiRegistry {
  readonly all: readonly ApiDefinition[];
  readonly defaultApi: ApiDefinition | undefined;
  find(identifier: string): ApiDefinition | undefined;
}

export function createApiRegistry(apis: readonly ApiDefinition[]): ApiRegistry {
  const byIdentifier = new Map(apis.map((api) => [api.identifier, api]));
  return {
    all: apis,
    defaultApi: apis.find((api) => api.default),
    find: (identifier) => byIdentifier.get(identifier),
  };
}

/** The scopes of Keyward's own admin API (the REST API under /admin/api/v1). */
export const ADMIN_SCOPES = ['admin:read', 'admin:write'] as const;
export type AdminScope = (typeof ADMIN_SCOPES)[number];

export const adminApiIdentifier = (issuer: string): string => `${issuer}/admin/api/v1`;

/**
 * Keyward's admin API as a resource server, always present: a client is granted it in
 * `api_scopes` like any API, and neither the clients file nor the store may declare it (a
 * declaration could otherwise widen its scopes or lengthen its tokens). Its tokens are opaque and
 * short-lived: only Keyward reads them, from the store, so a revoked one stops working at once.
 */
export function builtInAdminApi(issuer: string): ApiDefinition {
  return {
    identifier: adminApiIdentifier(issuer),
    name: 'Keyward admin API',
    scopes: {
      'admin:read': 'Read users, clients, APIs, keys, sessions and the audit log',
      'admin:write': 'Change users, clients, APIs and keys',
    },
    token_format: 'opaque',
    signing_alg: 'RS256',
    access_token_ttl: 300,
    claims: [],
    default: false,
  };
}

/** Every built-in API of a Keyward at `issuer`. */
export const builtInApis = (issuer: string): ApiDefinition[] => [builtInAdminApi(issuer)];
