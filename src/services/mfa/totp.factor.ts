import type { Clock } from '../../lib/clock.ts';
import type { AuthenticatorStore } from '../../stores/types.ts';
import type { AuditTrail } from '../audit.service.ts';
import type { Throttle } from '../throttle.service.ts';
import type { SignInFactor } from './factor.ts';
import { matchTotpStep } from './totp.ts';

/** A code from the account's authenticator app (RFC 6238), accepted once. */
export function createTotpFactor(deps: { authenticators: AuthenticatorStore; throttle: Throttle; audit: AuditTrail; clock: Clock }): SignInFactor<{ code: string }> {
  const { authenticators, throttle, audit } = deps;
  return {
    async verify({ code }, { accountId, origin, clientId }) {
      if (!accountId) return { outcome: 'failed' };
      // Six digits: without a limit counted before the check, they fall to guessing.
      const reservation = await throttle.reserveStep('second-factor', accountId, origin.ip);
      if (reservation.blocked) {
        await audit.record('second_factor', 'blocked', origin, { accountId, clientId, details: { method: 'totp' } });
        return { outcome: 'throttled', retryAfterSeconds: reservation.blocked.retryAfterSeconds };
      }
      const now = deps.clock.now();
      for (const app of await authenticators.listForAccount(accountId)) {
        if (app.kind !== 'totp' || !app.confirmed) continue;
        const step = matchTotpStep(app.secret, code, now);
        if (step === undefined) continue;
        // Recorded atomically: a code (or an older one) seen once is refused (RFC 6238 §5.2).
        if (!(await authenticators.useTotpStep(app.id, step))) {
          await audit.record('second_factor', 'failure', origin, { accountId, clientId, details: { method: 'totp', reason: 'code already used' } });
          return { outcome: 'failed' };
        }
        await throttle.recordStepSuccess('second-factor', accountId, origin.ip);
        await audit.record('second_factor', 'success', origin, { accountId, clientId, details: { method: 'totp' } });
        return { outcome: 'passed', accountId, amr: ['otp'] };
      }
      await audit.record('second_factor', 'failure', origin, { accountId, clientId, details: { method: 'totp' } });
      if (reservation.lastAttempt) await audit.record('lockout', 'blocked', origin, { accountId, clientId, details: { step: 'second-factor' } });
      return { outcome: 'failed' };
    },
  };
}
