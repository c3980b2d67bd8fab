import { Readable } from 'node:stream';
import { z } from 'zod';
import { auditFilterSchema, type AuditAdmin } from '../../services/admin/audit-admin.service.ts';
import { operation, pageOf, pageQuery } from './admin-operation.ts';

const eventSchema = z.object({
  at: z.string().describe('ISO 8601'), event: z.string(), outcome: z.string(), account_id: z.string().nullable(), client_id: z.string().nullable(),
  ip: z.string().nullable(), user_agent: z.string().nullable(), details: z.record(z.string(), z.unknown()).nullable(),
});

export function auditOperations(audit: AuditAdmin) {
  const tag = 'audit';
  return [
    operation({
      method: 'get', path: '/audit-events', operationId: 'listAuditEvents', tag, scope: 'admin:read', summary: 'Audit events, newest first, by account, client, event, outcome and time',
      query: pageQuery.extend(auditFilterSchema.shape), response: pageOf(eventSchema),
      handler: async ({ query }) => {
        const { limit, cursor, ...filter } = query;
        return { body: await audit.query(filter, { limit, cursor }) };
      },
    }),
    operation({
      method: 'get', path: '/audit-events/export', operationId: 'exportAuditEvents', tag, scope: 'admin:read', summary: 'Every matching event as JSON lines (at most 100,000)',
      query: auditFilterSchema, response: eventSchema, jsonLines: true,
      handler: async ({ call, query }) => {
        const events = await audit.export(call, query);
        const lines = async function* () {
          for await (const event of events) yield `${JSON.stringify(event)}\n`;
        };
        return { body: Readable.from(lines()) };
      },
    }),
  ];
}
