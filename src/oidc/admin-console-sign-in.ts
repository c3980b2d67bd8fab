import type { Provider } from 'oidc-provider';
import { constantTimeEqual } from '../lib/constant-time.ts';
import { hashToken, randomToken } from '../lib/ids.ts';
import { revokeGrant } from '../services/account-sessions.service.ts';
import { ADMIN_CONSOLE_CLIENT_ID } from '../services/admin/admin-console-client.ts';
import type { ConsoleSignIn } from '../services/admin-console-sessions.service.ts';
import type { OidcRecordStore } from '../stores/types.ts';

/** What the console keeps in the browser's UI session between the redirect and its callback. */
export interface ConsoleAuthorizationRequest {
  state: string;
  nonce: string;
  /** PKCE code verifier (RFC 7636 §4.1). */
  verifier: string;
}

export type ConsoleRedemption =
  | ({ outcome: 'signed_in' } & ConsoleSignIn)
  | { outcome: 'refused'; reason: 'unknown_code' | 'replayed' | 'wrong_client' | 'wrong_redirect' | 'wrong_verifier' | 'wrong_nonce' };

export const consoleRedirectUri = (issuer: string): string => `${issuer}/admin/callback`;

/** A fresh state, nonce and PKCE verifier, each 256 random bits. */
export function newConsoleAuthorizationRequest(): ConsoleAuthorizationRequest {
  return { state: randomToken(32), nonce: randomToken(32), verifier: randomToken(32) };
}

/**
 * The authorization request of the console, a public first-party client of Keyward: the code
 * flow with PKCE S256 (RFC 9700 §2.1.1), asking only `openid`. The admin signs in on Keyward's
 * own pages, with a second factor when the client's `require_mfa` asks for one.
 */
export function consoleAuthorizationUrl(issuer: string, request: ConsoleAuthorizationRequest): URL {
  const url = new URL(`${issuer}/auth`);
  url.search = new URLSearchParams({
    client_id: ADMIN_CONSOLE_CLIENT_ID,
    response_type: 'code',
    scope: 'openid',
    redirect_uri: consoleRedirectUri(issuer),
    code_challenge: hashToken(request.verifier),
    code_challenge_method: 'S256',
    state: request.state,
    nonce: request.nonce,
  }).toString();
  return url;
}

/**
 * Redeems the console's authorization code in this process, with the checks the token endpoint
 * makes (oidc-provider lib/actions/grants/authorization_code.js): the code is live and unused,
 * issued to the console for its redirect URI, and the verifier matches its S256 challenge
 * (RFC 7636 §4.6). It does not call the token endpoint over HTTP: behind a proxy, the server may
 * not be able to reach its own public issuer URL, and nothing would be gained by the round trip.
 *
 * A code presented again is refused and its grant revoked (RFC 6749 §4.1.2), as the token
 * endpoint does; so is one that loses a race, inside the adapter's atomic consume (adapter.ts).
 */
export async function redeemConsoleCode(
  deps: { provider: Provider; records: OidcRecordStore; issuer: string },
  code: string,
  request: ConsoleAuthorizationRequest,
): Promise<ConsoleRedemption> {
  const refused = (reason: Extract<ConsoleRedemption, { outcome: 'refused' }>['reason']) => ({ outcome: 'refused' as const, reason });
  // oidc-provider's opaque codes are 43 base64url characters; anything else cannot be one.
  if (!/^[A-Za-z0-9_-]{20,200}$/.test(code)) return refused('unknown_code');
  const found = await deps.provider.AuthorizationCode.find(code);
  if (!found) return refused('unknown_code');
  if (found.clientId !== ADMIN_CONSOLE_CLIENT_ID) return refused('wrong_client');
  if (found.redirectUri !== consoleRedirectUri(deps.issuer)) return refused('wrong_redirect');
  if (found.codeChallengeMethod !== 'S256' || typeof found.codeChallenge !== 'string' || !constantTimeEqual(hashToken(request.verifier), found.codeChallenge)) return refused('wrong_verifier');
  if (typeof found.nonce !== 'string' || !constantTimeEqual(found.nonce, request.nonce)) return refused('wrong_nonce');
  // Checked after the verifier: only the browser that asked for the code can, by replaying it, end
  // its grant — a used code found elsewhere (history, logs) must not sign the admin out.
  // `consumed` is in the payload (IN_PAYLOAD) but not in @types/oidc-provider's class.
  if ((found as unknown as { consumed?: unknown }).consumed) {
    if (found.grantId) await revokeGrant(deps.records, found.grantId);
    return refused('replayed');
  }
  try {
    await found.consume();
  } catch {
    // The adapter refused a second redemption that raced this one, and revoked the grant.
    return refused('replayed');
  }
  const { accountId, grantId, sessionUid } = found;
  if (!accountId || !grantId || !sessionUid) return refused('unknown_code');
  return {
    outcome: 'signed_in',
    accountId,
    grantId,
    sessionUid,
    amr: Array.isArray(found.amr) ? found.amr : [],
    acr: found.acr,
    authTime: found.authTime,
  };
}
