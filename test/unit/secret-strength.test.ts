import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { estimateSecretBits, MIN_GENERATED_SECRET_BITS, MIN_ISSUED_SECRET_BITS, urlPassword, weakSecretReason, weakUrlPasswordReason } from '../../src/config/secret-strength.ts';

/** `openssl rand` itself when the machine has it, otherwise the same bytes from node:crypto. */
function opensslRand(format: '-base64' | '-hex', bytes: number): string {
  try {
    return execFileSync('openssl', ['rand', format, String(bytes)], { encoding: 'utf8' }).trim();
  } catch {
    return randomBytes(bytes).toString(format === '-hex' ? 'hex' : 'base64');
  }
}

describe('secret strength', () => {
  it('accepts what `openssl rand -base64 32` and `-hex 32` print, every time', () => {
    for (let i = 0; i < 5; i += 1) {
      for (const format of ['-base64', '-hex'] as const) expect(weakSecretReason(opensslRand(format, 32))).toBeUndefined();
    }
    // Many more draws of the same kind, without spawning a process each: the estimate stays far above the bar.
    let lowest = Infinity;
    for (let i = 0; i < 3_000; i += 1) {
      for (const value of [randomBytes(32).toString('base64'), randomBytes(32).toString('hex'), randomBytes(32).toString('base64url')]) {
        lowest = Math.min(lowest, estimateSecretBits(value));
      }
    }
    expect(lowest).toBeGreaterThan(MIN_GENERATED_SECRET_BITS + 40);
  });

  it('accepts secrets upstream providers issue (GitHub: 40 hex characters; Google: GOCSPX- and 28 more)', () => {
    for (let i = 0; i < 2_000; i += 1) {
      expect(weakSecretReason(randomBytes(20).toString('hex'), MIN_ISSUED_SECRET_BITS)).toBeUndefined();
      expect(weakSecretReason(`GOCSPX-${randomBytes(21).toString('base64url')}`, MIN_ISSUED_SECRET_BITS)).toBeUndefined();
    }
  });

  it.each([
    ['a repeated character', 'a'.repeat(48)],
    ['two alternating characters', 'ab'.repeat(24)],
    ['a repeated word', 'Passw0rd!'.repeat(4)],
    ['a run of the alphabet', 'abcdefghijklmnopqrstuvwxyz012345'],
    ['hex digits twice', '0123456789abcdef'.repeat(2)],
    ['few distinct characters', 'aaaaaaaaaabbbbbbbbbbccccccccccdddddddddd'],
  ])('refuses %s as too predictable', (_label, value) => {
    expect(weakSecretReason(value)).toMatch(/^is too predictable \(about \d+ bits of entropy estimated, at least 128 needed\)$/);
  });

  it.each([
    'replace-me-with-a-real-value-of-32-characters-or-more',
    'ChangeMe-ChangeMe-9f8e7d6c5b4a39281706',
    'my-super-secret-cookie-signing-key-for-prod',
    'an-example-value-9f8e7d6c5b4a3928170615a',
    'insecure-default-value-9f8e7d6c5b4a39281706',
  ])('refuses the placeholder %s', (value) => {
    expect(weakSecretReason(value)).toMatch(/^looks like a placeholder \(it contains "\w+"\)$/);
  });

  it('finds the password of connection URLs, several MongoDB hosts included, and judges only shipped values and placeholders', () => {
    expect(urlPassword('mongodb://app:p%40ss@h1:27017,h2:27017/db?replicaSet=rs0')).toBe('p@ss');
    expect(urlPassword('mongodb://mongo:27017/keyward?replicaSet=rs0')).toBeUndefined();
    expect(urlPassword('smtp://user@smtp.example.com')).toBeUndefined();
    expect(weakUrlPasswordReason('smtp://user:password@smtp.example.com:587')).toMatch(/shipped in the Keyward repository/);
    expect(weakUrlPasswordReason('smtps://apikey:changeme@smtp.example.com')).toMatch(/placeholder password/);
    // Chosen by the mail provider: short but not ours to judge.
    expect(weakUrlPasswordReason('smtps://apikey:abcdwxyzabcdwxyz@smtp.example.com')).toBeUndefined();
  });
});
