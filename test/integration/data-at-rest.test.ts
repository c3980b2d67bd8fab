import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../src/config/load.ts';
import { clientSecretHashKey, openStores } from '../../src/container.ts';
import { SealedValueError } from '../../src/lib/sealed-values.ts';
import { createMailer } from '../../src/services/mail.service.ts';
import { loadSigningKeys } from '../../src/services/signing-keys.service.ts';
import { resolveCookieSecrets } from '../../src/services/cookie-secrets.service.ts';
import type { StoredSigningKey } from '../../src/stores/types.ts';
import { captureLogger } from '../helpers/capture-logger.ts';
import { keyward } from '../helpers/cli.ts';
import { FakeClock } from '../helpers/fake-clock.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const clock = new FakeClock();
const mode = (path: string) => statSync(path).mode & 0o777;
const newKey = () => randomBytes(32).toString('base64');
const configFor = (location: string, encryptionKey?: string) =>
  loadConfig({ NODE_ENV: 'test', DATABASE_URL: `sqlite:${location}`, ...(encryptionKey ? { KEYWARD_ENCRYPTION_KEY: encryptionKey } : {}) }, false);

/** Everything SQLite has on disk for the database, as text: the raw rows an attacker with the file would read. */
function rawText(location: string): string {
  return [location, `${location}-wal`].filter(existsSync).map((path) => readFileSync(path).toString('latin1')).join('');
}

function rawRows(location: string): { jwks: string[]; secrets: string[] } {
  const db = new DatabaseSync(location, { readOnly: true });
  try {
    return {
      jwks: (db.prepare('SELECT private_jwk FROM signing_keys').all() as { private_jwk: string }[]).map((row) => row.private_jwk),
      secrets: (db.prepare('SELECT value FROM secrets').all() as { value: string }[]).map((row) => row.value),
    };
  } finally {
    db.close();
  }
}

/** Opens, migrates (which re-encrypts), creates or reads keys and secrets, closes. */
async function startOnce(location: string, encryptionKey?: string) {
  const stores = await openStores(configFor(location, encryptionKey), clock);
  try {
    await stores.migrate();
    const keys = await loadSigningKeys(stores.signingKeys, clock);
    const secrets = [...(await resolveCookieSecrets(undefined, stores.secrets)), await clientSecretHashKey(stores)];
    return { keys, secrets };
  } finally {
    await stores.close();
  }
}

const privateParts = (keys: StoredSigningKey[]) => keys.flatMap((key) => ['d', 'p', 'q'].map((field) => key.privateJwk[field]).filter((v): v is string => typeof v === 'string'));

