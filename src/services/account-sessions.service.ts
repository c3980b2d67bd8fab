import type { OidcRecordStore } from '../stores/types.ts';

/**
 * Everything that keeps an account signed in somewhere, or is about to: browser sessions,
 * grants and the tokens issued from them (oidc-provider model names, stored by the adapter),
 * interactions that hold a finished login, and Keyward's pending sign-ins and links.
 */
const SIGNED_IN_STATE = [
  'Session', 'Grant', 'AccessToken', 'JwtAccessToken', 'RefreshToken', 'AuthorizationCode',
  'Interaction', 'KeywardFederatedSignIn', 'KeywardPendingLink',
  // A sign-in part-way through its steps, and a recent re-authentication (services/mfa).
  'KeywardSignInProgress', 'KeywardRecentAuthentication',
  // What the account center shows of each browser session (account-center/devices.service.ts).
  'KeywardSessionDevice',
  // A signed-in admin console (services/admin-console-sessions.service.ts).
  'KeywardAdminConsoleSession',
] as const;

/** The records issued from a grant (oidc-provider model names; the JWT access tokens' own model). */
export const GRANT_MEMBERS = ['AccessToken', 'JwtAccessToken', 'RefreshToken', 'AuthorizationCode'] as const;

/** Ends a grant and every code and token issued from it. */
export async function revokeGrant(store: OidcRecordStore, grantId: string): Promise<void> {
  await Promise.all([...GRANT_MEMBERS.map((model) => store.revokeByGrantId(model, grantId)), store.destroy('Grant', grantId)]);
}

/** Ends every session, grant and token of an account (after a password reset, by an operator). */
export async function revokeEverythingFor(store: OidcRecordStore, accountId: string): Promise<number> {
  return store.revokeByAccountId(accountId, SIGNED_IN_STATE);
}
