/**
 * Bare oidc-provider, configured like Keyward for the benchmark: in-memory adapter, ES256 and
 * RS256 keys, the same clients, APIs (RS256 and ES256 access tokens) and lifetimes. Interactions finish at once (no pages, no
 * password), so its sign-in flow measures the protocol alone.
 * Usage: PORT=… node bench/bare-provider.ts
 */
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import Provider, { errors, type ClientMetadata } from 'oidc-provider';
import { ACCESS_TOKEN_TTL, API, bareClients, ES256_API, OPAQUE_API, REFRESH_TOKEN_TTL } from './lib/fixtures.ts';

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;
const key = (type: 'ec' | 'rsa', alg: string) => ({
  ...(type === 'ec' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('rsa', { modulusLength: 2048 })).privateKey.export({ format: 'jwk' }),
  alg,
  use: 'sig',
  kid: alg,
});
const apis: Record<string, { scope: string; accessTokenFormat: 'jwt' | 'opaque'; alg?: 'RS256' | 'ES256' }> = {
  [API.identifier]: { scope: Object.keys(API.scopes).join(' '), accessTokenFormat: 'jwt', alg: 'RS256' },
  [ES256_API.identifier]: { scope: Object.keys(ES256_API.scopes).join(' '), accessTokenFormat: 'jwt', alg: 'ES256' },
  [OPAQUE_API.identifier]: { scope: Object.keys(OPAQUE_API.scopes).join(' '), accessTokenFormat: 'opaque' },
};

const provider = new Provider(issuer, {
  clients: bareClients as unknown as ClientMetadata[],
  jwks: { keys: [key('ec', 'ES256'), key('rsa', 'RS256')] as never },
  findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: async () => API.identifier,
      useGrantedResource: async () => true,
      getResourceServerInfo: async (_ctx, indicator) => {
        const api = apis[indicator];
        if (!api) throw new errors.InvalidTarget();
        const { alg, ...server } = api;
        return { ...server, audience: indicator, accessTokenTTL: ACCESS_TOKEN_TTL, ...(alg ? { jwt: { sign: { alg } } } : {}) };
      },
    },
  },
  pkce: { required: () => true },
  issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  rotateRefreshToken: true,
  ttl: { AccessToken: ACCESS_TOKEN_TTL, ClientCredentials: ACCESS_TOKEN_TTL, RefreshToken: REFRESH_TOKEN_TTL, AuthorizationCode: 60, IdToken: 3600, Session: 14 * 86400, Grant: 14 * 86400, Interaction: 3600 },
});

// Interactions finish at once: sign in as one account and grant what was asked.
provider.use(async (ctx, next) => {
  const match = /^\/interaction\/([\w-]+)$/.exec(ctx.path);
  if (!match) return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  if (details.prompt.name === 'login') {
    return provider.interactionFinished(ctx.req, ctx.res, { login: { accountId: 'bench-user' } }, { mergeWithLastSubmission: false });
  }
  const grant = new provider.Grant({ accountId: details.session!.accountId, clientId: String(details.params.client_id) });
  const missing = details.prompt.details as { missingOIDCScope?: string[]; missingResourceScopes?: Record<string, string[]> };
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  for (const [resource, scopes] of Object.entries(missing.missingResourceScopes ?? {})) grant.addResourceScope(resource, scopes.join(' '));
  return provider.interactionFinished(ctx.req, ctx.res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
});

createServer(provider.callback()).listen(port, '127.0.0.1', () => process.stdout.write('listening\n'));
