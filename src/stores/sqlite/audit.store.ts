import type { DatabaseSync } from 'node:sqlite';
import type { AuditEvent, AuditStore } from '../types.ts';

interface AuditRow {
  at: number;
  event: string;
  outcome: AuditEvent['outcome'];
  account_id: string | null;
  client_id: string | null;
  ip: string | null;
  user_agent: string | null;
  details: string | null;
}

export function createSqliteAuditStore(db: DatabaseSync): AuditStore {
  const insert = db.prepare('INSERT INTO audit_events (at, event, outcome, account_id, client_id, ip, user_agent, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  const list = db.prepare(`
    SELECT at, event, outcome, account_id, client_id, ip, user_agent, details FROM audit_events
    WHERE (:account IS NULL OR account_id = :account) AND (:event IS NULL OR event = :event)
    ORDER BY at DESC, id DESC LIMIT :limit`);
  const prune = db.prepare('DELETE FROM audit_events WHERE at < ?');
  return {
    async record(e) {
      insert.run(e.at, e.event, e.outcome, e.accountId ?? null, e.clientId ?? null, e.ip ?? null, e.userAgent ?? null, e.details ? JSON.stringify(e.details) : null);
    },
    async list({ accountId, event, limit }) {
      const rows = list.all({ account: accountId ?? null, event: event ?? null, limit }) as unknown as AuditRow[];
      return rows.map((r) => ({
        at: r.at,
        event: r.event,
        outcome: r.outcome,
        accountId: r.account_id ?? undefined,
        clientId: r.client_id ?? undefined,
        ip: r.ip ?? undefined,
        userAgent: r.user_agent ?? undefined,
        details: r.details ? (JSON.parse(r.details) as Record<string, unknown>) : undefined,
      }));
    },
    async deleteOlderThan(before) {
      return Number(prune.run(before).changes);
    },
  };
}
