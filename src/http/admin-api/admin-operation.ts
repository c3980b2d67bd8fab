import { z } from 'zod';
import type { AdminCall } from '../../services/admin/admin-context.ts';
import type { AdminScope } from '../../services/apis.service.ts';
import type { KeywardContext } from '../state.ts';

/** What a handler gets: validated input, the caller, and the revision named by If-Match. */
export interface OperationInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  call: AdminCall;
  /** The revision the caller's If-Match names (RFC 9110 §13.1.1); undefined without one. */
  ifMatch: number | undefined;
  ctx: KeywardContext;
}

/** A handler's answer: the JSON body, and the revision to send as the ETag when the resource has one. */
export interface OperationResult {
  body: unknown;
  status?: number;
  revision?: number;
}

/**
 * One admin API operation, described once: the router validates requests with these schemas,
 * and the OpenAPI document is generated from the very same ones (issue 18: "generated from the
 * same zod schemas that validate requests"), so the document cannot drift from the code.
 */
export interface AdminOperation {
  method: 'get' | 'post' | 'patch' | 'delete';
  /** OpenAPI path template under /admin/api/v1, e.g. `/users/{id}`. */
  path: string;
  operationId: string;
  summary: string;
  tag: string;
  scope: AdminScope;
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  /** The success body, for the document. */
  response: z.ZodType;
  status?: 200 | 201;
  /** `required`: refused with 428 without If-Match (updates and deletes); `optional`: honoured when sent. */
  ifMatch?: 'required' | 'optional';
  /** The response carries an ETag (a single resource with a revision). */
  etag?: boolean;
  /** Answered as a stream of JSON lines instead of one JSON body. */
  jsonLines?: boolean;
  handler(input: OperationInput<any, any, any>): Promise<OperationResult>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** Typed construction: the handler's input types follow the schemas. */
export function operation<P extends z.ZodObject | undefined, Q extends z.ZodObject | undefined, B extends z.ZodType | undefined>(
  definition: Omit<AdminOperation, 'handler' | 'params' | 'query' | 'body'> & {
    params?: P; query?: Q; body?: B;
    handler(input: OperationInput<P extends z.ZodType ? z.output<P> : undefined, Q extends z.ZodType ? z.output<Q> : undefined, B extends z.ZodType ? z.output<B> : undefined>): Promise<OperationResult>;
  },
): AdminOperation {
  return definition as AdminOperation;
}

/** Paging shared by every list: a bounded page size and an opaque cursor. */
export const pageQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50).describe('Page size, 1-200 (default 50).'),
  cursor: z.string().min(1).max(2000).optional().describe('The next_cursor of the previous page.'),
});

export const pageOf = <T extends z.ZodType>(item: T) => z.object({
  items: z.array(item),
  next_cursor: z.string().nullable().describe('Where the next page starts; null on the last page.'),
});

export const idParams = z.strictObject({ id: z.string().min(1).max(320) });
export const deleted = z.object({ deleted: z.literal(true) }).loose();

/**
 * A page of a list held in memory (clients, APIs: a few hundred at most), in key order, after the
 * cursor (the key of the last item shown, base64url), so every list endpoint is paged alike.
 */
export function pageInMemory<T>(items: readonly T[], keyOf: (item: T) => string, page: { limit: number; cursor?: string | undefined }) {
  const after = page.cursor === undefined ? undefined : Buffer.from(page.cursor, 'base64url').toString('utf8');
  const sorted = [...items].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
  const rest = after === undefined ? sorted : sorted.filter((item) => keyOf(item) > after);
  const shown = rest.slice(0, page.limit);
  return { items: shown, next_cursor: rest.length > page.limit ? Buffer.from(keyOf(shown.at(-1)!), 'utf8').toString('base64url') : null };
}
