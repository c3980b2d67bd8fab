import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import mongoose from 'mongoose';
import { loadConfig } from '../../src/config/load.ts';
import type { MongoDatabaseConfig } from '../../src/config/schema.ts';
import { StartupError } from '../../src/errors/app-error.ts';
import { randomToken } from '../../src/lib/ids.ts';
import { isMongoUnavailable } from '../../src/stores/mongo/driver-errors.ts';
import { createMongoStores } from '../../src/stores/mongo/mongo-stores.ts';
import { keyward } from '../helpers/cli.ts';
import { mongoLabel, startEmulator, startMongoForTests, withDatabase, type MongoForTests } from '../helpers/mongo-emulator.ts';

const freshName = (prefix: string) => `${prefix}_${randomToken(6).replace(/[^A-Za-z0-9]/g, '')}`;
const storesAt = (url: string, env: Record<string, string> = {}) =>
  createMongoStores(loadConfig({ DATABASE_URL: url, NODE_ENV: 'test', ...env }, false).database as MongoDatabaseConfig, { now: () => Date.now() });

/**
 * `keyward migrate` on MongoDB: what it creates and reports, an index whose definition changed
 * (createIndexes alone fails on it with IndexOptionsConflict), and what start-up and migrate
 * refuse or report as it is.
 */
describe(`keyward migrate on ${mongoLabel()}`, () => {
  let mongo: MongoForTests;
  beforeAll(async () => {
    mongo = await startMongoForTests();
  });
  afterAll(async () => mongo?.stop());

  it('creates the collections and indexes, lists them, and has nothing to do the second time', async () => {
    const url = withDatabase(mongo.uri, freshName('keyward_migrate'));
    try {
      const first = await keyward({ DATABASE_URL: url }, ['migrate']);
      expect(first.code).toBe(0);
      expect(first.out).toMatch(/^keyward: created collection oidc_records$/m);
      for (const index of ['oidc_records.model_grantId', 'oidc_records.ttl_expiresAt', 'accounts.unique_emailNormalized', 'audit_events.account_at', 'authenticators.unique_credentialId']) {
        expect(first.out).toContain(`keyward: created index ${index}\n`);
      }
      expect(first.out.trim().split('\n').at(-1)).toMatch(/^keyward: database mongodb:\/\/.* is up to date$/);
      const again = await keyward({ DATABASE_URL: url }, ['migrate', '--json']);
      expect(again.json()).toMatchObject({ migrated: true, changes: [] });
    } finally {
      const stores = storesAt(url);
      await stores.dropDatabase().catch(() => undefined);
      await stores.close();
    }
  });

  it('replaces an index whose definition changed under the same name, keeps an index that is not its own, and says so', async () => {
    const url = withDatabase(mongo.uri, freshName('keyward_reindex'));
    const stores = storesAt(url);
    const raw = await mongoose.createConnection(url).asPromise();
    try {
      await stores.migrate();
      // An older Keyward's definition of the same index (same name, another partial filter),
      // and an operator's own index on a Keyward collection.
      const records = raw.collection('oidc_records');
      await records.dropIndex('model_grantId');
      await records.createIndex({ model: 1, grantId: 1 }, { name: 'model_grantId', partialFilterExpression: { grantId: { $exists: true } } });
      await records.createIndex({ consumedAt: 1 }, { name: 'operator_consumedAt' });

      await expect(stores.assertMigrated()).rejects.toThrow(/indexes are missing or outdated \(oidc_records\.model_grantId\): run "keyward migrate"/);
      // What plain createIndexes (the previous migrate) does with it: the server refuses.
      await expect(records.createIndex({ model: 1, grantId: 1 }, { name: 'model_grantId', partialFilterExpression: { grantId: { $type: 'string' } } }))
        .rejects.toMatchObject({ codeName: 'IndexOptionsConflict' });

      const changes = await stores.migrate();
      expect(changes).toEqual([
        'dropped index oidc_records.model_grantId (its definition changed)',
        'created index oidc_records.model_grantId',
        'kept index oidc_records.operator_consumedAt (not defined by Keyward)',
      ]);
      const grantIndex = (await records.indexes()).find((index) => index.name === 'model_grantId');
      expect(grantIndex?.partialFilterExpression).toEqual({ grantId: { $type: 'string' } });
      expect((await records.indexes()).map((index) => index.name)).toContain('operator_consumedAt');
      await expect(stores.assertMigrated()).resolves.toBeUndefined();
      expect(await stores.migrate()).toEqual(['kept index oidc_records.operator_consumedAt (not defined by Keyward)']);
    } finally {
      await stores.dropDatabase().catch(() => undefined);
      await stores.close();
      await raw.close();
    }
  });

  it('refuses to rebuild a unique index in place (no window without uniqueness), naming it', async () => {
    const url = withDatabase(mongo.uri, freshName('keyward_unique'));
    const stores = storesAt(url);
    const raw = await mongoose.createConnection(url).asPromise();
    try {
      await stores.migrate();
      const accounts = raw.collection('accounts');
      await accounts.dropIndex('unique_emailNormalized');
      await accounts.createIndex({ emailNormalized: 1 }, { name: 'unique_emailNormalized' });
      await expect(stores.migrate()).rejects.toThrow(/unique index accounts\.unique_emailNormalized differs .* stop every Keyward instance, drop it/);
      expect((await accounts.indexes()).map((index) => index.name)).toContain('unique_emailNormalized');
    } finally {
      await stores.dropDatabase().catch(() => undefined);
      await stores.close();
      await raw.close();
    }
  });
});

describe('MongoDB start-up checks (own wire emulators: one stopped, one answering as a standalone mongod)', () => {
  it('reports an unreachable server as unreachable (retried at start), not as "indexes are missing"', async () => {
    const emulator = await startEmulator({ replicaSet: true });
    const stores = storesAt(withDatabase(emulator.uri, 'keyward_unreachable'), { MONGO_SERVER_SELECTION_TIMEOUT_MS: '300', MONGO_CONNECT_TIMEOUT_MS: '300' });
    try {
      await stores.migrate();
      await emulator.stop();
      const failure = await stores.assertMigrated().then(() => undefined, (error: unknown) => error);
      expect(failure).toBeDefined();
      expect(failure).not.toBeInstanceOf(StartupError);
      expect(isMongoUnavailable(failure)).toBe(true);
    } finally {
      await stores.close();
    }
  });

  it('refuses a standalone mongod at start and in migrate, naming the replica-set requirement', async () => {
    const standalone = await startEmulator({ replicaSet: false });
    const url = withDatabase(standalone.uri, 'keyward_standalone');
    const stores = storesAt(url);
    try {
      const requirement = /is a standalone server, but Keyward needs a replica set: it uses transactions and retryable writes/;
      await expect(stores.migrate()).rejects.toThrow(StartupError);
      await expect(stores.migrate()).rejects.toThrow(requirement);
      await expect(stores.assertMigrated()).rejects.toThrow(requirement);
      const cli = await keyward({ DATABASE_URL: url }, ['migrate']);
      expect(cli.code).toBe(1);
      expect(cli.err).toMatch(requirement);
      expect(cli.err).toMatch(/--replSet/);
    } finally {
      await stores.close();
      await standalone.stop();
    }
  });
});
