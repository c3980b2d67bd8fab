import { grantAll, TEST_API, TEST_RESOURCE_SERVER, TEST_SERVICE_CLIENT, TEST_WEB_CLIENT } from './test-server.ts';

/** An API whose tokens stay opaque, with its own resource server. */
export const REPORTS_API = { identifier: 'https://reports.test', scopes: { 'reports:read': 'Read reports' }, token_format: 'opaque' } as const;
export const REPORTS_RESOURCE_SERVER = {
  client_id: 'reports-api',
  kind: 'resource_server',
  api: REPORTS_API.identifier,
  client_secret: 'reports-api-secret-0123456789abcdef0123456789',
} as const;

/** Public first-party apps that registered other ID token algorithms. */
export const ES256_APP = { client_id: 'es256-app', kind: 'public', redirect_uris: ['http://localhost:8081/cb'], id_token_signed_response_alg: 'ES256' } as const;
export const EDDSA_APP = { client_id: 'eddsa-app', kind: 'public', redirect_uris: ['http://localhost:8082/cb'], id_token_signed_response_alg: 'EdDSA' } as const;

/**
 * Orders is the default API (JWT access tokens with email and roles); reports is opaque. The
 * test web app and the service client are granted both APIs, the other apps the default one.
 */
export const TOKEN_REGISTRY = {
  apis: [{ ...TEST_API, default: true }, REPORTS_API],
  clients: [
    grantAll(TEST_WEB_CLIENT, TEST_API, REPORTS_API), grantAll(TEST_SERVICE_CLIENT, TEST_API, REPORTS_API),
    TEST_RESOURCE_SERVER, REPORTS_RESOURCE_SERVER, grantAll(ES256_APP, TEST_API), grantAll(EDDSA_APP, TEST_API),
  ],
};