describe('data at rest', () => {
  let previousUmask: number;
  beforeAll(() => {
    previousUmask = process.umask(0o022);
  });
  afterAll(() => {
    process.umask(previousUmask);
  });

  it('creates the data directories 0700 and the database, its -wal and -shm 0600 under umask 022', async () => {
    const dir = tempDir();
    const location = join(dir, 'data', 'nested', 'keyward.sqlite');
    const stores = await openStores(configFor(location), clock);
    try {
      await stores.migrate();
      await stores.secrets.getOrCreate('probe', 'value');
      expect(mode(join(dir, 'data'))).toBe(0o700);
      expect(mode(join(dir, 'data', 'nested'))).toBe(0o700);
      for (const file of [location, `${location}-wal`, `${location}-shm`]) expect([file, mode(file)]).toEqual([file, 0o600]);
    } finally {
      await stores.close();
    }
  });

  it('warns at start about an existing data directory and database open to group or others', async () => {
    const dir = join(tempDir(), 'data');
    mkdirSync(dir);
    chmodSync(dir, 0o755);
    const location = join(dir, 'keyward.sqlite');
    writeFileSync(location, '');
    chmodSync(location, 0o644);
    const logs = captureLogger();
    const stores = await openStores(configFor(location), clock, logs.logger);
    await stores.close();
    const warnings = logs.lines().filter((line) => line.level === 40).map((line) => String(line.msg));
    expect(warnings).toEqual([
      expect.stringMatching(new RegExp(`^${dir} has mode 0755: group or others may read .*; chmod 700 it$`)),
      expect.stringMatching(new RegExp(`^${location} has mode 0644: .*; chmod 600 it$`)),
    ]);
  });

  it('creates the mail folder 0700 and its mails 0600, and warns about an existing open one', async () => {
    const directory = join(tempDir(), 'mail', 'dev');
    const logs = captureLogger();
    await createMailer({ smtpUrl: undefined, from: 'k@localhost', directory }, logs.logger).send({ to: 'a@example.com', subject: 'Hi', text: 'link' });
    expect(mode(join(directory, '..'))).toBe(0o700);
    expect(mode(directory)).toBe(0o700);
    expect(readdirSync(directory).map((file) => mode(join(directory, file)))).toEqual([0o600]);
    chmodSync(directory, 0o755);
    createMailer({ smtpUrl: undefined, from: 'k@localhost', directory }, logs.logger);
    expect(logs.lines().some((line) => line.level === 40 && line.mode === '0755')).toBe(true);
  });

  it('with KEYWARD_ENCRYPTION_KEY, the raw rows hold neither the private keys\' "d" nor the stored secrets', async () => {
    const location = join(tempDir(), 'keyward.sqlite');
    const key = newKey();
    const first = await startOnce(location, key);
    const raw = rawRows(location);
    expect(raw.jwks.length).toBeGreaterThan(0);
    for (const jwk of raw.jwks) expect(Object.keys(JSON.parse(jwk) as object)).toEqual(['sealed']);
    for (const value of raw.secrets) expect(value).toMatch(/^kw-sealed:v1:/);
    const text = rawText(location);
    expect(privateParts(first.keys).length).toBeGreaterThanOrEqual(6);
    for (const secret of [...privateParts(first.keys), ...first.secrets]) expect(text).not.toContain(secret);
    // The next start reads the same keys and secrets back.
    expect(await startOnce(location, key)).toEqual(first);
  });

  it('with KEYWARD_ENCRYPTION_KEY, TOTP secrets are sealed in the raw rows (passkey public keys are not), and older plaintext ones still read', async () => {
    const location = join(tempDir(), 'keyward.sqlite');
    const key = newKey();
    const base = { kind: 'totp' as const, name: 'App', credentialId: undefined, counter: 0, transports: [], backedUp: false, confirmed: true };
    const withStores = async <T>(encryptionKey: string | undefined, work: (stores: Awaited<ReturnType<typeof openStores>>) => Promise<T>) => {
      const stores = await openStores(configFor(location, encryptionKey), clock);
      try {
        await stores.migrate();
        return await work(stores);
      } finally {
        await stores.close();
      }
    };
    const legacy = await withStores(undefined, (stores) => stores.authenticators.create({ ...base, accountId: 'a1', secret: 'LEGACYPLAINTEXTSECRET' }));
    const [sealed, passkey] = await withStores(key, (stores) => Promise.all([
      stores.authenticators.create({ ...base, accountId: 'a1', secret: 'TOTPSECRETSEALEDATREST' }),
      stores.authenticators.create({ ...base, kind: 'passkey', accountId: 'a1', secret: 'passkey-public-key', credentialId: 'cred-1' }),
    ]));
    expect(sealed!.secret).toBe('TOTPSECRETSEALEDATREST');
    const db = new DatabaseSync(location, { readOnly: true });
    const raw = Object.fromEntries((db.prepare('SELECT id, secret FROM authenticators').all() as { id: string; secret: string }[]).map((row) => [row.id, row.secret]));
    db.close();
    expect(raw[sealed!.id]).toMatch(/^kw-sealed:v1:/);
    expect(raw[passkey!.id]).toBe('passkey-public-key');
    expect(rawText(location)).not.toContain('TOTPSECRETSEALEDATREST');
    const read = await withStores(key, async (stores) => [await stores.authenticators.find(sealed!.id), ...(await stores.authenticators.listForAccount('a1'))]);
    expect(read.map((a) => a!.secret)).toEqual(['TOTPSECRETSEALEDATREST', legacy!.secret, 'TOTPSECRETSEALEDATREST', 'passkey-public-key']);
  });

  it('re-encrypts plaintext values at migrate, rotates with two keys, and refuses a wrong key by name', async () => {
    const location = join(tempDir(), 'keyward.sqlite');
    const plain = await startOnce(location);
    expect(rawText(location)).toContain(privateParts(plain.keys)[0]);

    const [oldKey, newerKey] = [newKey(), newKey()];
    expect(await startOnce(location, oldKey)).toEqual(plain);
    for (const secret of [...privateParts(plain.keys), ...plain.secrets]) expect(rawText(location)).not.toContain(secret);
    const keyIdOf = (value: string) => value.split(':')[2];
    const sealedWith = () => new Set([...rawRows(location).jwks.map((jwk) => keyIdOf((JSON.parse(jwk) as { sealed: string }).sealed)), ...rawRows(location).secrets.map(keyIdOf)]);
    const [oldId] = sealedWith();

    // Rotation: the new key first, the old one still listed; migrate re-encrypts everything with the new key.
    expect(await startOnce(location, `${newerKey},${oldKey}`)).toEqual(plain);
    expect(sealedWith().size).toBe(1);
    expect(sealedWith().has(oldId!)).toBe(false);
    expect(await startOnce(location, newerKey)).toEqual(plain);

    await expect(startOnce(location, oldKey)).rejects.toThrow(SealedValueError);
    await expect(startOnce(location)).rejects.toThrow(/is encrypted but KEYWARD_ENCRYPTION_KEY is not set/);
    const cli = await keyward({ DATABASE_URL: `sqlite:${location}`, KEYWARD_ENCRYPTION_KEY: newKey() }, ['keys', 'list']);
    expect(cli.code).toBe(1);
    expect(cli.err).toMatch(/^keyward: the stored .* is encrypted with key id \S+, which is not among KEYWARD_ENCRYPTION_KEY's keys/);
    expect(cli.err.trim().split('\n')).toHaveLength(1);
  });
});
