import type { Clock } from '../lib/clock.ts';
import { hashToken, randomToken } from '../lib/ids.ts';
import type { OneTimeTokenPurpose, OneTimeTokenStore } from '../stores/types.ts';

// SHA-256 (hashToken) is enough for 256-bit random tokens: they cannot be guessed, only stolen from the store.

export interface OneTimeLinks {
  /** A new single-use token for the account; only its hash is stored. */
  issue(accountId: string, purpose: OneTimeTokenPurpose, ttlSeconds: number): Promise<string>;
  /** The account, once; undefined for an unknown, used or expired token. */
  redeem(token: string, purpose: OneTimeTokenPurpose): Promise<string | undefined>;
  isUsable(token: string, purpose: OneTimeTokenPurpose): Promise<boolean>;
  /** The account a usable token belongs to, without spending it. */
  ownerOf(token: string, purpose: OneTimeTokenPurpose): Promise<string | undefined>;
  invalidateAll(accountId: string, purpose: OneTimeTokenPurpose): Promise<void>;
}

export function createOneTimeLinks(store: OneTimeTokenStore, clock: Clock): OneTimeLinks {
  const wellFormed = (token: string) => /^[A-Za-z0-9_-]{43}$/.test(token);
  return {
    async issue(accountId, purpose, ttlSeconds) {
      const token = randomToken(32);
      await store.create({ tokenHash: hashToken(token), purpose, accountId, expiresAt: clock.now() + ttlSeconds * 1000 });
      return token;
    },
    async redeem(token, purpose) {
      return wellFormed(token) ? store.consume(hashToken(token), purpose) : undefined;
    },
    async isUsable(token, purpose) {
      return wellFormed(token) && (await store.ownerOf(hashToken(token), purpose)) !== undefined;
    },
    async ownerOf(token, purpose) {
      return wellFormed(token) ? store.ownerOf(hashToken(token), purpose) : undefined;
    },
    invalidateAll: (accountId, purpose) => store.invalidateAll(accountId, purpose),
  };
}
