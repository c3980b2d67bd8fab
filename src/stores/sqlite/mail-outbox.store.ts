import type { DatabaseSync } from 'node:sqlite';
import type { Clock } from '../../lib/clock.ts';
import type { MailOutboxStore, OutboxMail } from '../types.ts';

interface Row {
  id: string;
  recipient: string;
  subject: string;
  body: string;
  attempts: number;
  lease_until: number;
}

export function createSqliteMailOutboxStore(db: DatabaseSync, clock: Clock): MailOutboxStore {
  const enqueue = db.prepare('INSERT INTO mail_outbox (id, recipient, subject, body, created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?)');
  // One statement selects and leases: SQLite runs it as one write, so no two workers
  // (processes on the same file included) lease the same mail.
  const claim = db.prepare(`
    UPDATE mail_outbox SET lease_until = :now + :lease, attempts = attempts + 1
    WHERE id IN (
      SELECT id FROM mail_outbox
      WHERE abandoned_at IS NULL AND next_attempt_at <= :now AND (lease_until IS NULL OR lease_until <= :now)
      ORDER BY next_attempt_at LIMIT :limit)
    RETURNING id, recipient, subject, body, attempts, lease_until`);
  const complete = db.prepare('DELETE FROM mail_outbox WHERE id = ?');
  // The body holds a live link (a reset link is otherwise kept only as a hash). A delete leaves
  // the old row in earlier WAL frames until a checkpoint; truncating the WAL after a delivery
  // takes it out of the files, so a copy of the data directory does not hold a usable link.
  const truncateWal = db.prepare('PRAGMA wal_checkpoint(TRUNCATE)');
  const retry = db.prepare('UPDATE mail_outbox SET next_attempt_at = ?, lease_until = NULL, last_error = ? WHERE id = ? AND lease_until = ?');
  const abandon = db.prepare('UPDATE mail_outbox SET abandoned_at = ?, lease_until = NULL, last_error = ? WHERE id = ? AND lease_until = ?');
  const pending = db.prepare('SELECT count(*) AS n FROM mail_outbox WHERE abandoned_at IS NULL');
  const sweep = db.prepare('DELETE FROM mail_outbox WHERE abandoned_at IS NOT NULL AND abandoned_at < ?');
  return {
    async enqueue({ id, to, subject, text }) {
      enqueue.run(id, to, subject, text, clock.now(), clock.now());
    },
    async claim(limit, leaseMs) {
      const rows = claim.all({ now: clock.now(), lease: leaseMs, limit }) as unknown as Row[];
      return rows.map((row): OutboxMail => ({ id: row.id, to: row.recipient, subject: row.subject, text: row.body, attempts: row.attempts, leaseUntil: row.lease_until }));
    },
    async complete(id) {
      complete.run(id);
      // Best effort: a busy checkpoint (a reader in the way) is retried at the next delivery.
      truncateWal.get();
    },
    async fail(id, leaseUntil, retryAt, error) {
      if (retryAt === undefined) abandon.run(clock.now(), error.slice(0, 500), id, leaseUntil);
      else retry.run(retryAt, error.slice(0, 500), id, leaseUntil);
    },
    async pending() {
      return Number((pending.get() as { n: number }).n);
    },
    async sweepAbandoned(before) {
      return Number(sweep.run(before).changes);
    },
  };
}
