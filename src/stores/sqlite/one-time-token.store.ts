import type { DatabaseSync } from 'node:sqlite';
import type { Clock } from '../../lib/clock.ts';
import type { OneTimeTokenStore } from '../types.ts';

export function createSqliteOneTimeTokenStore(db: DatabaseSync, clock: Clock): OneTimeTokenStore {
  const insert = db.prepare('INSERT INTO one_time_tokens (token_hash, purpose, account_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)');
  // One conditional UPDATE decides which of concurrent users of a link wins.
  const consume = db.prepare(`
    UPDATE one_time_tokens SET used_at = ?
    WHERE token_hash = ? AND purpose = ? AND used_at IS NULL AND expires_at > ?
    RETURNING account_id`);
  const usable = db.prepare('SELECT account_id FROM one_time_tokens WHERE token_hash = ? AND purpose = ? AND used_at IS NULL AND expires_at > ?');
  const invalidate = db.prepare('UPDATE one_time_tokens SET used_at = ? WHERE account_id = ? AND purpose = ? AND used_at IS NULL');
  const sweep = db.prepare('DELETE FROM one_time_tokens WHERE expires_at <= ? OR used_at IS NOT NULL');
  return {
    async create({ tokenHash, purpose, accountId, expiresAt }) {
      insert.run(tokenHash, purpose, accountId, clock.now(), expiresAt);
    },
    async consume(tokenHash, purpose) {
      const now = clock.now();
      const row = consume.get(now, tokenHash, purpose, now) as { account_id: string } | undefined;
      return row?.account_id;
    },
    async ownerOf(tokenHash, purpose) {
      const row = usable.get(tokenHash, purpose, clock.now()) as { account_id: string } | undefined;
      return row?.account_id;
    },
    async invalidateAll(accountId, purpose) {
      invalidate.run(clock.now(), accountId, purpose);
    },
    async sweep() {
      return Number(sweep.run(clock.now()).changes);
    },
  };
}
