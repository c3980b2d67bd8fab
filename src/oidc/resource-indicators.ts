import { errors, type ResourceServer } from 'oidc-provider';
import type { ApiDefinition, ApiRegistry } from '../services/apis.service.ts';

/**
 * RFC 8707 resource indicators (oidc-provider docs: #featuresresourceindicators): each
 * declared API is a resource server; a request without `resource` gets the default API.
 */
export function resourceIndicatorsFeature(apis: ApiRegistry, defaultTtl: number) {
  return {
    enabled: true,
    async defaultResource(_ctx: unknown, _client: unknown, oneOf?: readonly string[]) {
      // At the token endpoint with several granted resources, the default one if granted.
      if (oneOf) return apis.defaultApi && oneOf.includes(apis.defaultApi.identifier) ? apis.defaultApi.identifier : oneOf;
      return apis.defaultApi?.identifier;
    },
    async getResourceServerInfo(_ctx: unknown, indicator: string): Promise<ResourceServer> {
      const api = apis.find(indicator);
      if (!api) throw new errors.InvalidTarget(`unknown resource ${indicator}`);
      return resourceServerFor(api, defaultTtl);
    },
    // A client that sends no `resource` at the token endpoint gets the one it was granted.
    useGrantedResource: async () => true,
  };
}

export function resourceServerFor(api: ApiDefinition, defaultTtl: number): ResourceServer {
  return {
    scope: Object.keys(api.scopes).join(' '),
    audience: api.identifier,
    accessTokenTTL: api.access_token_ttl ?? defaultTtl,
    accessTokenFormat: api.token_format,
    ...(api.token_format === 'jwt' ? { jwt: { sign: { alg: api.signing_alg } } } : {}),
  };
}
