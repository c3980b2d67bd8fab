import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { createSealer } from '../../src/lib/sealed-values.ts';
import { sealStores } from '../../src/stores/sealed-stores.ts';
import { createSqliteStores } from '../../src/stores/sqlite/sqlite-stores.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { describeStoreContract } from './store-contract.ts';

describeStoreContract('SQLite', () => {
  const dir = tempDir('keyward-contract-');
  const location = join(dir, 'contract.sqlite');
  return {
    async open(clock) {
      const stores = createSqliteStores({ location, busyTimeoutMs: 5000 }, clock);
      await stores.migrate();
      return stores;
    },
    async openSecondConnection(clock) {
      return createSqliteStores({ location, busyTimeoutMs: 5000 }, clock);
    },
    async cleanUp() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

// The same contract through the at-rest encryption wrapper (KEYWARD_ENCRYPTION_KEY): it must not change what a store does.
describeStoreContract('SQLite, encrypted at rest', () => {
  const dir = tempDir('keyward-contract-sealed-');
  const location = join(dir, 'contract.sqlite');
  const sealer = createSealer([randomBytes(32).toString('base64')]);
  return {
    async open(clock) {
      const stores = sealStores(createSqliteStores({ location, busyTimeoutMs: 5000 }, clock), sealer);
      await stores.migrate();
      return stores;
    },
    async openSecondConnection(clock) {
      return sealStores(createSqliteStores({ location, busyTimeoutMs: 5000 }, clock), sealer);
    },
    async cleanUp() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
