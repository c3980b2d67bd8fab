import type { Clock } from '../../lib/clock.ts';
import type { Locale, Translate } from '../../lib/i18n.ts';
import { hashToken, randomToken } from '../../lib/ids.ts';
import { normalizeEmail, type AccountRecord, type AccountStore, type AuthenticatorStore, type OidcRecordStore } from '../../stores/types.ts';
import { revokeEverythingFor } from '../account-sessions.service.ts';
import type { AuditTrail, RequestOrigin } from '../audit.service.ts';
import type { Mailer } from '../mail.service.ts';
import { takeRecord } from '../single-use-records.ts';

const CHANGE = 'KeywardEmailChange';
const UNDO = 'KeywardEmailUndo';
/** The new address must be confirmed within a day. */
const CHANGE_TTL_MS = 24 * 3600_000;
/** The old address can take the change back for a week (someone else may have made it). */
export const UNDO_TTL_MS = 7 * 24 * 3600_000;

export type EmailChangeResult = 'changed' | 'invalid' | 'taken';
/** `locked`: the address changed recently, and the old one can still take it back. */
export type EmailChangeRequest = 'sent' | 'locked';

/**
 * Changing an account's email: the new address proves itself with a link (it becomes the
 * sign-in address only then), and the old one is told, with a link that undoes the change and
 * signs everyone out — the owner's way back if a stolen session made the change. Tokens are
 * stored hashed and taken once, server-side.
 *
 * So that the way back holds against whoever holds the session: an account has at most one
 * pending change (a new request replaces it); while an undo link is live no further change is
 * made (a chain of changes would send later undo links to the thief's own mailboxes); and the
 * undo ends every pending link, signs everyone out even when it cannot restore the address, takes
 * the address back from an unconfirmed account that registered it meanwhile, and removes the
 * passkeys and apps added since the change.
 */
export function createEmailChange(deps: { accounts: AccountStore; records: OidcRecordStore; authenticators: AuthenticatorStore; mailer: Mailer; translate: (locale: Locale | undefined) => Translate; audit: AuditTrail; clock: Clock; issuer: string; productName: string }) {
  const { accounts, records, mailer, audit, clock, issuer, productName } = deps;
  const pending = async (model: string, accountId: string) => records.listByAccountId(model, accountId, 100);
  const dropAll = async (model: string, accountId: string) => {
    for (const { id } of await pending(model, accountId)) await records.destroy(model, id);
  };
  const take = async (model: string, token: string) => {
    if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return undefined;
    return takeRecord(records, model, hashToken(token));
  };

  return {
    /**
     * Mails the new address a confirmation link. An address another account has gets a mail
     * saying so instead, and the page answers the same (no enumeration).
     */
    async request(account: AccountRecord, newEmail: string, origin: RequestOrigin): Promise<EmailChangeRequest> {
      if ((await pending(UNDO, account.id)).length > 0) return 'locked';
      if (normalizeEmail(newEmail) === account.emailNormalized) return 'sent';
      if (await accounts.findByEmail(newEmail)) {
        const t = deps.translate(origin.locale);
        await mailer.send({ to: newEmail, subject: t('mail.emailTaken.subject', { productName }), text: t('mail.emailTaken.text', { productName }) });
        return 'sent';
      }
      // One pending change per account: an earlier link stops working.
      await dropAll(CHANGE, account.id);
      const token = randomToken(32);
      await records.upsert(CHANGE, hashToken(token), { accountId: account.id, oldEmail: account.email, newEmail }, clock.now() + CHANGE_TTL_MS);
      const link = `${issuer}/account/email/confirm?token=${token}`;
      const t = deps.translate(origin.locale);
      await mailer.send({ to: newEmail, link, subject: t('mail.confirmNewEmail.subject', { productName }), text: t('mail.confirmNewEmail.text', { link, email: account.email }) });
      await audit.record('email_change', 'info', origin, { accountId: account.id, details: { step: 'requested' } });
      return 'sent';
    },

    async confirm(token: string, origin: RequestOrigin): Promise<EmailChangeResult> {
      const change = await take(CHANGE, token);
      if (typeof change?.accountId !== 'string' || typeof change.newEmail !== 'string' || typeof change.oldEmail !== 'string') return 'invalid';
      const account = await accounts.findById(change.accountId);
      // The account changed address meanwhile (this link was for the address it had then), or an
      // undo window is open: no change on top of it.
      if (account?.email !== change.oldEmail || (await pending(UNDO, account.id)).length > 0) return 'invalid';
      if (!(await accounts.setEmail(account.id, change.newEmail, true))) return 'taken';
      await dropAll(CHANGE, account.id);
      const undo = randomToken(32);
      await records.upsert(UNDO, hashToken(undo), { accountId: account.id, oldEmail: change.oldEmail, newEmail: change.newEmail, changedAt: clock.now() }, clock.now() + UNDO_TTL_MS);
      const link = `${issuer}/account/email/undo?token=${undo}`;
      const t = deps.translate(origin.locale);
      await mailer.send({ to: change.oldEmail, link, subject: t('mail.emailChanged.subject', { productName }), text: t('mail.emailChanged.text', { link, email: change.newEmail }) });
      await audit.record('email_change', 'success', origin, { accountId: account.id, details: { step: 'confirmed' } });
      return 'changed';
    },

    /** The old address takes the change back: its address again, and every session ends. */
    async undo(token: string, origin: RequestOrigin): Promise<EmailChangeResult> {
      const undo = await take(UNDO, token);
      if (typeof undo?.accountId !== 'string' || typeof undo.oldEmail !== 'string') return 'invalid';
      const accountId = undo.accountId;
      // Whatever happens next, whoever made the change is signed out and holds no pending link.
      await revokeEverythingFor(records, accountId);
      await Promise.all([dropAll(CHANGE, accountId), dropAll(UNDO, accountId)]);
      const changedAt = typeof undo.changedAt === 'number' ? undo.changedAt : 0;
      for (const factor of await deps.authenticators.listForAccount(accountId)) {
        if (factor.createdAt >= changedAt) await deps.authenticators.remove(accountId, factor.id);
      }
      let restored = await accounts.setEmail(accountId, undo.oldEmail, true);
      if (!restored) {
        // An unconfirmed account that took the freed address meanwhile never proved it: the
        // owner, who just did (this link came to that mailbox), takes it back.
        const squatter = await accounts.findByEmail(undo.oldEmail);
        if (squatter && squatter.id !== accountId && !squatter.emailVerified) {
          await revokeEverythingFor(records, squatter.id);
          await accounts.remove(squatter.id);
          restored = await accounts.setEmail(accountId, undo.oldEmail, true);
        }
      }
      await audit.record('email_change', restored ? 'success' : 'failure', origin, { accountId, details: { step: 'undone' } });
      return restored ? 'changed' : 'taken';
    },
  };
}

export type EmailChange = ReturnType<typeof createEmailChange>;
