import { describe } from '@jest/globals';
import { loadConfig } from '../../src/config/load.ts';
import type { MongoDatabaseConfig } from '../../src/config/schema.ts';
import { randomToken } from '../../src/lib/ids.ts';
import { createMongoStores } from '../../src/stores/mongo/mongo-stores.ts';
import { describeStoreContract } from './store-contract.ts';

/**
 * The same store contract against a real MongoDB (a replica set: key rotation uses
 * transactions) when MONGODB_URI is set, e.g. the compose file's service:
 *   MONGODB_URI='mongodb://127.0.0.1:27017/?replicaSet=rs0' npm run test:jest -- test/contract
 * Without it the suite is registered as skipped and .ci/run says so in one line.
 */
const uri = process.env.MONGODB_URI;

const mongoConfig = (database: string): MongoDatabaseConfig => {
  const base = loadConfig({ DATABASE_URL: uri!, NODE_ENV: 'test' }, false).database as MongoDatabaseConfig;
  const url = new URL(uri!);
  url.pathname = `/${database}`;
  return { ...base, url: url.href };
};

(uri ? describe : describe.skip)('MongoDB (MONGODB_URI)', () => {
  describeStoreContract('MongoDB', () => {
    const database = `keyward_contract_${randomToken(6).replace(/[^A-Za-z0-9]/g, '')}`;
    const opened: ReturnType<typeof createMongoStores>[] = [];
    const open = (clock: Parameters<typeof createMongoStores>[1]) => {
      const stores = createMongoStores(mongoConfig(database), clock);
      opened.push(stores);
      return stores;
    };
    return {
      async open(clock) {
        const stores = open(clock);
        await stores.migrate();
        return stores;
      },
      async openSecondConnection(clock) {
        const stores = open(clock);
        await stores.connected();
        return stores;
      },
      async cleanUp() {
        const admin = open({ now: () => Date.now() });
        await admin.connected();
        await admin.dropDatabase();
        await Promise.all(opened.map((stores) => stores.close().catch(() => undefined)));
      },
    };
  });
});
