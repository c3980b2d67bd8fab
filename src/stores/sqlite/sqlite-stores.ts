import { StartupError } from '../../errors/app-error.ts';
import type { Clock } from '../../lib/clock.ts';
import type { AccountStore, ApiStore, AuditStore, AuthenticatorStore, ClientStore, FederatedIdentityStore, MailOutboxStore, OidcRecordStore, OneTimeTokenStore, RecoveryCodeStore, SecretStore, SigningKeyStore, Stores, ThrottleStore } from '../types.ts';
import { createSqliteApiStore } from './api.store.ts';
import { createSqliteAuditStore } from './audit.store.ts';
import { createSqliteAuthenticatorStore } from './authenticator.store.ts';
import { createSqliteClientStore } from './client.store.ts';
import { createSqliteFederatedIdentityStore } from './federated-identity.store.ts';
import { createSqliteOneTimeTokenStore } from './one-time-token.store.ts';
import { createSqliteThrottleStore } from './throttle.store.ts';
import { createSqliteAccountStore } from './account.store.ts';
import { openSqlite, type SqliteOptions } from './database.ts';
import { createSqliteMailOutboxStore } from './mail-outbox.store.ts';
import { createSqliteSecretStore, createSqliteSigningKeyStore } from './key-material.store.ts';
import { LATEST_SCHEMA_VERSION, currentVersion, migrate } from './migrations.ts';
import { createSqliteOidcRecordStore } from './oidc-record.store.ts';
import { createSqliteRecoveryCodeStore } from './recovery-code.store.ts';

/**
 * The embedded backend. Statements are prepared lazily on first use of each store, after
 * migrate() has created the tables, so opening never touches the schema.
 */
export function createSqliteStores(options: SqliteOptions, clock: Clock): Stores {
  const db = openSqlite(options);
  let oidcRecords: OidcRecordStore | undefined;
  let signingKeys: SigningKeyStore | undefined;
  let clients: ClientStore | undefined;
  let apis: ApiStore | undefined;
  let federatedIdentities: FederatedIdentityStore | undefined;
  let secrets: SecretStore | undefined;
  let accounts: AccountStore | undefined;
  let oneTimeTokens: OneTimeTokenStore | undefined;
  let throttle: ThrottleStore | undefined;
  let audit: AuditStore | undefined;
  let mailOutbox: MailOutboxStore | undefined;
  let authenticators: AuthenticatorStore | undefined;
  let recoveryCodes: RecoveryCodeStore | undefined;
  return {
    get oidcRecords() {
      return (oidcRecords ??= createSqliteOidcRecordStore(db, clock));
    },
    get signingKeys() {
      return (signingKeys ??= createSqliteSigningKeyStore(db));
    },
    get clients() {
      return (clients ??= createSqliteClientStore(db, clock));
    },
    get apis() {
      return (apis ??= createSqliteApiStore(db, clock));
    },
    get federatedIdentities() {
      return (federatedIdentities ??= createSqliteFederatedIdentityStore(db, clock));
    },
    get secrets() {
      return (secrets ??= createSqliteSecretStore(db, clock));
    },
    get accounts() {
      return (accounts ??= createSqliteAccountStore(db, clock));
    },
    get oneTimeTokens() {
      return (oneTimeTokens ??= createSqliteOneTimeTokenStore(db, clock));
    },
    get throttle() {
      return (throttle ??= createSqliteThrottleStore(db, clock));
    },
    get audit() {
      return (audit ??= createSqliteAuditStore(db));
    },
    get mailOutbox() {
      return (mailOutbox ??= createSqliteMailOutboxStore(db, clock));
    },
    get authenticators() {
      return (authenticators ??= createSqliteAuthenticatorStore(db, clock));
    },
    get recoveryCodes() {
      return (recoveryCodes ??= createSqliteRecoveryCodeStore(db, clock));
    },
    async migrate() {
      return migrate(db, clock.now());
    },
    async assertMigrated() {
      const version = currentVersion(db);
      if (version < LATEST_SCHEMA_VERSION) {
        throw new StartupError(`the database schema is at version ${version}, this Keyward needs ${LATEST_SCHEMA_VERSION}: run "keyward migrate" (npm run migrate)`);
      }
    },
    async ping() {
      db.prepare('SELECT 1').get();
    },
    async close() {
      if (db.isOpen) db.close();
    },
  };
}
