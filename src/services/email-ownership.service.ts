import type { AccountRecord, AccountStore, AuthenticatorStore, FederatedIdentityStore, OidcRecordStore, RecoveryCodeStore } from '../stores/types.ts';
import type { AccountMail } from './account-mail.service.ts';
import { revokeEverythingFor } from './account-sessions.service.ts';
import type { AuditTrail, RequestOrigin } from './audit.service.ts';

export interface EmailOwnership {
  /**
   * A link sent to the account's address was used (email verification, password reset): the
   * person holds the mailbox. Until then the address was unproven, so anything attached to the
   * account before — upstream links, passkeys and second factors, sessions, grants and
   * tokens — may belong to someone who
   * merely typed the address first (account pre-takeover): it is removed, and the owner is
   * told what went. Resolves to what was removed.
   */
  proven(account: AccountRecord, origin: RequestOrigin): Promise<{ removedLinks: string[]; removedFactors: number; revokedRecords: number }>;
}

export function createEmailOwnership(deps: {
  accounts: AccountStore;
  identities: FederatedIdentityStore;
  oidcRecords: OidcRecordStore;
  authenticators: AuthenticatorStore;
  recoveryCodes: RecoveryCodeStore;
  mail: AccountMail;
  audit: AuditTrail;
}): EmailOwnership {
  const { accounts, identities, audit } = deps;
  return {
    async proven(account, origin) {
      await accounts.markEmailVerified(account.id);
      if (account.emailVerified) return { removedLinks: [], removedFactors: 0, revokedRecords: 0 };
      const removedLinks: string[] = [];
      for (const identity of await identities.listForAccount(account.id)) {
        if (await identities.unlink(account.id, identity.upstream, identity.subject)) removedLinks.push(identity.upstream);
      }
      // A passkey enrolled by whoever typed the address first would sign them in with no password.
      const removedFactors = await deps.authenticators.removeAll(account.id);
      await deps.recoveryCodes.removeAll(account.id);
      const revokedRecords = await revokeEverythingFor(deps.oidcRecords, account.id);
      await audit.record('email_ownership_proven', 'success', origin, { accountId: account.id, details: { removedLinks, removedFactors, revokedRecords } });
      if (removedLinks.length > 0 || removedFactors > 0 || revokedRecords > 0) await deps.mail.unprovenAccessRemoved(account.email, removedLinks, removedFactors, revokedRecords > 0, origin.locale);
      return { removedLinks, removedFactors, revokedRecords };
    },
  };
}
