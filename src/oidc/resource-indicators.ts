import { errors, type KoaContextWithOIDC, type ResourceServer } from 'oidc-provider';
import type { ApiDefinition, ApiRegistry } from '../services/apis.service.ts';
import { assertScopesGranted, grantedApiScopes, grantedScopes, requestedResources } from './api-grants.ts';

type Ctx = KoaContextWithOIDC | undefined;

/**
 * RFC 8707 resource indicators (oidc-provider docs: #featuresresourceindicators): each
 * declared API is a resource server, and a client gets tokens only for the APIs and scopes
 * granted to it in its `api_scopes` (RFC 6749 §3.3). A request without `resource` gets the
 * default API, but only for a client granted it: any other client signs in as before and
 * gets an access token for userinfo alone.
 */
export function resourceIndicatorsFeature(apis: ApiRegistry, defaultTtl: number) {
  const defaultFor = (client: unknown) => {
    const identifier = apis.defaultApi?.identifier;
    return identifier !== undefined && grantedScopes(client, identifier) !== undefined ? identifier : undefined;
  };
  return {
    enabled: true,
    async defaultResource(ctx: Ctx, client: unknown, oneOf?: readonly string[]) {
      const fallback = defaultFor(client);
      // At the token endpoint with several granted resources, the default one if granted.
      if (oneOf) return fallback !== undefined && oneOf.includes(fallback) ? fallback : oneOf;
      // No resource at all: oidc-provider would drop the API scopes asked for; refuse them instead.
      if (fallback === undefined) assertScopesGranted(ctx, client, apis, []);
      return fallback;
    },
    async getResourceServerInfo(ctx: Ctx, indicator: string, client: unknown): Promise<ResourceServer> {
      const api = apis.find(indicator);
      // One answer for unknown and not granted: a client learns nothing about APIs it may not use (RFC 8707 §2).
      if (!api || grantedScopes(client, indicator) === undefined) throw new errors.InvalidTarget(`resource ${indicator} is not available to this client`);
      assertScopesGranted(ctx, client, apis, requestedResources(ctx));
      return resourceServerFor(api, defaultTtl, grantedApiScopes(client, apis, indicator));
    },
    // A client that sends no `resource` at the token endpoint gets the one it was granted.
    useGrantedResource: async () => true,
  };
}

/**
 * The resource server as oidc-provider sees it. Its `scope` is only what the client is
 * granted, so a token never carries more, even from a grant made before the operator
 * narrowed the client's `api_scopes` (oidc-provider filters by it at every issuance).
 */
export function resourceServerFor(api: ApiDefinition, defaultTtl: number, granted: readonly string[]): ResourceServer {
  return {
    scope: granted.join(' '),
    audience: api.identifier,
    accessTokenTTL: api.access_token_ttl ?? defaultTtl,
    accessTokenFormat: api.token_format,
    ...(api.token_format === 'jwt' ? { jwt: { sign: { alg: api.signing_alg } } } : {}),
  };
}
