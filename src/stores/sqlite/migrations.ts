import type { DatabaseSync } from 'node:sqlite';
import { inWriteTransaction } from './database.ts';

/**
 * Schema changes, applied in order by `keyward migrate` (and by `npm start` on SQLite).
 * Never edit a released migration: add a new one.
 */
const MIGRATIONS: readonly { version: number; sql: string }[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE oidc_records (
        model TEXT NOT NULL,
        id TEXT NOT NULL,
        payload TEXT NOT NULL,
        grant_id TEXT,
        uid TEXT,
        user_code TEXT,
        expires_at INTEGER,
        consumed_at INTEGER,
        PRIMARY KEY (model, id)
      ) WITHOUT ROWID;
      CREATE INDEX oidc_records_grant_id ON oidc_records (model, grant_id) WHERE grant_id IS NOT NULL;
      CREATE INDEX oidc_records_uid ON oidc_records (model, uid) WHERE uid IS NOT NULL;
      CREATE INDEX oidc_records_user_code ON oidc_records (model, user_code) WHERE user_code IS NOT NULL;
      CREATE INDEX oidc_records_expires_at ON oidc_records (expires_at) WHERE expires_at IS NOT NULL;

      CREATE TABLE signing_keys (
        kid TEXT PRIMARY KEY,
        alg TEXT NOT NULL,
        private_jwk TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );

      CREATE TABLE secrets (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );

      CREATE TABLE accounts (
        id TEXT PRIMARY KEY,
        email TEXT NOT NULL,
        email_normalized TEXT NOT NULL UNIQUE,
        email_verified INTEGER NOT NULL DEFAULT 0,
        name TEXT,
        password_hash TEXT,
        roles TEXT NOT NULL DEFAULT '[]',
        disabled INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        last_sign_in_at INTEGER
      );
    `,
  },
  {
    version: 2,
    sql: `
      ALTER TABLE oidc_records ADD COLUMN account_id TEXT;
      CREATE INDEX oidc_records_account_id ON oidc_records (account_id) WHERE account_id IS NOT NULL;

      CREATE TABLE one_time_tokens (
        token_hash TEXT PRIMARY KEY,
        purpose TEXT NOT NULL,
        account_id TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        used_at INTEGER
      );
      CREATE INDEX one_time_tokens_account ON one_time_tokens (account_id, purpose);

      CREATE TABLE throttle_counters (
        key TEXT PRIMARY KEY,
        count INTEGER NOT NULL,
        window_ends_at INTEGER NOT NULL
      ) WITHOUT ROWID;

      CREATE TABLE audit_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL,
        event TEXT NOT NULL,
        outcome TEXT NOT NULL,
        account_id TEXT,
        client_id TEXT,
        ip TEXT,
        user_agent TEXT,
        details TEXT
      );
      CREATE INDEX audit_events_at ON audit_events (at);
      CREATE INDEX audit_events_account ON audit_events (account_id, at) WHERE account_id IS NOT NULL;
    `,
  },
  {
    version: 3,
    sql: `
      ALTER TABLE signing_keys ADD COLUMN state TEXT NOT NULL DEFAULT 'current';
      ALTER TABLE signing_keys ADD COLUMN state_since INTEGER NOT NULL DEFAULT 0;
      UPDATE signing_keys SET state_since = created_at;

      CREATE TABLE clients (
        client_id TEXT PRIMARY KEY,
        metadata TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
    `,
  },
  {
    version: 4,
    sql: `
      ALTER TABLE accounts ADD COLUMN picture TEXT;

      CREATE TABLE federated_identities (
        upstream TEXT NOT NULL,
        subject TEXT NOT NULL,
        account_id TEXT NOT NULL,
        email TEXT,
        created_at INTEGER NOT NULL,
        last_used_at INTEGER NOT NULL,
        PRIMARY KEY (upstream, subject)
      ) WITHOUT ROWID;
      CREATE INDEX federated_identities_account ON federated_identities (account_id);
    `,
  },
  {
    version: 5,
    sql: `
      CREATE TABLE mail_outbox (
        id TEXT PRIMARY KEY,
        recipient TEXT NOT NULL,
        subject TEXT NOT NULL,
        body TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        lease_until INTEGER,
        last_error TEXT,
        abandoned_at INTEGER
      ) WITHOUT ROWID;
      CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at) WHERE abandoned_at IS NULL;
    `,
  },
  {
    version: 6,
    // credential_id is UNIQUE but nullable: SQLite lets any number of rows hold NULL in a
    // unique column (https://sqlite.org/lang_createtable.html#unique_constraints), so TOTP
    // authenticators, which have none, never collide.
    sql: `
      CREATE TABLE authenticators (
        id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        name TEXT NOT NULL,
        secret TEXT NOT NULL,
        credential_id TEXT UNIQUE,
        counter INTEGER NOT NULL DEFAULT 0,
        transports TEXT NOT NULL DEFAULT '[]',
        backed_up INTEGER NOT NULL DEFAULT 0,
        confirmed INTEGER NOT NULL DEFAULT 0,
        last_used_step INTEGER,
        created_at INTEGER NOT NULL,
        last_used_at INTEGER
      );
      CREATE INDEX authenticators_account ON authenticators (account_id);

      CREATE TABLE recovery_codes (
        account_id TEXT NOT NULL,
        code_hash TEXT NOT NULL,
        used_at INTEGER,
        PRIMARY KEY (account_id, code_hash)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 7,
    // The admin API: account revisions for ETags, and the audit log filtered by client and event.
    sql: `
      ALTER TABLE accounts ADD COLUMN revision INTEGER NOT NULL DEFAULT 1;
      ALTER TABLE clients ADD COLUMN revision INTEGER NOT NULL DEFAULT 1;
      CREATE INDEX audit_events_client ON audit_events (client_id, at) WHERE client_id IS NOT NULL;
      CREATE INDEX audit_events_event ON audit_events (event, at);
    `,
  },
  {
    version: 8,
    // APIs added at run time (the clients file's stay in the file); revision is the compare-and-set counter.
    sql: `
      CREATE TABLE apis (
        identifier TEXT PRIMARY KEY,
        definition TEXT NOT NULL,
        revision INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
    `,
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS.at(-1)!.version;

/** Applies the migrations not applied yet; returns what it did, one line each. */
export function migrate(db: DatabaseSync, now: number): string[] {
  const applied: string[] = [];
  inWriteTransaction(db, () => {
    db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
    const current = currentVersion(db);
    for (const migration of MIGRATIONS) {
      if (migration.version <= current) continue;
      db.exec(migration.sql);
      db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(migration.version, now);
      applied.push(`applied schema version ${migration.version}`);
    }
  });
  return applied;
}

export function currentVersion(db: DatabaseSync): number {
  const table = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'").get();
  if (!table) return 0;
  const row = db.prepare('SELECT max(version) AS version FROM schema_migrations').get() as { version: number | null };
  return row.version ?? 0;
}
