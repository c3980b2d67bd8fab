import type { Clock } from '../../lib/clock.ts';
import { randomToken } from '../../lib/ids.ts';
import { normalizeEmail, type AccountRecord, type AccountStore, type OidcRecordStore } from '../../stores/types.ts';
import { revokeEverythingFor } from '../account-sessions.service.ts';
import type { AuditTrail, RequestOrigin } from '../audit.service.ts';
import type { Mailer } from '../mail.service.ts';
import { hashToken } from '../one-time-links.service.ts';

const CHANGE = 'KeywardEmailChange';
const UNDO = 'KeywardEmailUndo';
/** The new address must be confirmed within a day. */
const CHANGE_TTL_MS = 24 * 3600_000;
/** The old address can take the change back for a week (someone else may have made it). */
export const UNDO_TTL_MS = 7 * 24 * 3600_000;

export type EmailChangeResult = 'changed' | 'invalid' | 'taken';

/**
 * Changing an account's email: the new address proves itself with a link (it becomes the
 * sign-in address only then), and the old one is told, with a link that undoes the change and
 * signs everyone out — the owner's way back if a stolen session made the change. Tokens are
 * stored hashed and taken once, server-side.
 */
export function createEmailChange(deps: { accounts: AccountStore; records: OidcRecordStore; mailer: Mailer; audit: AuditTrail; clock: Clock; issuer: string; productName: string }) {
  const { accounts, records, mailer, audit, clock, issuer, productName } = deps;
  const take = async (model: string, token: string) => {
    if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return undefined;
    const id = hashToken(token);
    if (!(await records.consume(model, id))) return undefined;
    const record = await records.find(model, id);
    await records.destroy(model, id);
    return record;
  };

  return {
    /**
     * Mails the new address a confirmation link. An address another account has gets a mail
     * saying so instead, and the page answers the same (no enumeration).
     */
    async request(account: AccountRecord, newEmail: string, origin: RequestOrigin): Promise<void> {
      if (normalizeEmail(newEmail) === account.emailNormalized) return;
      if (await accounts.findByEmail(newEmail)) {
        await mailer.send({ to: newEmail, subject: `This address already has a ${productName} account`, text: `Someone asked to move a ${productName} account to this address, which another account already uses. Nothing was changed. If it was you, sign in to the account that has this address instead.` });
        return;
      }
      const token = randomToken(32);
      await records.upsert(CHANGE, hashToken(token), { accountId: account.id, oldEmail: account.email, newEmail }, clock.now() + CHANGE_TTL_MS);
      const link = `${issuer}/account/email/confirm?token=${token}`;
      await mailer.send({ to: newEmail, link, subject: `Confirm your new email for ${productName}`, text: `Confirm that this is your account's new email address:\n\n${link}\n\nIt works once and expires in 24 hours. Until then you keep signing in with ${account.email}. If you did not ask for this, ignore this mail.` });
      await audit.record('email_change', 'info', origin, { accountId: account.id, details: { step: 'requested' } });
    },

    async confirm(token: string, origin: RequestOrigin): Promise<EmailChangeResult> {
      const change = await take(CHANGE, token);
      if (typeof change?.accountId !== 'string' || typeof change.newEmail !== 'string' || typeof change.oldEmail !== 'string') return 'invalid';
      const account = await accounts.findById(change.accountId);
      // The account changed address meanwhile: this link was for the address it had then.
      if (account?.email !== change.oldEmail) return 'invalid';
      if (!(await accounts.setEmail(account.id, change.newEmail, true))) return 'taken';
      const undo = randomToken(32);
      await records.upsert(UNDO, hashToken(undo), { accountId: account.id, oldEmail: change.oldEmail, newEmail: change.newEmail }, clock.now() + UNDO_TTL_MS);
      const link = `${issuer}/account/email/undo?token=${undo}`;
      await mailer.send({ to: change.oldEmail, link, subject: `The email of your ${productName} account changed`, text: `Your account now signs in with ${change.newEmail} instead of this address.\n\nIf you did not do this, take it back with this link (within 7 days); it also signs everyone out:\n\n${link}` });
      await audit.record('email_change', 'success', origin, { accountId: account.id, details: { step: 'confirmed' } });
      return 'changed';
    },

    /** The old address takes the change back: its address again, and every session ends. */
    async undo(token: string, origin: RequestOrigin): Promise<EmailChangeResult> {
      const undo = await take(UNDO, token);
      if (typeof undo?.accountId !== 'string' || typeof undo.oldEmail !== 'string') return 'invalid';
      if (!(await accounts.setEmail(undo.accountId, undo.oldEmail, true))) return 'taken';
      await revokeEverythingFor(records, undo.accountId);
      await audit.record('email_change', 'success', origin, { accountId: undo.accountId, details: { step: 'undone' } });
      return 'changed';
    },
  };
}

export type EmailChange = ReturnType<typeof createEmailChange>;
