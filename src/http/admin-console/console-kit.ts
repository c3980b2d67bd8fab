import type Router from '@koa/router';
import type { Middleware } from 'koa';
import type { Message } from '../../lib/i18n.ts';
import type { AdminServices } from '../../services/admin/admin.module.ts';
import { AdminError, type AdminCall } from '../../services/admin/admin-context.ts';
import type { ConsoleSignIn } from '../../services/admin-console-sessions.service.ts';
import type { AccountRecord } from '../../stores/types.ts';
import { field } from '../forms.ts';
import { csrfToken } from '../middleware/koa-csrf.ts';
import type { KeywardContext, KeywardState } from '../state.ts';

/** The administrator behind a console request, checked on this request (console-access.ts). */
export interface ConsoleAdmin {
  account: AccountRecord;
  /** What every admin service method takes: the admin as the actor, via the console. */
  call: AdminCall;
  signIn: ConsoleSignIn;
}

export type ConsoleHandler = (ctx: KeywardContext, admin: ConsoleAdmin) => Promise<void>;

/** What each section of the console (users, clients …) registers its routes with. */
export interface ConsoleKit {
  router: Router<KeywardState>;
  admin: AdminServices;
  /** Runs the handler for a signed-in administrator; anyone else is sent to sign in or refused. */
  guard(handler: ConsoleHandler): Middleware<KeywardState>;
  page(ctx: KeywardContext, admin: ConsoleAdmin, view: string, title: Message, model?: object): Promise<void>;
}

/** A refusal (AdminError) as the page shows it: a heading by its kind, the service's words, the problems. */
export interface Refusal {
  title: Message;
  message: string;
  problems: readonly string[];
  /** A stale form: where to read the current state again. */
  reload: string | undefined;
}

const REFUSAL_TITLES: Record<string, Message> = {
  precondition_failed: 'admin.refused.stale',
  not_found: 'admin.refused.notFound',
  conflict: 'admin.refused.conflict',
  refused: 'admin.refused.refused',
  invalid_request: 'admin.refused.invalid',
};

/** The refusal of an AdminError (with the HTTP status it carries); anything else is thrown on. */
export function refusalOf(ctx: KeywardContext, error: unknown, reload?: string): Refusal {
  if (!(error instanceof AdminError)) throw error;
  ctx.status = error.status;
  const stale = error.code === 'precondition_failed';
  // Validation errors say their problems twice (message and list): the list is enough.
  const message = error.problems.length > 0 && error.message === error.problems.join('; ') ? '' : error.message;
  return { title: REFUSAL_TITLES[error.code] ?? 'admin.refused.invalid', message, problems: stale ? [] : error.problems, reload: stale ? reload ?? ctx.path : undefined };
}

/** Runs an admin call; an AdminError comes back as a refusal (and the status), anything else is thrown. */
export async function attempt<T>(ctx: KeywardContext, call: () => Promise<T>, reload?: string): Promise<{ value: T; refusal?: undefined } | { value?: undefined; refusal: Refusal }> {
  try {
    return { value: await call() };
  } catch (error) {
    return { refusal: refusalOf(ctx, error, reload) };
  }
}

export function seeOther(ctx: KeywardContext, path: string): void {
  ctx.status = 303;
  ctx.redirect(path);
}

/**
 * The revision a form was based on (its hidden `revision` field). A form without one cannot say
 * what it changes, so it is refused rather than applied to whatever is current.
 */
export function revisionField(ctx: KeywardContext): number {
  const value = field(ctx, 'revision');
  if (!/^\d{1,15}$/.test(value)) throw new AdminError('precondition_failed', 'The form did not say which version it was based on.');
  return Number(value);
}

/** A textarea as its non-empty lines, trimmed (redirect URIs, API grants, scopes), at most `max`. */
export function linesOf(text: string, max = 100): string[] {
  const lines = text.split(/\r?\n/).map((line) => line.trim()).filter(Boolean);
  if (lines.length > max) throw new AdminError('invalid_request', `At most ${max} lines.`, [`at most ${max} lines`]);
  return lines;
}

export const checkbox = (ctx: KeywardContext, name: string): boolean => field(ctx, name) === 'yes';

/** A query parameter as one bounded string ('' when absent or repeated). */
export function queryParam(ctx: KeywardContext, name: string, max = 300): string {
  const value = ctx.query[name];
  return typeof value === 'string' ? value.slice(0, max) : '';
}

/** Dates as the console shows them: ISO 8601 to the minute, in UTC (one notation in every language). */
export const when = (ms: number | string | null | undefined): string => {
  if (ms === null || ms === undefined) return '—';
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? '—' : `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
};

/** The console's CSRF token for the page's forms. */
export const consoleCsrf = (ctx: KeywardContext): string => csrfToken(ctx);

/** RFC 8176 method references as the console names them (catalog keys); `mfa` and `user` say nothing more. */
const METHOD_NAMES: Record<string, string> = {
  pwd: 'admin.methods.pwd', otp: 'admin.methods.otp', hwk: 'admin.methods.hwk', swk: 'admin.methods.swk', fed: 'admin.methods.fed',
};
export const methodNames = (amr: readonly string[]): string[] => amr.flatMap((method) => (METHOD_NAMES[method] ? [METHOD_NAMES[method]] : []));
