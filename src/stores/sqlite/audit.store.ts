import type { DatabaseSync, StatementSync } from 'node:sqlite';
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

const toEvent = (r: AuditRow): AuditEvent => ({
  at: r.at,
  event: r.event,
  outcome: r.outcome,
  accountId: r.account_id ?? undefined,
  clientId: r.client_id ?? undefined,
  ip: r.ip ?? undefined,
  userAgent: r.user_agent ?? undefined,
  details: r.details ? (JSON.parse(r.details) as Record<string, unknown>) : undefined,
});

/** A page cursor: the (at, id) of the last event shown, newest-first order. */
const encodeCursor = (at: number, id: number) => `${at}.${id}`;
function decodeCursor(cursor: string | undefined): { at: number; id: number } | undefined {
  const match = /^(\d{1,15})\.(\d{1,15})$/.exec(cursor ?? '');
  return match ? { at: Number(match[1]), id: Number(match[2]) } : undefined;
}

export function createSqliteAuditStore(db: DatabaseSync): AuditStore {
  const insert = db.prepare('INSERT INTO audit_events (at, event, outcome, account_id, client_id, ip, user_agent, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  const list = db.prepare(`
    SELECT at, event, outcome, account_id, client_id, ip, user_agent, details FROM audit_events
    WHERE (:account IS NULL OR account_id = :account) AND (:event IS NULL OR event = :event)
    ORDER BY at DESC, id DESC LIMIT :limit`);
  const prune = db.prepare('DELETE FROM audit_events WHERE at < ?');
  // One statement per combination of filters, naming only the filters given: "(:x IS NULL OR
  // column = :x)" would keep SQLite from the (account_id, at), (client_id, at) and (event, at) indexes.
  const queries = new Map<string, StatementSync>();
  const queryFor = (filters: readonly string[]) => {
    const key = filters.join(',');
    let statement = queries.get(key);
    if (!statement) {
      const where = filters.map((column) => `${column} = :${column}`).join(' AND ');
      statement = db.prepare(`
        SELECT id, at, event, outcome, account_id, client_id, ip, user_agent, details FROM audit_events
        WHERE ${where ? `${where} AND ` : ''}at >= :from AND at < :to AND (at < :afterAt OR (at = :afterAt AND id < :afterId))
        ORDER BY at DESC, id DESC LIMIT :limit`);
      queries.set(key, statement);
    }
    return statement;
  };
  const hourly = db.prepare(`
    SELECT (at / 3600000) * 3600000 AS hour, outcome, count(*) AS count FROM audit_events
    WHERE event = ? AND at >= ? AND at < ? GROUP BY hour, outcome ORDER BY hour`);
  return {
    async record(e) {
      insert.run(e.at, e.event, e.outcome, e.accountId ?? null, e.clientId ?? null, e.ip ?? null, e.userAgent ?? null, e.details ? JSON.stringify(e.details) : null);
    },
    async list({ accountId, event, limit }) {
      const rows = list.all({ account: accountId ?? null, event: event ?? null, limit }) as unknown as AuditRow[];
      return rows.map(toEvent);
    },
    async query(q) {
      const after = decodeCursor(q.after);
      const limit = Math.max(0, Math.floor(q.limit));
      const equal = { account_id: q.accountId, client_id: q.clientId, event: q.event, outcome: q.outcome };
      const given = Object.entries(equal).filter((entry): entry is [string, string] => entry[1] !== undefined);
      const rows = queryFor(given.map(([column]) => column)).all({
        ...Object.fromEntries(given),
        from: q.from ?? 0, to: q.to ?? Number.MAX_SAFE_INTEGER,
        afterAt: after?.at ?? Number.MAX_SAFE_INTEGER, afterId: after?.id ?? Number.MAX_SAFE_INTEGER, limit: limit + 1,
      }) as unknown as (AuditRow & { id: number })[];
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return { events: page.map(toEvent), next: rows.length > limit && last ? encodeCursor(last.at, last.id) : undefined };
    },
    async countByHour(event, from, to) {
      return (hourly.all(event, from, to) as { hour: number; outcome: string; count: number }[]).map((r) => ({ hour: Number(r.hour), outcome: r.outcome, count: Number(r.count) }));
    },
    async deleteOlderThan(before) {
      return Number(prune.run(before).changes);
    },
  };
}
