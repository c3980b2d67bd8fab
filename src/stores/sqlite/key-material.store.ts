import type { DatabaseSync } from 'node:sqlite';
import type { Clock } from '../../lib/clock.ts';
import type { SecretStore, SigningKeyStore, StoredSigningKey } from '../types.ts';
import { inWriteTransaction } from './database.ts';

interface KeyRow {
  kid: string;
  alg: StoredSigningKey['alg'];
  private_jwk: string;
  created_at: number;
  state: StoredSigningKey['state'];
  state_since: number;
}

export function createSqliteSigningKeyStore(db: DatabaseSync): SigningKeyStore {
  const list = db.prepare('SELECT kid, alg, private_jwk, created_at, state, state_since FROM signing_keys ORDER BY created_at, kid');
  const count = db.prepare('SELECT count(*) AS n FROM signing_keys');
  const insert = db.prepare('INSERT INTO signing_keys (kid, alg, private_jwk, created_at, state, state_since) VALUES (?, ?, ?, ?, ?, ?)');
  const currentKids = db.prepare("SELECT kid FROM signing_keys WHERE state = 'current' ORDER BY kid");
  const setState = db.prepare('UPDATE signing_keys SET state = ?, state_since = ? WHERE state = ?');
  const retirable = db.prepare("SELECT kid FROM signing_keys WHERE state = 'previous' AND state_since <= ?");
  const retire = db.prepare("DELETE FROM signing_keys WHERE state = 'previous' AND state_since <= ?");
  const replaceJwk = db.prepare('UPDATE signing_keys SET private_jwk = ? WHERE kid = ? AND private_jwk = ?');
  const all = (): StoredSigningKey[] =>
    (list.all() as unknown as KeyRow[]).map((row) => ({
      kid: row.kid,
      alg: row.alg,
      privateJwk: JSON.parse(row.private_jwk) as Record<string, unknown>,
      createdAt: row.created_at,
      state: row.state,
      stateSince: row.state_since,
    }));
  const add = (keys: StoredSigningKey[]) => {
    for (const key of keys) insert.run(key.kid, key.alg, JSON.stringify(key.privateJwk), key.createdAt, key.state, key.stateSince);
  };

  return {
    async list() {
      return all();
    },
    async initialiseIfEmpty(keys) {
      // BEGIN IMMEDIATE serialises the check and the insert across processes.
      return inWriteTransaction(db, () => {
        if ((count.get() as { n: number }).n === 0) add(keys);
        return all();
      });
    },
    async addNext(keys) {
      inWriteTransaction(db, () => add(keys.map((key) => ({ ...key, state: 'next' as const }))));
    },
    async rotate(expectedCurrent, newNext, now) {
      return inWriteTransaction(db, () => {
        const current = (currentKids.all() as { kid: string }[]).map((row) => row.kid);
        if (current.join(',') !== [...expectedCurrent].sort().join(',')) return false;
        setState.run('previous', now, 'current');
        setState.run('current', now, 'next');
        add(newNext.map((key) => ({ ...key, state: 'next' as const, stateSince: now })));
        return true;
      });
    },
    async retirePrevious(cutoff) {
      return inWriteTransaction(db, () => {
        const kids = (retirable.all(cutoff) as { kid: string }[]).map((row) => row.kid);
        retire.run(cutoff);
        return kids;
      });
    },
    async replacePrivateJwk(kid, expected, privateJwk) {
      return replaceJwk.run(JSON.stringify(privateJwk), kid, JSON.stringify(expected)).changes === 1;
    },
  };
}

export function createSqliteSecretStore(db: DatabaseSync, clock: Clock): SecretStore {
  const insert = db.prepare('INSERT INTO secrets (name, value, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING');
  const select = db.prepare('SELECT value FROM secrets WHERE name = ?');
  const selectAll = db.prepare('SELECT name, value FROM secrets ORDER BY name');
  const replace = db.prepare('UPDATE secrets SET value = ? WHERE name = ? AND value = ?');
  return {
    async getOrCreate(name, value) {
      insert.run(name, value, clock.now());
      return (select.get(name) as { value: string }).value;
    },
    async list() {
      return (selectAll.all() as unknown as { name: string; value: string }[]).map(({ name, value }) => ({ name, value }));
    },
    async replace(name, expected, value) {
      return replace.run(value, name, expected).changes === 1;
    },
  };
}
