import { randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { StartupError } from '../../src/errors/app-error.ts';
import { createSealer, isSealed, SealedValueError } from '../../src/lib/sealed-values.ts';

const newKey = () => randomBytes(32).toString('base64');
const openError = (run: () => unknown): Error => {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
};

describe('sealed values (KEYWARD_ENCRYPTION_KEY)', () => {
  const key = newKey();
  const sealer = createSealer([key]);

  it('round-trips, with a fresh IV each time and without the plaintext in the stored form', () => {
    const plaintext = '{"kty":"EC","d":"private-part"}';
    const first = sealer.seal(plaintext, 'ctx');
    const second = sealer.seal(plaintext, 'ctx');
    expect(first).toMatch(/^kw-sealed:v1:[A-Za-z0-9_-]{8}:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]+$/);
    expect(first).not.toBe(second);
    expect(first).not.toContain('private-part');
    expect(isSealed(first)).toBe(true);
    expect(sealer.open(first, 'ctx')).toBe(plaintext);
    expect(sealer.open(second, 'ctx')).toBe(plaintext);
    expect(sealer.needsResealing(first)).toBe(false);
  });

  it('detects tampering with the ciphertext, the tag, the IV, the key id or the context', () => {
    const sealed = sealer.seal('cookie secret value', 'secret "cookie-secrets"');
    const parts = sealed.split(':');
    const flip = (text: string, at: number) => {
      const bytes = Buffer.from(text, 'base64url');
      bytes[at]! ^= 1;
      return bytes.toString('base64url');
    };
    const tampered = [
      [...parts.slice(0, 4), flip(parts[4]!, 0)].join(':'),
      [...parts.slice(0, 4), flip(parts[4]!, Buffer.from(parts[4]!, 'base64url').length - 1)].join(':'),
      [...parts.slice(0, 3), flip(parts[3]!, 0), parts[4]].join(':'),
    ];
    for (const value of tampered) {
      const error = openError(() => sealer.open(value, 'secret "cookie-secrets"'));
      expect(error).toBeInstanceOf(SealedValueError);
      expect(error.message).toMatch(/does not decrypt with KEYWARD_ENCRYPTION_KEY key .*: the key is wrong or the stored value was altered/);
    }
    // Moved to another row: the context is authenticated data.
    expect(() => sealer.open(sealed, 'secret "client-secret-hash-key"')).toThrow(SealedValueError);
    expect(() => sealer.open([parts[0], parts[1], 'AAAAAAAA', parts[3], parts[4]].join(':'), 'x')).toThrow(/not among KEYWARD_ENCRYPTION_KEY's keys/);
    expect(() => sealer.open(`${parts.slice(0, 4).join(':')}:AAAA`, 'x')).toThrow(/damaged/);
  });

  it('rotates: the first key seals, every key opens, and values sealed with an older key need resealing', () => {
    const newer = newKey();
    const old = sealer.seal('value', 'ctx');
    const rotated = createSealer([newer, key]);
    expect(rotated.open(old, 'ctx')).toBe('value');
    expect(rotated.needsResealing(old)).toBe(true);
    const resealed = rotated.seal('value', 'ctx');
    expect(rotated.needsResealing(resealed)).toBe(false);
    expect(createSealer([newer]).open(resealed, 'ctx')).toBe('value');
    expect(resealed.split(':')[2]).not.toBe(old.split(':')[2]);
  });

  it('reads values stored in plaintext before a key was set, and marks them for resealing', () => {
    expect(sealer.open('legacy-plaintext', 'ctx')).toBe('legacy-plaintext');
    expect(sealer.needsResealing('legacy-plaintext')).toBe(true);
  });

  it('without a key stores plaintext, and refuses a sealed value with a message naming KEYWARD_ENCRYPTION_KEY', () => {
    const none = createSealer([]);
    expect(none.enabled).toBe(false);
    expect(none.seal('x', 'ctx')).toBe('x');
    expect(none.needsResealing('x')).toBe(false);
    const error = openError(() => none.open(sealer.seal('x', 'private signing key abc'), 'private signing key abc'));
    expect(error).toBeInstanceOf(StartupError);
    expect(error.message).toBe('the stored private signing key abc is encrypted but KEYWARD_ENCRYPTION_KEY is not set: set it (or KEYWARD_ENCRYPTION_KEY_FILE) to the key it was encrypted with');
  });

  it('refuses a wrong key clearly, never returning garbage', () => {
    const sealed = sealer.seal('x', 'ctx');
    expect(() => createSealer([newKey()]).open(sealed, 'ctx')).toThrow(/is encrypted with key id [A-Za-z0-9_-]{8}, which is not among KEYWARD_ENCRYPTION_KEY's keys/);
  });
});
