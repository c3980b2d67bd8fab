import * as oidc from 'openid-client';
import { DEMO_ACCOUNT } from '../../src/services/demo-data.service.ts';
import { TEST_WEB_CLIENT } from './test-server.ts';
import { signInAndConsent, UserAgent } from './user-agent.ts';

interface TestClient {
  client_id: string;
  client_secret?: string;
  redirect_uris: readonly string[];
  id_token_signed_response_alg?: string;
}

/** openid-client configured as `client` (the test web client by default) against `issuer` (http allowed: loopback only). */
export function discoverTestClient(issuer: string, client: TestClient = TEST_WEB_CLIENT): Promise<oidc.Configuration> {
  const metadata = {
    redirect_uris: [...client.redirect_uris],
    ...(client.client_secret ? { client_secret: client.client_secret } : {}),
    ...(client.id_token_signed_response_alg ? { id_token_signed_response_alg: client.id_token_signed_response_alg } : {}),
  };
  const authentication = client.client_secret ? oidc.ClientSecretBasic(client.client_secret) : oidc.None();
  return oidc.discovery(new URL(issuer), client.client_id, metadata, authentication, {
    execute: [oidc.allowInsecureRequests],
  });
}

export interface StartedAuthorization {
  url: URL;
  verifier: string;
  state: string;
  nonce: string;
}

/** An authorization request with PKCE S256, state and nonce, as a careful relying party sends it. */
export async function startAuthorization(rp: oidc.Configuration, scope = 'openid', extra: Record<string, string> = {}): Promise<StartedAuthorization> {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(rp, {
    redirect_uri: String((rp.clientMetadata().redirect_uris as string[] | undefined)?.[0] ?? TEST_WEB_CLIENT.redirect_uris[0]),
    scope,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...extra,
  });
  return { url, verifier, state, nonce };
}

/** Redeems the code in `callback` with the checks openid-client makes (state, nonce, PKCE, ID token). */
export function redeem(rp: oidc.Configuration, started: StartedAuthorization, callback: URL) {
  return oidc.authorizationCodeGrant(rp, callback, { pkceCodeVerifier: started.verifier, expectedState: started.state, expectedNonce: started.nonce });
}

/** A whole code flow (the demo user unless `credentials` say another): authorize, sign in and consent over HTTP, redeem. */
export async function completeCodeFlow(rp: oidc.Configuration, options: { scope?: string; agent?: UserAgent; extra?: Record<string, string>; credentials?: { email: string; password: string } } = {}) {
  const started = await startAuthorization(rp, options.scope, options.extra);
  const callback = await signInAndConsent(options.agent ?? new UserAgent(), started.url, options.credentials ?? DEMO_ACCOUNT);
  return redeem(rp, started, callback);
}

/** RP-initiated logout through Keyward's confirmation page; returns the final redirect. */
export async function signOut(agent: UserAgent, rp: oidc.Configuration, idToken: string, postLogoutRedirectUri: string): Promise<Response> {
  const endSession = oidc.buildEndSessionUrl(rp, { id_token_hint: idToken, post_logout_redirect_uri: postLogoutRedirectUri, state: 'bye' });
  const page = await agent.get(endSession);
  const html = await page.text();
  if (page.status !== 200 || !html.includes('Sign out?')) throw new Error(`expected the sign-out page, got ${page.status}`);
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(html)![1]!;
  const action = new URL(/action="([^"]+)"/.exec(html)![1]!, endSession.origin);
  return agent.postForm(action, { xsrf, logout: 'yes' });
}
