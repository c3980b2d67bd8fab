import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { StartupError } from '../errors/app-error.ts';

/**
 * Values encrypted at rest with AES-256-GCM (NIST SP 800-38D), one random 96-bit IV per value
 * (§8.2.2; §8.3 allows 2^32 such values per key, and Keyward seals a handful). Format:
 *   kw-sealed:v1:<key id>:<iv, base64url>:<ciphertext and 128-bit tag, base64url>
 * The version, the key id and the caller's context (e.g. which secret) are the additional
 * authenticated data, so a sealed value moved to another row or relabelled does not open.
 */
const PREFIX = 'kw-sealed';
const VERSION = 'v1';
const SETTING = 'KEYWARD_ENCRYPTION_KEY';

/** A sealed value that cannot be opened: wrong or missing key, or tampered data. Reported in one line, no stack. */
export class SealedValueError extends StartupError {}

interface SealingKey {
  id: string;
  key: Buffer;
}

export interface Sealer {
  /** False without a configured key: values are then stored as they are. */
  readonly enabled: boolean;
  seal(plaintext: string, context: string): string;
  /** The plaintext of a sealed value; a value stored before encryption was turned on is returned as it is. */
  open(stored: string, context: string): string;
  /** True for plaintext and for values sealed with a key other than the first (what `keyward migrate` re-encrypts). */
  needsResealing(stored: string): boolean;
}

export function isSealed(stored: string): boolean {
  return stored.startsWith(`${PREFIX}:`);
}

/**
 * Each configured key (≥ 32 characters; base64 of 32 random bytes recommended) becomes an
 * AES-256 key and a key id through HKDF-SHA-256 (RFC 5869) with distinct `info`, so the id
 * says nothing about the key. The first key seals; every key opens (rotation).
 */
export function createSealer(keyMaterial: readonly string[]): Sealer {
  const keys: SealingKey[] = keyMaterial.map((material) => ({
    id: Buffer.from(hkdfSync('sha256', material, 'keyward', 'keyward sealed values key id', 6)).toString('base64url'),
    key: Buffer.from(hkdfSync('sha256', material, 'keyward', 'keyward sealed values v1 aes-256-gcm', 32)),
  }));
  const first = keys[0];
  const aad = (keyId: string, context: string) => Buffer.from(`${PREFIX}:${VERSION}:${keyId}:${context}`);
  return {
    enabled: first !== undefined,
    seal(plaintext, context) {
      if (!first) return plaintext;
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', first.key, iv).setAAD(aad(first.id, context));
      const sealed = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
      return [PREFIX, VERSION, first.id, iv.toString('base64url'), sealed.toString('base64url')].join(':');
    },
    open(stored, context) {
      if (!isSealed(stored)) return stored;
      const [, version, keyId, iv, sealed] = stored.split(':');
      if (version !== VERSION || !keyId || !iv || !sealed) throw new SealedValueError(`the stored ${context} is encrypted in a format this Keyward does not know (${version ?? 'none'})`);
      if (keys.length === 0) throw new SealedValueError(`the stored ${context} is encrypted but ${SETTING} is not set: set it (or ${SETTING}_FILE) to the key it was encrypted with`);
      const key = keys.find((candidate) => candidate.id === keyId);
      if (!key) {
        throw new SealedValueError(`the stored ${context} is encrypted with key id ${keyId}, which is not among ${SETTING}'s keys (${keys.map((k) => k.id).join(', ')}): add the key it was encrypted with (keep the old key listed after the new one until "keyward migrate" has re-encrypted everything)`);
      }
      return decrypt(key, Buffer.from(iv, 'base64url'), Buffer.from(sealed, 'base64url'), aad(keyId, context), context);
    },
    needsResealing(stored) {
      return first !== undefined && !stored.startsWith(`${PREFIX}:${VERSION}:${first.id}:`);
    },
  };
}

function decrypt(key: SealingKey, iv: Buffer, sealed: Buffer, aad: Buffer, context: string): string {
  if (iv.length !== 12 || sealed.length < 16) throw new SealedValueError(`the stored ${context} is damaged (not a complete ${SETTING} ciphertext)`);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.key, iv, { authTagLength: 16 }).setAAD(aad);
    decipher.setAuthTag(sealed.subarray(sealed.length - 16));
    return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - 16)), decipher.final()]).toString('utf8');
  } catch {
    // GCM authentication failed: never hand back unauthenticated bytes.
    throw new SealedValueError(`the stored ${context} does not decrypt with ${SETTING} key ${key.id}: the key is wrong or the stored value was altered`);
  }
}
