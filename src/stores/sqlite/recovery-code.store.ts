import type { DatabaseSync } from 'node:sqlite';
import type { Clock } from '../../lib/clock.ts';
import type { RecoveryCodeStore } from '../types.ts';
import { inWriteTransaction } from './database.ts';

export function createSqliteRecoveryCodeStore(db: DatabaseSync, clock: Clock): RecoveryCodeStore {
  const removeAll = db.prepare('DELETE FROM recovery_codes WHERE account_id = ?');
  const insert = db.prepare('INSERT INTO recovery_codes (account_id, code_hash, used_at) VALUES (?, ?, NULL) ON CONFLICT (account_id, code_hash) DO NOTHING');
  // One conditional UPDATE decides which of concurrent users of a code wins.
  const consume = db.prepare('UPDATE recovery_codes SET used_at = ? WHERE account_id = ? AND code_hash = ? AND used_at IS NULL');
  const remaining = db.prepare('SELECT count(*) AS n FROM recovery_codes WHERE account_id = ? AND used_at IS NULL');
  return {
    async replace(accountId, codeHashes) {
      // One transaction: no moment with both sets, or with none, for a concurrent reader.
      inWriteTransaction(db, () => {
        removeAll.run(accountId);
        for (const codeHash of codeHashes) insert.run(accountId, codeHash);
      });
    },
    async consume(accountId, codeHash) {
      return consume.run(clock.now(), accountId, codeHash).changes === 1;
    },
    async remaining(accountId) {
      return Number((remaining.get(accountId) as { n: number }).n);
    },
    async removeAll(accountId) {
      removeAll.run(accountId);
    },
  };
}
