import type { DatabaseSync } from 'node:sqlite';
import type { Clock } from '../../lib/clock.ts';
import type { FederatedIdentity, FederatedIdentityStore } from '../types.ts';

interface IdentityRow {
  upstream: string;
  subject: string;
  account_id: string;
  email: string | null;
  created_at: number;
  last_used_at: number;
}

const toIdentity = (row: IdentityRow): FederatedIdentity => ({
  upstream: row.upstream, subject: row.subject, accountId: row.account_id, email: row.email ?? undefined, createdAt: row.created_at, lastUsedAt: row.last_used_at,
});

export function createSqliteFederatedIdentityStore(db: DatabaseSync, clock: Clock): FederatedIdentityStore {
  const COLUMNS = 'upstream, subject, account_id, email, created_at, last_used_at';
  const find = db.prepare(`SELECT ${COLUMNS} FROM federated_identities WHERE upstream = ? AND subject = ?`);
  // The primary key (upstream, subject) makes an identity belong to one account only.
  const link = db.prepare(`INSERT INTO federated_identities (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (upstream, subject) DO NOTHING`);
  const forAccount = db.prepare(`SELECT ${COLUMNS} FROM federated_identities WHERE account_id = ? ORDER BY created_at, upstream, subject`);
  const unlink = db.prepare('DELETE FROM federated_identities WHERE account_id = ? AND upstream = ? AND subject = ?');
  const touch = db.prepare('UPDATE federated_identities SET last_used_at = ? WHERE upstream = ? AND subject = ?');
  return {
    async find(upstream, subject) {
      const row = find.get(upstream, subject) as IdentityRow | undefined;
      return row ? toIdentity(row) : undefined;
    },
    async link({ upstream, subject, accountId, email }) {
      const now = clock.now();
      return link.run(upstream, subject, accountId, email ?? null, now, now).changes === 1;
    },
    async listForAccount(accountId) {
      return (forAccount.all(accountId) as unknown as IdentityRow[]).map(toIdentity);
    },
    async unlink(accountId, upstream, subject) {
      return unlink.run(accountId, upstream, subject).changes === 1;
    },
    async touch(upstream, subject) {
      touch.run(clock.now(), upstream, subject);
    },
  };
}
