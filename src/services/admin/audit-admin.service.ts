import { z } from 'zod';
import type { Clock } from '../../lib/clock.ts';
import type { AccountStore, AuditEvent, AuditStore, OidcRecordStore } from '../../stores/types.ts';
import type { AuditTrail } from '../audit.service.ts';
import { AdminError, auditAdminAction, type AdminCall } from './admin-context.ts';
import { MAX_PAGE_SIZE } from './accounts-admin.service.ts';

const HOUR = 3_600_000;
/** Events that tell an operator something may be wrong (the dashboard lists the latest). */
export const SECURITY_EVENTS = ['lockout', 'refresh_token_reuse', 'mfa_reset', 'account_deleted', 'recovery_code_used'] as const;
const OUTCOMES = ['success', 'failure', 'denied', 'blocked', 'info'] as const;

export const auditFilterSchema = z.strictObject({
  account_id: z.string().min(1).max(200).optional(),
  client_id: z.string().min(1).max(200).optional(),
  event: z.string().regex(/^[a-z_.]{1,64}$/, 'an event name such as sign_in').optional(),
  outcome: z.enum(OUTCOMES).optional(),
  /** ISO 8601 date-time, inclusive. */
  from: z.iso.datetime({ offset: true }).optional(),
  /** ISO 8601 date-time, exclusive. */
  to: z.iso.datetime({ offset: true }).optional(),
});
export type AuditFilter = z.output<typeof auditFilterSchema>;

export const auditEventView = (e: AuditEvent) => ({
  at: new Date(e.at).toISOString(), event: e.event, outcome: e.outcome, account_id: e.accountId ?? null, client_id: e.clientId ?? null,
  ip: e.ip ?? null, user_agent: e.userAgent ?? null, details: e.details ?? null,
});
export type AuditEventView = ReturnType<typeof auditEventView>;

/** The audit log, read by administrators; and what the console's dashboard shows. */
export function createAuditAdmin(deps: { store: AuditStore; accounts: AccountStore; records: OidcRecordStore; clock: Clock; audit: AuditTrail; clientCount: () => Promise<number> }) {
  const toQuery = (filter: AuditFilter) => {
    const from = filter.from ? Date.parse(filter.from) : undefined;
    const to = filter.to ? Date.parse(filter.to) : undefined;
    if (from !== undefined && to !== undefined && from >= to) throw new AdminError('invalid_request', 'from must be before to', ['from: must be before to']);
    return { accountId: filter.account_id, clientId: filter.client_id, event: filter.event, outcome: filter.outcome, from, to };
  };
  return {
    async query(filter: AuditFilter, page: { cursor?: string | undefined; limit: number }) {
      if (page.cursor !== undefined && !/^\d{1,15}\.[0-9a-f]{1,24}$/.test(page.cursor)) throw new AdminError('invalid_request', 'cursor is not one this API gave');
      const limit = Math.min(Math.max(1, Math.floor(page.limit)), MAX_PAGE_SIZE);
      const result = await deps.store.query({ ...toQuery(filter), after: page.cursor, limit });
      return { items: result.events.map(auditEventView), next_cursor: result.next ?? null };
    },

    /**
     * Every matching event, newest first, a bounded page at a time (for a JSON-lines download). The
     * filters are checked, and the download audited (it copies the log out), before anything streams.
     */
    async export(call: AdminCall, filter: AuditFilter, maxEvents = 100_000): Promise<AsyncGenerator<AuditEventView>> {
      const query = toQuery(filter);
      await auditAdminAction(deps.audit, call, 'audit.export', { details: { filter } });
      return (async function* pages() {
        let after: string | undefined;
        let sent = 0;
        while (sent < maxEvents) {
          const page = await deps.store.query({ ...query, after, limit: Math.min(1000, maxEvents - sent) });
          for (const event of page.events) yield auditEventView(event);
          sent += page.events.length;
          if (!page.next) return;
          after = page.next;
        }
      })();
    },

    /** Counts, sign-ins and failures per hour over the last day, and the latest security events. */
    async dashboard() {
      const now = deps.clock.now();
      const end = Math.floor(now / HOUR) * HOUR + HOUR;
      const start = end - 24 * HOUR;
      const [users, clients, sessions, hourly, security] = await Promise.all([
        deps.accounts.count(), deps.clientCount(), deps.records.countLive('Session'),
        deps.store.countByHour('sign_in', start, end),
        Promise.all(SECURITY_EVENTS.map((event) => deps.store.query({ event, from: now - 7 * 24 * HOUR, limit: 10 }))),
      ]);
      const hours = Array.from({ length: 24 }, (_, i) => {
        const hour = start + i * HOUR;
        const count = (outcome: string) => hourly.filter((h) => h.hour === hour && h.outcome === outcome).reduce((sum, h) => sum + h.count, 0);
        return { hour, sign_ins: count('success'), failures: count('failure') + count('blocked') };
      });
      const events = security.flatMap((page) => page.events).sort((a, b) => b.at - a.at).slice(0, 10).map(auditEventView);
      return { users, clients, active_sessions: sessions, hours, security_events: events };
    },
  };
}

export type AuditAdmin = ReturnType<typeof createAuditAdmin>;
