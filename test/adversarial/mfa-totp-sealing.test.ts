import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../src/config/load.ts';
import { openStores } from '../../src/container.ts';
import { FakeClock } from '../helpers/fake-clock.ts';
import { tempDir } from '../helpers/temp-dir.ts';

/**
 * TOTP secrets are sealed with KEYWARD_ENCRYPTION_KEY when written, but `keyward migrate` (the
 * re-encryption step of the README's rotation procedure) only re-seals signing keys and the
 * stored secrets: authenticator rows are left as they are.
 */
const clock = new FakeClock();
const newKey = () => randomBytes(32).toString('base64');
const totp = { kind: 'totp' as const, name: 'App', credentialId: undefined, counter: 0, transports: [], backedUp: false, confirmed: true };

async function withStores<T>(location: string, encryptionKey: string | undefined, work: (stores: Awaited<ReturnType<typeof openStores>>) => Promise<T>): Promise<T> {
  const stores = await openStores(loadConfig({ NODE_ENV: 'test', DATABASE_URL: `sqlite:${location}`, ...(encryptionKey ? { KEYWARD_ENCRYPTION_KEY: encryptionKey } : {}) }, false), clock);
  try {
    await stores.migrate(); // what `keyward migrate` and, on SQLite, `keyward start` run
    return await work(stores);
  } finally {
    await stores.close();
  }
}

function rawSecret(location: string, id: string): string {
  const db = new DatabaseSync(location, { readOnly: true });
  try {
    return (db.prepare('SELECT secret FROM authenticators WHERE id = ?').get(id) as { secret: string }).secret;
  } finally {
    db.close();
  }
}

describe('TOTP secrets and KEYWARD_ENCRYPTION_KEY', () => {
  it('turning encryption on: migrate seals the TOTP secrets stored before, as it does the other secrets', async () => {
    const location = join(tempDir(), 'keyward.sqlite');
    const app = await withStores(location, undefined, (stores) => stores.authenticators.create({ ...totp, accountId: 'a1', secret: 'PLAINTEXTTOTPSECRETBEFOREKEY' }));
    await withStores(location, newKey(), async () => undefined);
    expect(rawSecret(location, app!.id)).toMatch(/^kw-sealed:v1:/);
  });

  it('the README rotation (OLD → NEW,OLD + migrate → NEW) keeps every authenticator app readable', async () => {
    const location = join(tempDir(), 'keyward.sqlite');
    const [oldKey, newerKey] = [newKey(), newKey()];
    const app = await withStores(location, oldKey, (stores) => stores.authenticators.create({ ...totp, accountId: 'a1', secret: 'TOTPSECRETUNDEROLDKEY' }));
    await withStores(location, `${newerKey},${oldKey}`, async () => undefined);
    // Step 3 of the procedure: only the new key. Every TOTP sign-in reads the secret here.
    const read = await withStores(location, newerKey, async (stores) => {
      try {
        return (await stores.authenticators.find(app!.id))?.secret;
      } catch (error) {
        return `error: ${(error as Error).message}`;
      }
    });
    expect(read).toBe('TOTPSECRETUNDEROLDKEY');
  });
});
