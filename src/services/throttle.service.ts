import type { Config } from '../config/schema.ts';
import { normalizeEmail, type ThrottleStore } from '../stores/types.ts';

/** Over a limit: how long to wait, in whole seconds (for Retry-After, RFC 9110 §10.2.3). */
export interface Blocked {
  retryAfterSeconds: number;
}

export interface Throttle {
  /** Blocked when the account or the IP has used up its failed sign-ins for the window. */
  checkSignIn(email: string, ip: string): Promise<Blocked | undefined>;
  /** Counts a failed sign-in; true when this failure locked the account. */
  recordSignInFailure(email: string, ip: string): Promise<boolean>;
  /** A successful sign-in clears the account's failures (not the IP's). */
  recordSignInSuccess(email: string): Promise<void>;
  /** Counts a registration, verification or reset request; blocked when over the limit. */
  checkRequest(kind: 'register' | 'reset' | 'verify', email: string, ip: string): Promise<Blocked | undefined>;
}

/** Fixed-window limits over counters in the store, so that every replica shares them. */
export function createThrottle(store: ThrottleStore, limits: Config['throttle'], now: () => number): Throttle {
  const signInWindow = limits.signInWindowSeconds * 1000;
  const requestWindow = limits.requestsWindowSeconds * 1000;
  const account = (email: string) => `sign-in:account:${normalizeEmail(email)}`;
  const ipKey = (ip: string) => `sign-in:ip:${ip}`;
  const blocked = (resetAt: number): Blocked => ({ retryAfterSeconds: Math.max(1, Math.ceil((resetAt - now()) / 1000)) });

  return {
    async checkSignIn(email, ip) {
      const [byAccount, byIp] = await Promise.all([store.peek(account(email)), store.peek(ipKey(ip))]);
      if (byAccount.count >= limits.signInPerAccount) return blocked(byAccount.resetAt);
      if (byIp.count >= limits.signInPerIp) return blocked(byIp.resetAt);
      return undefined;
    },
    async recordSignInFailure(email, ip) {
      const [byAccount] = await Promise.all([store.hit(account(email), signInWindow), store.hit(ipKey(ip), signInWindow)]);
      return byAccount.count === limits.signInPerAccount;
    },
    async recordSignInSuccess(email) {
      await store.reset(account(email));
    },
    async checkRequest(kind, email, ip) {
      const [byEmail, byIp] = await Promise.all([
        store.hit(`${kind}:email:${normalizeEmail(email)}`, requestWindow),
        store.hit(`${kind}:ip:${ip}`, requestWindow),
      ]);
      if (byEmail.count > limits.requestsPerEmail) return blocked(byEmail.resetAt);
      if (byIp.count > limits.requestsPerIp) return blocked(byIp.resetAt);
      return undefined;
    },
  };
}
