import { rmSync } from 'node:fs';
import { join } from 'node:path';
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
