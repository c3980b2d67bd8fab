import type { AccountStore, AuthenticatorStore, FederatedIdentityStore, OidcRecordStore, RecoveryCodeStore } from '../../stores/types.ts';
import { revokeEverythingFor } from '../account-sessions.service.ts';

/**
 * Removes an account and everything that could sign it in again: sessions, grants and tokens,
 * passkeys and authenticator apps, recovery codes, upstream links. The owner (account center)
 * and an administrator delete through this one function.
 */
export async function eraseAccount(
  deps: { accounts: AccountStore; records: OidcRecordStore; authenticators: AuthenticatorStore; recoveryCodes: RecoveryCodeStore; identities: FederatedIdentityStore },
  accountId: string,
): Promise<void> {
  await revokeEverythingFor(deps.records, accountId);
  await deps.authenticators.removeAll(accountId);
  await deps.recoveryCodes.removeAll(accountId);
  for (const identity of await deps.identities.listForAccount(accountId)) await deps.identities.unlink(accountId, identity.upstream, identity.subject);
  await deps.accounts.remove(accountId);
}
