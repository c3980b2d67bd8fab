import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Client secrets made by Keyward are 256-bit random strings, so a fast keyed hash is enough to
 * store them (a slow password hash would cap client_credentials near 35 requests/s per core).
 * The key lives in the store's secrets, apart from the clients table.
 */
const PREFIX = 'hmac-sha256:';

export function hashClientSecret(secret: string, key: string): string {
  return PREFIX + createHmac('sha256', key).update(secret).digest('base64url');
}

export function isHashedClientSecret(stored: unknown): stored is string {
  return typeof stored === 'string' && stored.startsWith(PREFIX);
}

/** Constant-time comparison of a presented secret with a stored hash. */
export function matchesHashedClientSecret(stored: string, presented: string, key: string): boolean {
  const expected = Buffer.from(stored);
  const actual = Buffer.from(hashClientSecret(presented, key));
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
