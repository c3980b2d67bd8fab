import { createHmac, randomInt } from 'node:crypto';

/** Ten codes, as GitHub and Google give: enough for years of lost phones, few enough to store on paper. */
export const RECOVERY_CODE_COUNT = 10;
/** Crockford-like alphabet without look-alikes (0/o, 1/l/i): codes are typed from paper. */
const ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';
const HALF_LENGTH = 5;

const randomHalf = () => Array.from({ length: HALF_LENGTH }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');

/** Fresh codes like `k7m2p-x9q4r` (about 49 bits each: guessing one within the sign-in throttle is hopeless). */
export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => `${randomHalf()}-${randomHalf()}`);
}

/** What was typed, reduced to the code's letters: case, spaces and dashes do not matter. */
export function normaliseRecoveryCode(input: string): string | undefined {
  const code = input.toLowerCase().replace(/[\s-]/g, '');
  return code.length === HALF_LENGTH * 2 && [...code].every((c) => ALPHABET.includes(c)) ? code : undefined;
}

/**
 * The stored form of a code: HMAC-SHA-256 under a server key (`recovery-code-hash-key` in the
 * store's secrets, sealed with KEYWARD_ENCRYPTION_KEY when set), so that a copy of the database
 * alone cannot test guesses offline. The codes are random and long, so a fast keyed hash is
 * enough (no password-hashing cost); the account id keeps equal codes of two accounts apart.
 */
export function hashRecoveryCode(key: string, accountId: string, normalisedCode: string): string {
  return createHmac('sha256', key).update(`${accountId}\0${normalisedCode}`).digest('base64url');
}
