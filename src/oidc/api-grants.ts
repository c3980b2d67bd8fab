import { errors, type KoaContextWithOIDC } from 'oidc-provider';
import { isOpenIdScope, type ApiRegistry } from '../services/apis.service.ts';

type Ctx = Pick<KoaContextWithOIDC, 'oidc'> | undefined;

/**
 * The scopes of `api` the operator granted the client (client metadata `api_scopes`);
 * undefined when the client is not granted that API at all.
 */
export function grantedScopes(client: unknown, api: string): readonly string[] | undefined {
  const grants = (client as { api_scopes?: Record<string, readonly string[]> } | undefined)?.api_scopes;
  return grants !== undefined && Object.hasOwn(grants, api) ? grants[api] : undefined;
}

/** The granted scopes that the API still declares (a store client may outlive a scope). */
export function grantedApiScopes(client: unknown, apis: ApiRegistry, identifier: string): string[] {
  const api = apis.find(identifier);
  return api ? (grantedScopes(client, identifier) ?? []).filter((scope) => Object.hasOwn(api.scopes, scope)) : [];
}

/**
 * Requests in which the client names the scopes it wants now: the authorization request
 * (directly or pushed, RFC 9126) and client_credentials. Redeeming a code or a refresh token
 * only narrows what was granted, and oidc-provider checks that itself.
 */
function namesScopes(ctx: Ctx): boolean {
  const route = ctx?.oidc?.route;
  return route === 'authorization' || route === 'pushed_authorization_request'
    || (route === 'token' && ctx?.oidc?.params?.grant_type === 'client_credentials');
}

/** The `resource` parameter as a list (RFC 8707 §2 allows it several times). */
export function requestedResources(ctx: Ctx): string[] {
  const resource = ctx?.oidc?.params?.resource;
  if (Array.isArray(resource)) return resource.filter((value): value is string => typeof value === 'string');
  return typeof resource === 'string' ? [resource] : [];
}

/**
 * Every API scope asked for must be granted to the client for one of the requested APIs,
 * or the request fails with invalid_scope (RFC 6749 §3.3, §4.1.2.1 and §5.2). oidc-provider
 * would instead drop such a scope silently (lib/shared/check_resource.js filterStatics,
 * lib/actions/grants/client_credentials.js), which hides a misconfigured or probing client.
 * OpenID scopes are left to oidc-provider, which holds them to the client's `scope`.
 */
export function assertScopesGranted(ctx: Ctx, client: unknown, apis: ApiRegistry, resources: readonly string[]): void {
  if (!namesScopes(ctx)) return;
  const scope = ctx?.oidc?.params?.scope;
  const requested = (typeof scope === 'string' ? scope.split(' ') : []).filter((value) => value && !isOpenIdScope(value));
  if (requested.length === 0) return;
  const allowed = new Set(resources.flatMap((identifier) => grantedApiScopes(client, apis, identifier)));
  const refused = requested.find((value) => !allowed.has(value));
  if (refused !== undefined) throw new errors.InvalidScope('requested scope is not granted to this client for the requested resource', refused);
}
