import type { RequestOrigin } from '../audit.service.ts';
import type { MethodReference } from './mfa-policy.ts';

/** What checking one proof of identity gave. */
export type FactorOutcome =
  | { outcome: 'passed'; accountId: string; amr: MethodReference[] }
  /** Wrong, replayed, unknown or not this account's: one answer (no enumeration). */
  | { outcome: 'failed' }
  | { outcome: 'throttled'; retryAfterSeconds: number };

export interface FactorAttempt {
  /** The account the sign-in already identified (a second factor); undefined for a first factor. */
  accountId: string | undefined;
  origin: RequestOrigin;
  clientId: string | undefined;
}

/**
 * One way to prove who someone is (DESIGN.md, "Sign-in in steps"). A TOTP code, a recovery
 * code and a passkey are modules implementing this; the password (sign-in.service.ts) and an
 * upstream (federation/) end in the same FactorOutcome. Each factor throttles before it checks,
 * and audits what happened.
 */
export interface SignInFactor<Proof> {
  verify(proof: Proof, attempt: FactorAttempt): Promise<FactorOutcome>;
}
