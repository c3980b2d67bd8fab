import type { OidcRecordStore } from '../stores/types.ts';

/**
 * Everything that keeps an account signed in somewhere: browser sessions, grants and the
 * tokens issued from them (oidc-provider model names, stored by the adapter).
 */
const SIGNED_IN_STATE = ['Session', 'Grant', 'AccessToken', 'JwtAccessToken', 'RefreshToken', 'AuthorizationCode'] as const;

/** Ends every session, grant and token of an account (after a password reset, by an operator). */
export async function revokeEverythingFor(store: OidcRecordStore, accountId: string): Promise<number> {
  return store.revokeByAccountId(accountId, SIGNED_IN_STATE);
}
