import * as oidc from 'openid-client';
import { DEMO_ACCOUNT } from '../../src/services/demo-data.service.ts';
import { TEST_WEB_CLIENT } from './test-server.ts';
import { signInAndConsent, UserAgent } from './user-agent.ts';

/** openid-client configured as the test web client against `issuer` (http allowed: loopback only). */
export function discoverTestClient(issuer: string): Promise<oidc.Configuration> {
  return oidc.discovery(new URL(issuer), TEST_WEB_CLIENT.client_id, TEST_WEB_CLIENT.client_secret, undefined, {
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
export async function startAuthorization(rp: oidc.Configuration, scope = 'openid'): Promise<StartedAuthorization> {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(rp, {
    redirect_uri: TEST_WEB_CLIENT.redirect_uris[0],
    scope,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  });
  return { url, verifier, state, nonce };
}

/** Redeems the code in `callback` with the checks openid-client makes (state, nonce, PKCE, ID token). */
export function redeem(rp: oidc.Configuration, started: StartedAuthorization, callback: URL) {
  return oidc.authorizationCodeGrant(rp, callback, { pkceCodeVerifier: started.verifier, expectedState: started.state, expectedNonce: started.nonce });
}

/** A whole code flow for the demo user: authorize, sign in and consent over HTTP, redeem. */
export async function completeCodeFlow(rp: oidc.Configuration, options: { scope?: string; agent?: UserAgent } = {}) {
  const started = await startAuthorization(rp, options.scope);
  const callback = await signInAndConsent(options.agent ?? new UserAgent(), started.url, DEMO_ACCOUNT);
  return redeem(rp, started, callback);
}
