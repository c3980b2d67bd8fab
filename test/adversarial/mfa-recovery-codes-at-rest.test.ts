import { createHash, randomBytes } from 'node:crypto';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { enrolTotp } from '../helpers/mfa-flow.ts';
import { startTestKeyward, type TestKeyward } from '../helpers/test-server.ts';
import { createVerifiedAccount } from '../helpers/accounts.ts';

/**
 * The README's threat model: someone with a copy of the database file cannot use what
 * KEYWARD_ENCRYPTION_KEY seals — and TOTP secrets are sealed. Recovery codes are a second
 * factor too, but stored as an unkeyed SHA-256 of (account id, code): ~2^49.5 candidates per
 * code, ten targets per account, billions of SHA-256 per second on one GPU — about an hour per
 * account, with nothing but the file. A cracked weak password plus a cracked recovery code is a
 * sign-in past the second factor.
 */
describe('recovery codes in a stolen database file', () => {
  let keyward: TestKeyward;
  beforeAll(async () => {
    keyward = await startTestKeyward({ env: { KEYWARD_ENCRYPTION_KEY: randomBytes(32).toString('base64') } });
  });
  afterAll(async () => keyward?.stop());

  it('cannot be checked offline without the encryption key (a keyed hash, not SHA-256 of public inputs)', async () => {
    const { container } = keyward.running;
    const email = 'stolen-file@example.com';
    const account = await createVerifiedAccount(keyward, email, 'a password of some sort');
    await enrolTotp(keyward, email);
    const codes = (await container.mfa.authenticators.regenerateRecoveryCodes(account, { ip: '127.0.0.9', userAgent: 'test' }))!;

    const db = new DatabaseSync(keyward.databaseFile, { readOnly: true });
    const stored = new Set((db.prepare('SELECT code_hash FROM recovery_codes WHERE account_id = ?').all(account.id) as { code_hash: string }[]).map((row) => row.code_hash));
    db.close();
    expect(stored.size).toBe(10);

    // What a thief with the file computes for a guess: no secret needed.
    const offline = (code: string) => createHash('sha256').update(`keyward-recovery-code\0${account.id}\0${code.replace('-', '')}`).digest('base64url');
    const crackable = codes.filter((code) => stored.has(offline(code)));
    expect(crackable).toEqual([]);
  });
});
