import { randomBytes } from 'node:crypto';
import mongoose from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../src/config/load.ts';
import type { MongoDatabaseConfig } from '../../src/config/schema.ts';
import { randomToken } from '../../src/lib/ids.ts';
import { createSealer } from '../../src/lib/sealed-values.ts';
import { createMongoStores } from '../../src/stores/mongo/mongo-stores.ts';
import { sealStores } from '../../src/stores/sealed-stores.ts';
import type { Stores } from '../../src/stores/types.ts';
import { mongoIsEmulated, mongoLabel, startMongoForTests, type MongoForTests } from '../helpers/mongo-emulator.ts';
import { describeStoreContract, type BackendUnderTest } from './store-contract.ts';

/**
 * The same store contract on MongoDB, on every run. With MONGODB_URI (a real replica set: key
 * rotation uses transactions), e.g. the compose file's service:
 *   MONGODB_URI='mongodb://127.0.0.1:27017/?replicaSet=rs0&directConnection=true' npm run test:jest -- test/contract
 * it is the proof. Without it, it runs on the CongoDB wire emulator started here: a smoke run
 * that shows Keyward's queries and updates are accepted and mean what the contract says over
 * the real driver and wire protocol, but not transactions, write conflicts or the TTL monitor
 * (the cases that need those are skipped there, and say why).
 */
let mongo: MongoForTests | undefined;

const mongoConfig = (database: string): MongoDatabaseConfig => {
  const base = loadConfig({ DATABASE_URL: mongo!.uri, NODE_ENV: 'test' }, false).database as MongoDatabaseConfig;
  const url = new URL(mongo!.uri);
  url.pathname = `/${database}`;
  return { ...base, url: url.href };
};

const mongoBackend = (wrap: (stores: ReturnType<typeof createMongoStores>) => Stores) => (): BackendUnderTest => {
  const database = `keyward_contract_${randomToken(6).replace(/[^A-Za-z0-9]/g, '')}`;
  const opened: ReturnType<typeof createMongoStores>[] = [];
  const open = (clock: Parameters<typeof createMongoStores>[1]) => {
    const stores = createMongoStores(mongoConfig(database), clock);
    opened.push(stores);
    return stores;
  };
  return {
    async open(clock) {
      const stores = wrap(open(clock));
      await stores.migrate();
      return stores;
    },
    async openSecondConnection(clock) {
      const stores = open(clock);
      await stores.connected();
      return wrap(stores);
    },
    async cleanUp() {
      const admin = open({ now: () => Date.now() });
      await admin.connected();
      await admin.dropDatabase();
      await Promise.all(opened.map((stores) => stores.close().catch(() => undefined)));
    },
  };
};

describe(mongoLabel(), () => {
  beforeAll(async () => {
    mongo = await startMongoForTests();
  });
  afterAll(async () => {
    await mongo?.stop();
  });

  it('reports a database never migrated as such, and passes once it is', async () => {
    const stores = createMongoStores(mongoConfig(`keyward_unmigrated_${randomToken(6).replace(/[^A-Za-z0-9]/g, '')}`), { now: () => Date.now() });
    try {
      await expect(stores.assertMigrated()).rejects.toThrow(/indexes are missing .*run "keyward migrate"/);
      await stores.migrate();
      await expect(stores.assertMigrated()).resolves.toBeUndefined();
    } finally {
      await stores.dropDatabase().catch(() => undefined);
      await stores.close();
    }
  });

  const options = { emulated: mongoIsEmulated() };
  describeStoreContract('MongoDB', mongoBackend((stores) => stores), options);
  // The same contract through the at-rest encryption wrapper (KEYWARD_ENCRYPTION_KEY).
  const sealer = createSealer([randomBytes(32).toString('base64')]);
  describeStoreContract('MongoDB, encrypted at rest', mongoBackend((stores) => sealStores(stores, sealer)), options);
});

describe(`${mongoLabel()}: signing keys`, () => {
  let mongoForKeys: MongoForTests | undefined;
  beforeAll(async () => {
    mongoForKeys = await startMongoForTests();
  });
  afterAll(async () => {
    await mongoForKeys?.stop();
  });

  it('initialises an emptied key collection again, even with the key-set marker left behind', async () => {
    const url = new URL(mongoForKeys!.uri);
    url.pathname = `/keyward_keys_${randomToken(6).replace(/[^A-Za-z0-9]/g, '')}`;
    const config = { ...(loadConfig({ DATABASE_URL: mongoForKeys!.uri, NODE_ENV: 'test' }, false).database as MongoDatabaseConfig), url: url.href };
    const stores = createMongoStores(config, { now: () => Date.now() });
    const raw = await mongoose.createConnection(url.href).asPromise();
    try {
      await stores.migrate();
      const key = (kid: string) => ({ kid, alg: 'ES256' as const, privateJwk: { kty: 'EC', kid }, createdAt: 1, state: 'current' as const, stateSince: 1 });
      expect((await stores.signingKeys.initialiseIfEmpty([key('first')])).map((k) => k.kid)).toEqual(['first']);
      await raw.collection('signing_keys').deleteMany({});
      expect((await stores.signingKeys.initialiseIfEmpty([key('second')])).map((k) => k.kid)).toEqual(['second']);
      expect((await stores.signingKeys.initialiseIfEmpty([key('third')])).map((k) => k.kid)).toEqual(['second']);
    } finally {
      await stores.dropDatabase().catch(() => undefined);
      await stores.close();
      await raw.close();
    }
  });
});
