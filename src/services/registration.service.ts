import { emailSchema } from './email-address.ts';
import type { AccountStore } from '../stores/types.ts';
import type { AccountMail } from './account-mail.service.ts';
import type { EmailOwnership } from './email-ownership.service.ts';
import type { AuditTrail, RequestOrigin } from './audit.service.ts';
import type { OneTimeLinks } from './one-time-links.service.ts';
import { RESET_LINK_TTL_SECONDS } from './password-reset.service.ts';
import type { PasswordHasher } from './passwords.service.ts';
import type { Message } from '../lib/i18n.ts';
import { passwordProblemMessage as passwordProblem } from './password-policy.ts';
import type { Throttle } from './throttle.service.ts';

export type FieldErrors = Partial<Record<'email' | 'password' | 'name', Message>>;

export type RegistrationResult =
  /** The same answer whether the email was new or taken: a mail went out either way. */
  | { outcome: 'check_email' }
  | { outcome: 'invalid'; errors: FieldErrors }
  | { outcome: 'throttled'; retryAfterSeconds: number };

export { emailSchema } from './email-address.ts';

export type VerificationResult =
  | { outcome: 'verified'; accountId: string }
  | { outcome: 'invalid_link' }
  /** Not the password of the account the link is for: who confirms must be who chose it. */
  | { outcome: 'wrong_password' }
  | { outcome: 'throttled'; retryAfterSeconds: number };

export interface RegistrationService {
  register(input: { email: string; password: string; name?: string }, origin: RequestOrigin): Promise<RegistrationResult>;
  /**
   * Confirms the email of the account the link is for, given that account's password: a link
   * alone would let the mailbox owner bless a password someone else chose when they
   * registered the address first (account pre-takeover).
   */
  verifyEmail(token: string, password: string, origin: RequestOrigin): Promise<VerificationResult>;
  canVerifyEmail(token: string): Promise<boolean>;
}

export function createRegistrationService(deps: {
  accounts: AccountStore;
  passwords: PasswordHasher;
  links: OneTimeLinks;
  mail: AccountMail;
  throttle: Throttle;
  audit: AuditTrail;
  ownership: EmailOwnership;
  verificationTtlSeconds: number;
}): RegistrationService {
  const { accounts, passwords, links, mail, throttle, audit } = deps;

  const validate = (input: { email: string; password: string; name?: string }): FieldErrors => {
    const errors: FieldErrors = {};
    if (!emailSchema.safeParse(input.email).success) errors.email = 'validation.invalidEmail';
    const problem = passwordProblem(input.password, { email: input.email });
    if (problem) errors.password = problem;
    if (input.name !== undefined && input.name.length > 100) errors.name = { key: 'validation.tooLong', params: { count: 100 } };
    return errors;
  };

  return {
    async register(input, origin) {
      const errors = validate(input);
      if (Object.keys(errors).length > 0) return { outcome: 'invalid', errors };
      const blocked = await throttle.checkRequest('register', input.email, origin.ip);
      if (blocked) {
        await audit.record('registration', 'blocked', origin, { details: { reason: 'throttled' } });
        return { outcome: 'throttled', retryAfterSeconds: blocked.retryAfterSeconds };
      }
      // Hash before looking the email up, so that new and taken emails cost the same time.
      const passwordHash = await passwords.hash(input.password);
      const created = await accounts.create({ email: input.email, emailVerified: false, name: input.name || undefined, passwordHash, roles: [] });
      if (created) {
        await mail.verifyEmail(created.email, await links.issue(created.id, 'verify_email', deps.verificationTtlSeconds), origin.locale);
        await audit.record('registration', 'success', origin, { accountId: created.id });
        return { outcome: 'check_email' };
      }
      // Taken (also when another registration won a race): tell the owner, not the visitor.
      const owner = await accounts.findByEmail(input.email);
      if (owner) {
        const token = owner.emailVerified ? undefined : await links.issue(owner.id, 'reset_password', RESET_LINK_TTL_SECONDS);
        await mail.accountExists(owner.email, token, origin.locale);
        await audit.record('registration', 'denied', origin, { accountId: owner.id, details: { reason: 'email already registered' } });
      }
      return { outcome: 'check_email' };
    },

    async verifyEmail(token, password, origin) {
      const ownerId = await links.ownerOf(token, 'verify_email');
      const account = ownerId ? await accounts.findById(ownerId) : undefined;
      if (!account) {
        await audit.record('email_verification', 'failure', origin, { details: { reason: 'invalid link' } });
        return { outcome: 'invalid_link' };
      }
      // Password guesses here count like failed sign-ins of the account.
      const reservation = await throttle.reserveSignIn(account.email, origin.ip);
      if (reservation.blocked) return { outcome: 'throttled', retryAfterSeconds: reservation.blocked.retryAfterSeconds };
      const matches = account.passwordHash ? await passwords.verify(account.passwordHash, password) : await passwords.verifyDummy(password).then(() => false);
      if (!matches) {
        await audit.record('email_verification', 'failure', origin, { accountId: account.id, details: { reason: 'wrong password' } });
        return { outcome: 'wrong_password' };
      }
      if ((await links.redeem(token, 'verify_email')) !== account.id) return { outcome: 'invalid_link' };
      await throttle.recordSignInSuccess(account.email, origin.ip);
      await deps.ownership.proven(account, origin);
      await audit.record('email_verification', 'success', origin, { accountId: account.id });
      return { outcome: 'verified', accountId: account.id };
    },

    canVerifyEmail: (token) => links.isUsable(token, 'verify_email'),
  };
}
