import type { Config } from '../config/schema.ts';
import { clientNetwork } from '../lib/client-network.ts';
import { normalizeEmail, type ThrottleStore } from '../stores/types.ts';

/** Over a limit: how long to wait, in whole seconds (for Retry-After, RFC 9110 §10.2.3). */
export interface Blocked {
  retryAfterSeconds: number;
}

/** A sign-in attempt counted before its password is checked. */
export type SignInReservation =
  | { blocked: Blocked }
  /** `lastAttempt`: the account has no attempt left in this window if this one fails. */
  | { blocked: undefined; lastAttempt: boolean };

export interface Throttle {
  /**
   * Counts a sign-in attempt against the account and the IP *before* the password is checked,
   * atomically in the store, so that concurrent attempts cannot all pass a check made before
   * any of them is counted: over either limit, the attempt is blocked and nothing is verified.
   */
  reserveSignIn(email: string, ip: string): Promise<SignInReservation>;
  /** A successful sign-in clears the account's attempts and gives the IP its attempt back. */
  recordSignInSuccess(email: string, ip: string): Promise<void>;
  /**
   * The same, for a later step of a sign-in (a second factor, a passkey): counted against the
   * subject (an account, a credential) and the IP before the proof is checked.
   */
  reserveStep(step: SignInStep, subject: string, ip: string): Promise<SignInReservation>;
  /** A step passed: the subject's failures are forgotten and the IP gets its attempt back. */
  recordStepSuccess(step: SignInStep, subject: string, ip: string): Promise<void>;
  /**
   * A short exclusive hold on `name`, shared by every replica (the store's atomic counter):
   * resolves a release function, or undefined while someone else holds it. A holder that
   * crashes lets go when `ms` runs out.
   */
  tryHold(name: string, ms: number): Promise<(() => Promise<void>) | undefined>;
  /** Counts a registration, verification or reset request; blocked when over the limit. */
  checkRequest(kind: 'register' | 'reset' | 'verify', email: string, ip: string): Promise<Blocked | undefined>;
}

/** Sign-in steps counted apart from each other: failing one never locks another. */
export type SignInStep = 'second-factor' | 'passkey' | 'reauthenticate';

/** Fixed-window limits over counters in the store, so that every replica shares them. */
export function createThrottle(store: ThrottleStore, limits: Config['throttle'], now: () => number): Throttle {
  const signInWindow = limits.signInWindowSeconds * 1000;
  const requestWindow = limits.requestsWindowSeconds * 1000;
  const subjectKey = (step: string, subject: string) => `${step}:account:${subject}`;
  const ipKey = (step: string, ip: string) => `${step}:ip:${clientNetwork(ip)}`;
  const blocked = (resetAt: number): Blocked => ({ retryAfterSeconds: Math.max(1, Math.ceil((resetAt - now()) / 1000)) });
  const reserve = async (step: string, subject: string, ip: string): Promise<SignInReservation> => {
    const [bySubject, byIp] = await Promise.all([store.hit(subjectKey(step, subject), signInWindow), store.hit(ipKey(step, ip), signInWindow)]);
    if (bySubject.count > limits.signInPerAccount) return { blocked: blocked(bySubject.resetAt) };
    if (byIp.count > limits.signInPerIp) return { blocked: blocked(byIp.resetAt) };
    return { blocked: undefined, lastAttempt: bySubject.count === limits.signInPerAccount };
  };
  // Only failures should count against an address shared by many people (an office NAT).
  const succeeded = async (step: string, subject: string, ip: string) => {
    await Promise.all([store.reset(subjectKey(step, subject)), store.release(ipKey(step, ip))]);
  };

  return {
    reserveSignIn: (email, ip) => reserve('sign-in', normalizeEmail(email), ip),
    recordSignInSuccess: (email, ip) => succeeded('sign-in', normalizeEmail(email), ip),
    reserveStep: (step, subject, ip) => reserve(step, subject, ip),
    async tryHold(name, ms) {
      const key = `hold:${name}`;
      const { count } = await store.hit(key, ms);
      if (count === 1) return () => store.release(key);
      await store.release(key); // not ours: take back the count this attempt added
      return undefined;
    },
    recordStepSuccess: (step, subject, ip) => succeeded(step, subject, ip),
    async checkRequest(kind, email, ip) {
      const [byEmail, byIp] = await Promise.all([
        store.hit(`${kind}:email:${normalizeEmail(email)}`, requestWindow),
        store.hit(`${kind}:ip:${clientNetwork(ip)}`, requestWindow),
      ]);
      if (byEmail.count > limits.requestsPerEmail) return blocked(byEmail.resetAt);
      if (byIp.count > limits.requestsPerIp) return blocked(byIp.resetAt);
      return undefined;
    },
  };
}
