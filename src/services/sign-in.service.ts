import type { AccountRecord, AccountStore } from '../stores/types.ts';
import type { AccountService } from './accounts.service.ts';
import type { AuditTrail, RequestOrigin } from './audit.service.ts';
import type { Throttle } from './throttle.service.ts';

export type SignInResult =
  | { outcome: 'signed_in'; account: AccountRecord }
  /** Unknown email, wrong password and disabled account alike (no user enumeration). */
  | { outcome: 'invalid' }
  | { outcome: 'throttled'; retryAfterSeconds: number }
  /** Right password, but sign-in requires a verified email and this one is not. */
  | { outcome: 'unverified' };

export interface SignInService {
  signIn(credentials: { email: string; password: string }, origin: RequestOrigin, clientId?: string): Promise<SignInResult>;
}

export function createSignInService(deps: {
  accounts: AccountService;
  accountStore: AccountStore;
  throttle: Throttle;
  audit: AuditTrail;
  requireVerifiedEmail: boolean;
}): SignInService {
  const { accounts, throttle, audit } = deps;
  return {
    async signIn({ email, password }, origin, clientId) {
      const reservation = await throttle.reserveSignIn(email, origin.ip);
      if (reservation.blocked) {
        await audit.record('sign_in', 'blocked', origin, { clientId, details: { reason: 'throttled' } });
        return { outcome: 'throttled', retryAfterSeconds: reservation.blocked.retryAfterSeconds };
      }
      const account = await accounts.authenticate(email, password);
      if (!account) {
        const known = await deps.accountStore.findByEmail(email);
        await audit.record('sign_in', 'failure', origin, { accountId: known?.id, clientId });
        if (reservation.lastAttempt) await audit.record('lockout', 'blocked', origin, { accountId: known?.id, clientId });
        return { outcome: 'invalid' };
      }
      if (deps.requireVerifiedEmail && !account.emailVerified) {
        await audit.record('sign_in', 'denied', origin, { accountId: account.id, clientId, details: { reason: 'email not verified' } });
        return { outcome: 'unverified' };
      }
      await throttle.recordSignInSuccess(email, origin.ip);
      await audit.record('sign_in', 'success', origin, { accountId: account.id, clientId });
      return { outcome: 'signed_in', account };
    },
  };
}
