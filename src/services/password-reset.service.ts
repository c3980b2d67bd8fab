import type { AccountStore, OidcRecordStore } from '../stores/types.ts';
import type { AccountMail } from './account-mail.service.ts';
import { revokeEverythingFor } from './account-sessions.service.ts';
import type { AuditTrail, RequestOrigin } from './audit.service.ts';
import type { EmailOwnership } from './email-ownership.service.ts';
import type { OneTimeLinks } from './one-time-links.service.ts';
import type { PasswordHasher } from './passwords.service.ts';
import type { Message } from '../lib/i18n.ts';
import { passwordProblemMessage as passwordProblem } from './password-policy.ts';
import type { Throttle } from './throttle.service.ts';

/** Reset links are valid 30 minutes (OWASP Forgot Password Cheat Sheet). */
export const RESET_LINK_TTL_SECONDS = 30 * 60;

export type ResetRequestResult = { outcome: 'requested' } | { outcome: 'throttled'; retryAfterSeconds: number };
export type ResetResult = { outcome: 'done' } | { outcome: 'invalid_password'; problem: Message } | { outcome: 'invalid_link' };

export interface PasswordResetService {
  /** Answers the same whether or not the email has an account (no user enumeration). */
  request(email: string, origin: RequestOrigin): Promise<ResetRequestResult>;
  canReset(token: string): Promise<boolean>;
  /** Sets the new password, then ends every session and refresh token of the account. */
  reset(token: string, newPassword: string, origin: RequestOrigin): Promise<ResetResult>;
}

export function createPasswordResetService(deps: {
  accounts: AccountStore;
  oidcRecords: OidcRecordStore;
  passwords: PasswordHasher;
  links: OneTimeLinks;
  mail: AccountMail;
  throttle: Throttle;
  audit: AuditTrail;
  ownership: EmailOwnership;
}): PasswordResetService {
  const { accounts, passwords, links, mail, throttle, audit } = deps;
  return {
    async request(email, origin) {
      const blocked = await throttle.checkRequest('reset', email, origin.ip);
      if (blocked) {
        await audit.record('password_reset_request', 'blocked', origin, { details: { reason: 'throttled' } });
        return { outcome: 'throttled', retryAfterSeconds: blocked.retryAfterSeconds };
      }
      const account = await accounts.findByEmail(email);
      if (account && !account.disabled) {
        await mail.resetPassword(account.email, await links.issue(account.id, 'reset_password', RESET_LINK_TTL_SECONDS), origin.locale);
        await audit.record('password_reset_request', 'success', origin, { accountId: account.id });
      } else {
        await audit.record('password_reset_request', 'failure', origin, { details: { reason: 'no such account' } });
      }
      return { outcome: 'requested' };
    },

    canReset: (token) => links.isUsable(token, 'reset_password'),

    async reset(token, newPassword, origin) {
      // Check the password first, so a refused password does not spend the link.
      const problem = passwordProblem(newPassword);
      if (problem) return { outcome: 'invalid_password', problem };
      const accountId = await links.redeem(token, 'reset_password');
      if (!accountId) {
        await audit.record('password_reset', 'failure', origin, { details: { reason: 'invalid link' } });
        return { outcome: 'invalid_link' };
      }
      const account = await accounts.findById(accountId);
      if (!account) return { outcome: 'invalid_link' };
      await accounts.setPasswordHash(accountId, await passwords.hash(newPassword));
      // The link came to the mailbox: the email is proven, and what was attached before the
      // proof (an unconfirmed account's upstream links) goes.
      await deps.ownership.proven(account, origin);
      await links.invalidateAll(accountId, 'reset_password');
      await links.invalidateAll(accountId, 'verify_email');
      const revoked = await revokeEverythingFor(deps.oidcRecords, accountId);
      await audit.record('password_reset', 'success', origin, { accountId, details: { revokedRecords: revoked } });
      return { outcome: 'done' };
    },
  };
}
