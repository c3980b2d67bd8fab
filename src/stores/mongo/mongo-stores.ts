import { describeDatabase, type MongoDatabaseConfig } from '../../config/schema.ts';
import { StartupError } from '../../errors/app-error.ts';
import type { Clock } from '../../lib/clock.ts';
import type { Stores } from '../types.ts';
import { createMongoAccountStore, createMongoFederatedIdentityStore } from './account.store.ts';
import { createMongoApiStore } from './api.store.ts';
import { createMongoAuthenticatorStore, createMongoRecoveryCodeStore } from './authenticator.store.ts';
import { createMongoConnection } from './connection.ts';
import { createMongoClientStore, createMongoSecretStore, createMongoSigningKeyStore } from './key-material.store.ts';
import { createMongoMailOutboxStore } from './mail-outbox.store.ts';
import { createModels } from './models.ts';
import { assertReplicaSet, outdatedIndexes, syncSchema } from './schema-sync.ts';
import { createMongoOidcRecordStore } from './oidc-record.store.ts';
import { createMongoAuditStore, createMongoOneTimeTokenStore, createMongoThrottleStore } from './security.store.ts';

/** The MongoDB backend: one connection of Keyward's own, a model per collection. */
export function createMongoStores(config: MongoDatabaseConfig, clock: Clock): Stores & { connected(): Promise<void>; dropDatabase(): Promise<void> } {
  const connection = createMongoConnection(config);
  // Connection errors surface through connected() and the operations; never crash the process.
  connection.on('error', () => undefined);
  const models = createModels(connection);
  const all = Object.values(models);
  return {
    oidcRecords: createMongoOidcRecordStore(models, clock),
    signingKeys: createMongoSigningKeyStore(connection, models),
    clients: createMongoClientStore(models, clock),
    apis: createMongoApiStore(models, clock),
    federatedIdentities: createMongoFederatedIdentityStore(models, clock),
    secrets: createMongoSecretStore(models, clock),
    accounts: createMongoAccountStore(models, clock),
    oneTimeTokens: createMongoOneTimeTokenStore(models, clock),
    throttle: createMongoThrottleStore(models, clock),
    audit: createMongoAuditStore(models),
    mailOutbox: createMongoMailOutboxStore(models, clock),
    authenticators: createMongoAuthenticatorStore(models, clock),
    recoveryCodes: createMongoRecoveryCodeStore(connection, models, clock),
    async connected() {
      await connection.asPromise();
    },
    async migrate() {
      await connection.asPromise();
      await assertReplicaSet(connection, describeDatabase(config));
      return syncSchema(connection, all);
    },
    async assertMigrated() {
      await connection.asPromise();
      await assertReplicaSet(connection, describeDatabase(config));
      // Only "no such collection" counts as missing (mongoose's diffIndexes); anything else (a
      // network blip, a user without the listIndexes right) is reported as it is, so start-up
      // retries or says what is wrong.
      const outdated = await outdatedIndexes(all);
      if (outdated.length > 0) throw new StartupError(`MongoDB indexes are missing or outdated (${outdated.join(', ')}): run "keyward migrate"`);
    },
    /** Tests only: removes the whole database this connection points at. */
    async dropDatabase() {
      await connection.dropDatabase();
    },
    async ping() {
      if (!connection.db) throw new Error('not connected to MongoDB');
      await connection.db.admin().ping();
    },
    async close() {
      await connection.close();
    },
  };
}
