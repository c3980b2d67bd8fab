/** The same clients, API and lifetimes for Keyward and for bare oidc-provider. */
/** The default API: JWT access tokens signed RS256 (Keyward's default, RFC 9068 §2.1). */
export const API = { identifier: 'https://api.bench', scopes: { read: 'Read things' } } as const;
/** The same API with ES256 access tokens, one setting away. */
export const ES256_API = { identifier: 'https://es256.bench', scopes: { read: 'Read things' } } as const;
export const OPAQUE_API = { identifier: 'https://opaque.bench', scopes: { read: 'Read things' } } as const;
export const ACCESS_TOKEN_TTL = 600;
export const REFRESH_TOKEN_TTL = 14 * 24 * 3600;

export const SERVICE = { client_id: 'bench-service', client_secret: 'bench-service-secret-0123456789abcdef0123' } as const;
export const RESOURCE_SERVER = { client_id: 'bench-rs', client_secret: 'bench-rs-secret-0123456789abcdef0123456789' } as const;
export const APP = { client_id: 'bench-app', client_secret: 'bench-app-secret-0123456789abcdef012345678', redirect_uri: 'http://127.0.0.1:9/callback' } as const;
export const USER = { email: 'bench@keyward.test', password: 'a long bench passphrase' } as const;

/** Keyward's clients file. */
export const keywardRegistry = {
  apis: [
    { identifier: API.identifier, scopes: API.scopes, token_format: 'jwt', signing_alg: 'RS256', default: true },
    { identifier: ES256_API.identifier, scopes: ES256_API.scopes, token_format: 'jwt', signing_alg: 'ES256' },
    { identifier: OPAQUE_API.identifier, scopes: OPAQUE_API.scopes, token_format: 'opaque' },
  ],
  clients: [
    // Clients get tokens only for the APIs and scopes granted to them (api_scopes).
    { ...SERVICE, kind: 'service', api_scopes: { [API.identifier]: ['read'], [ES256_API.identifier]: ['read'], [OPAQUE_API.identifier]: ['read'] } },
    { ...RESOURCE_SERVER, kind: 'resource_server', api: OPAQUE_API.identifier },
    { client_id: APP.client_id, client_secret: APP.client_secret, kind: 'web', redirect_uris: [APP.redirect_uri], api_scopes: { [API.identifier]: ['read'] } },
  ],
};

/** The same clients as plain OpenID Connect metadata for bare oidc-provider. */
export const bareClients = [
  { ...SERVICE, grant_types: ['client_credentials'], response_types: [], redirect_uris: [] },
  { ...RESOURCE_SERVER, grant_types: [], response_types: [], redirect_uris: [] },
  { client_id: APP.client_id, client_secret: APP.client_secret, grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], redirect_uris: [APP.redirect_uri] },
];

export const basic = (client: { client_id: string; client_secret: string }) =>
  `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`;
