import type { DatabaseSync } from 'node:sqlite';
import type { Clock } from '../../lib/clock.ts';
import type { SecretStore, SigningKeyStore, StoredSigningKey } from '../types.ts';
import { inWriteTransaction } from './database.ts';

interface KeyRow {
  kid: string;
  alg: StoredSigningKey['alg'];
  private_jwk: string;
  created_at: number;
}

export function createSqliteSigningKeyStore(db: DatabaseSync): SigningKeyStore {
  const list = db.prepare('SELECT kid, alg, private_jwk, created_at FROM signing_keys ORDER BY created_at, kid');
  const count = db.prepare('SELECT count(*) AS n FROM signing_keys');
  const insert = db.prepare('INSERT INTO signing_keys (kid, alg, private_jwk, created_at) VALUES (?, ?, ?, ?)');
  const all = (): StoredSigningKey[] =>
    (list.all() as unknown as KeyRow[]).map((row) => ({
      kid: row.kid,
      alg: row.alg,
      privateJwk: JSON.parse(row.private_jwk) as Record<string, unknown>,
      createdAt: row.created_at,
    }));

  return {
    async list() {
      return all();
    },
    async initialiseIfEmpty(keys) {
      // BEGIN IMMEDIATE serialises the check and the insert across processes.
      return inWriteTransaction(db, () => {
        if ((count.get() as { n: number }).n === 0) {
          for (const key of keys) insert.run(key.kid, key.alg, JSON.stringify(key.privateJwk), key.createdAt);
        }
        return all();
      });
    },
  };
}

export function createSqliteSecretStore(db: DatabaseSync, clock: Clock): SecretStore {
  const insert = db.prepare('INSERT INTO secrets (name, value, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING');
  const select = db.prepare('SELECT value FROM secrets WHERE name = ?');
  return {
    async getOrCreate(name, value) {
      insert.run(name, value, clock.now());
      return (select.get(name) as { value: string }).value;
    },
  };
}
