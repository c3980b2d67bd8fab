import * as oidc from 'openid-client';
import { adminApiIdentifier } from '../../src/services/apis.service.ts';
import { discoverTestClient, startAuthorization } from './relying-party.ts';
import { postAsClient, TEST_WEB_CLIENT, type TestKeyward } from './test-server.ts';
import { nextCode } from './mfa-flow.ts';
import { signInAndConsent, UserAgent, walkSignIn } from './user-agent.ts';

export const ADMIN_SCOPES = 'admin:read admin:write';

/** A service client granted the admin API (`scopes` of it), for the clients file of a Keyward at `issuer`. */
export const adminServiceClient = (issuer: string, clientId: string, scopes: string[]) => ({
  client_id: clientId,
  kind: 'service',
  client_secret: `${clientId}-secret-0123456789abcdef0123456789`,
  api_scopes: { [adminApiIdentifier(issuer)]: scopes },
});

/** The test web client, granted the admin API: people get admin tokens through it. */
export const adminWebClient = (issuer: string) => ({ ...TEST_WEB_CLIENT, api_scopes: { [adminApiIdentifier(issuer)]: ['admin:read', 'admin:write'] } });

/** A client_credentials token for the admin API. */
export async function serviceToken(keyward: TestKeyward, client: { client_id: string; client_secret: string }, scope = ADMIN_SCOPES): Promise<string> {
  const response = await postAsClient(`${keyward.issuer}/token`, client, { grant_type: 'client_credentials', scope, resource: adminApiIdentifier(keyward.issuer) });
  if (response.status !== 200) throw new Error(`client_credentials refused: ${response.text}`);
  return String(response.json.access_token);
}

/**
 * An admin API token for a person, through the authorization code flow of the test web client:
 * with `totpSecret`, the sign-in asks for (acr_values) and passes a second factor.
 */
export async function personToken(keyward: TestKeyward, credentials: { email: string; password: string }, totpSecret?: string): Promise<string> {
  const rp = await discoverTestClient(keyward.issuer);
  const resource = adminApiIdentifier(keyward.issuer);
  const started = await startAuthorization(rp, `openid ${ADMIN_SCOPES}`, { resource, ...(totpSecret ? { acr_values: 'urn:keyward:acr:mfa' } : {}) });
  const callback = totpSecret
    ? await walkSignIn(new UserAgent(), started.url, {
      signIn: (agent, page, csrf) => agent.postForm(new URL(`${page.pathname}/login`, page.origin), { _csrf: csrf, ...credentials }),
      secondFactor: (agent, page, csrf) => agent.postForm(new URL(`${page.pathname}/totp`, page.origin), { _csrf: csrf, code: nextCode(totpSecret) }),
    })
    : await signInAndConsent(new UserAgent(), started.url, credentials);
  const tokens = await oidc.authorizationCodeGrant(rp, callback, { pkceCodeVerifier: started.verifier, expectedState: started.state, expectedNonce: started.nonce }, { resource });
  return tokens.access_token;
}

/** A call to the admin API: status, headers and the parsed body (JSON, problem+json or JSON lines as text). */
export async function adminCall(keyward: TestKeyward, token: string | undefined, method: string, path: string, options: { body?: unknown; headers?: Record<string, string> } = {}) {
  const response = await fetch(`${keyward.issuer}/admin/api/v1${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...options.headers,
    },
    ...(options.body !== undefined ? { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) } : {}),
  });
  const text = await response.text();
  const type = response.headers.get('content-type') ?? '';
  const json = type.includes('json') && !type.includes('jsonl') && text ? (JSON.parse(text) as Record<string, any>) : undefined; // eslint-disable-line @typescript-eslint/no-explicit-any
  return { status: response.status, headers: response.headers, type, text, json: json ?? {} };
}
