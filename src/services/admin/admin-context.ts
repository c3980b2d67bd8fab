import type { z } from 'zod';
import { AppError } from '../../errors/app-error.ts';
import { fieldProblems } from '../../lib/field-problems.ts';
import type { AuditEvent } from '../../stores/types.ts';
import type { AuditTrail, RequestOrigin } from '../audit.service.ts';

/**
 * Who performs an admin action. The CLI, the REST API and the console all name one, and
 * every action is audited with it (issue 18: "every admin action is audited with its actor").
 */
export type AdminActor =
  | { kind: 'cli'; user: string }
  | { kind: 'account'; accountId: string; email: string; via: 'api' | 'console' }
  | { kind: 'client'; clientId: string };

/** An admin call: the actor and where the request came from. */
export interface AdminCall {
  actor: AdminActor;
  origin: Partial<RequestOrigin>;
}

/** The actor as stored in an audit event's details (stable, readable, no secrets). */
export function describeActor(actor: AdminActor): Record<string, string> {
  switch (actor.kind) {
    case 'cli': return { kind: 'cli', user: actor.user };
    case 'account': return { kind: 'account', account_id: actor.accountId, email: actor.email, via: actor.via };
    case 'client': return { kind: 'client', client_id: actor.clientId };
  }
}

/**
 * Records one admin action as the audit event `admin_action`, its name (`users.disable`) and the
 * actor in the details, the account or client it was done to in the event's own fields (so the
 * audit filters by account and client find it).
 */
export function auditAdminAction(
  audit: AuditTrail,
  call: AdminCall,
  action: string,
  target: Pick<AuditEvent, 'accountId' | 'clientId'> & { details?: Record<string, unknown> },
  outcome: AuditEvent['outcome'] = 'success',
): Promise<void> {
  return audit.record('admin_action', outcome, call.origin, {
    accountId: target.accountId,
    clientId: target.clientId,
    details: { action, actor: describeActor(call.actor), ...target.details },
  });
}

/** What admin services throw; the REST API answers each as RFC 9457 problem+json, the console as a message. */
export class AdminError extends AppError {
  readonly problems: readonly string[];

  constructor(code: 'not_found' | 'conflict' | 'invalid_request' | 'precondition_failed' | 'refused', message: string, problems: readonly string[] = []) {
    const status = { not_found: 404, conflict: 409, invalid_request: 400, precondition_failed: 412, refused: 409 }[code];
    super(code, message, { status, expose: true });
    this.problems = problems;
  }

  /** The message and the problems in one line, each said once (a validation refusal's message is its problems). */
  get summary(): string {
    return this.problems.length === 0 || this.message === this.problems.join('; ') ? this.message : [this.message, ...this.problems].join('; ');
  }
}

/**
 * An entity tag for a stored revision (RFC 9110 §8.8.3): strong, opaque to clients. Updates
 * compare it inside the store (compare-and-set), so two admins cannot overwrite each other.
 */
export const etagOf = (revision: number): string => `"r${revision}"`;

/** The revision an `If-Match` value names; undefined when it names none (then no update may pass). */
export function revisionOf(ifMatch: string | undefined): number | undefined {
  const match = /^"r(\d{1,15})"$/.exec(ifMatch?.trim() ?? '');
  return match ? Number(match[1]) : undefined;
}

/** The role that makes a person an administrator (admin API tokens, the console). */
export const ADMIN_ROLE = 'admin';

/** Who is calling the admin API, once their token and (for a person) their admin role have been checked. */
export interface AdminPrincipal {
  actor: AdminActor;
  scopes: readonly ('admin:read' | 'admin:write')[];
}

/**
 * Validates admin input; refused with every problem as `field: message` (the input as a whole
 * named `whole`), and `message` or else the problems themselves as the refusal's text.
 */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, options: { whole?: string; message?: string } = {}): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems = fieldProblems(result.error.issues, options.whole ?? '(body)');
  throw new AdminError('invalid_request', options.message ?? problems.join('; '), problems);
}
