import { Readable } from 'node:stream';
import { auditFilterSchema, type AuditEventView, type AuditFilter } from '../../services/admin/audit-admin.service.ts';
import { parseOrThrow } from '../../services/admin/admin-context.ts';
import type { KeywardContext } from '../state.ts';
import { attempt, queryParam, refusalOf, when, type ConsoleKit, type Refusal } from './console-kit.ts';

const PAGE_SIZE = 50;
const FILTERS = ['account_id', 'client_id', 'event', 'outcome', 'from', 'to'] as const;
export const OUTCOMES = ['success', 'failure', 'denied', 'blocked', 'info'] as const;

/** An audit event as a table row: times in the console's notation, details as compact JSON. */
export function auditRow(event: AuditEventView) {
  const details = event.details ? JSON.stringify(event.details) : '';
  const action = event.details?.action;
  return {
    at: when(event.at), atIso: event.at, event: event.event, action: typeof action === 'string' ? action : undefined,
    outcome: event.outcome, accountId: event.account_id, clientId: event.client_id, ip: event.ip,
    details: details.length > 300 ? `${details.slice(0, 299)}…` : details,
  };
}

/**
 * A date-time field as the audit filter takes it: a browser's datetime-local value
 * ("2025-05-01T09:30") is read as UTC, like every time the console shows; a full ISO 8601 value
 * with its offset is taken as it is.
 */
export function isoInstant(value: string): string {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return `${value}T00:00:00Z`;
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(value)) return `${value}:00Z`;
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?$/.test(value)) return `${value}Z`;
  return value;
}

/** The filters of the query string: as typed (for the form) and as validated (for the service). */
function filtersOf(ctx: KeywardContext): { form: Record<(typeof FILTERS)[number], string>; filter: AuditFilter } {
  const form = Object.fromEntries(FILTERS.map((name) => [name, queryParam(ctx, name, 200).trim()])) as Record<(typeof FILTERS)[number], string>;
  const given = Object.fromEntries(Object.entries(form).filter(([, value]) => value !== '').map(([name, value]) => [name, name === 'from' || name === 'to' ? isoInstant(value) : value]));
  return { form, filter: parseOrThrow(auditFilterSchema, given, { whole: '(filters)', message: 'These filters cannot be used.' }) };
}

const queryOf = (form: Record<string, string>, extra: Record<string, string> = {}) =>
  new URLSearchParams(Object.entries({ ...form, ...extra }).filter(([, value]) => value !== '')).toString();

/** The audit log: filters, newest first, a page at a time, and the same filters as a download. */
export function auditRoutes(kit: ConsoleKit): void {
  kit.router.get('/audit', kit.guard(async (ctx, admin) => {
    let form = Object.fromEntries(FILTERS.map((name) => [name, queryParam(ctx, name, 200)])) as Record<string, string>;
    let refusal: Refusal | undefined;
    let rows: ReturnType<typeof auditRow>[] = [];
    let next: string | undefined;
    try {
      const parsed = filtersOf(ctx);
      form = parsed.form;
      const cursor = queryParam(ctx, 'cursor') || undefined;
      const page = await kit.admin.audit.query(parsed.filter, { cursor, limit: PAGE_SIZE });
      rows = page.items.map(auditRow);
      next = page.next_cursor ? `/admin/audit?${queryOf(form, { cursor: page.next_cursor })}` : undefined;
    } catch (error) {
      refusal = refusalOf(ctx, error);
    }
    await kit.page(ctx, admin, 'audit', 'admin.audit.title', {
      form, outcomes: OUTCOMES, rows, next, refusal,
      first: queryParam(ctx, 'cursor') ? `/admin/audit?${queryOf(form)}` : undefined,
      exportHref: `/admin/audit/export?${queryOf(form)}`,
    });
  }));

  // JSON lines (one event per line), newest first, for the same filters: a file to keep or grep.
  kit.router.get('/audit/export', kit.guard(async (ctx, admin) => {
    let filter: AuditFilter;
    try {
      filter = filtersOf(ctx).filter;
    } catch (error) {
      return kit.page(ctx, admin, 'audit', 'admin.audit.title', { form: {}, outcomes: OUTCOMES, rows: [], refusal: refusalOf(ctx, error), exportHref: '/admin/audit/export' });
    }
    // The service checks the filters together (from before to), and audits the download, before anything is streamed.
    const started = await attempt(ctx, () => kit.admin.audit.export(admin.call, filter));
    if (started.refusal) return kit.page(ctx, admin, 'audit', 'admin.audit.title', { form: {}, outcomes: OUTCOMES, rows: [], refusal: started.refusal, exportHref: '/admin/audit/export' });
    const events = started.value;
    ctx.set('Content-Disposition', `attachment; filename="keyward-audit-${new Date().toISOString().slice(0, 10)}.jsonl"`);
    ctx.type = 'application/jsonl; charset=utf-8';
    ctx.body = Readable.from((async function* lines() {
      // `<` escaped: a line is JSON either way, and no browser can be talked into reading it as markup.
      for await (const event of events) yield `${JSON.stringify(event).replaceAll('<', '\\u003c')}\n`;
    })());
  }));
}
