import type { AccountRecord, AccountStore, FederatedIdentityStore, OidcRecordStore } from '../stores/types.ts';
import type { AccountMail } from './account-mail.service.ts';
import { revokeEverythingFor } from './account-sessions.service.ts';
import type { AuditTrail, RequestOrigin } from './audit.service.ts';

export interface EmailOwnership {
  /**
   * A link sent to the account's address was used (email verification, password reset): the
   * person holds the mailbox. Until then the address was unproven, so anything attached to the
   * account before — upstream links, sessions, grants and tokens — may belong to someone who
   * merely typed the address first (account pre-takeover): it is removed, and the owner is
   * told what went. Resolves to what was removed.
   */
  proven(account: AccountRecord, origin: RequestOrigin): Promise<{ removedLinks: string[]; revokedRecords: number }>;
}

export function createEmailOwnership(deps: {
  accounts: AccountStore;
  identities: FederatedIdentityStore;
  oidcRecords: OidcRecordStore;
  mail: AccountMail;
  audit: AuditTrail;
}): EmailOwnership {
  const { accounts, identities, audit } = deps;
  return {
    async proven(account, origin) {
      await accounts.markEmailVerified(account.id);
      if (account.emailVerified) return { removedLinks: [], revokedRecords: 0 };
      const removedLinks: string[] = [];
      for (const identity of await identities.listForAccount(account.id)) {
        if (await identities.unlink(account.id, identity.upstream, identity.subject)) removedLinks.push(identity.upstream);
      }
      const revokedRecords = await revokeEverythingFor(deps.oidcRecords, account.id);
      await audit.record('email_ownership_proven', 'success', origin, { accountId: account.id, details: { removedLinks, revokedRecords } });
      if (removedLinks.length > 0 || revokedRecords > 0) await deps.mail.unprovenAccessRemoved(account.email, removedLinks, revokedRecords > 0);
      return { removedLinks, revokedRecords };
    },
  };
}
