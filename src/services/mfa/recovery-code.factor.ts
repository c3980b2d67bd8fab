import type { Locale } from '../../lib/i18n.ts';
import type { RecoveryCodeStore } from '../../stores/types.ts';
import type { AuditTrail } from '../audit.service.ts';
import type { Throttle } from '../throttle.service.ts';
import type { SignInFactor } from './factor.ts';
import { hashRecoveryCode, normaliseRecoveryCode } from './recovery-codes.ts';

/** One of the account's single-use recovery codes; each use is audited and mailed to the owner. */
export function createRecoveryCodeFactor(deps: {
  recoveryCodes: RecoveryCodeStore;
  recoveryCodeKey: string;
  throttle: Throttle;
  audit: AuditTrail;
  /** Tells the owner a code was used and how many are left. */
  notifyOwner: (accountId: string, remaining: number, locale?: Locale) => Promise<void>;
}): SignInFactor<{ code: string }> {
  const { recoveryCodes, throttle, audit } = deps;
  return {
    async verify({ code }, { accountId, origin, clientId }) {
      if (!accountId) return { outcome: 'failed' };
      // Counted with the authenticator-app codes: one budget of guesses per account.
      const reservation = await throttle.reserveStep('second-factor', accountId, origin.ip);
      if (reservation.blocked) {
        await audit.record('second_factor', 'blocked', origin, { accountId, clientId, details: { method: 'recovery_code' } });
        return { outcome: 'throttled', retryAfterSeconds: reservation.blocked.retryAfterSeconds };
      }
      const normalised = normaliseRecoveryCode(code);
      // consume() is atomic: a code used twice at once works once.
      if (!normalised || !(await recoveryCodes.consume(accountId, hashRecoveryCode(deps.recoveryCodeKey, accountId, normalised)))) {
        await audit.record('second_factor', 'failure', origin, { accountId, clientId, details: { method: 'recovery_code' } });
        if (reservation.lastAttempt) await audit.record('lockout', 'blocked', origin, { accountId, clientId, details: { step: 'second-factor' } });
        return { outcome: 'failed' };
      }
      await throttle.recordStepSuccess('second-factor', accountId, origin.ip);
      const remaining = await recoveryCodes.remaining(accountId);
      await audit.record('recovery_code_used', 'success', origin, { accountId, clientId, details: { remaining } });
      await deps.notifyOwner(accountId, remaining, origin.locale);
      // RFC 8176 has no value of its own for recovery codes: they are one-time passwords.
      return { outcome: 'passed', accountId, amr: ['otp'] };
    },
  };
}
