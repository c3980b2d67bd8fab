import type { RequestOrigin } from '../services/audit.service.ts';
import type { KeywardContext } from './state.ts';

/** The client IP (X-Forwarded-For only with TRUST_PROXY, koa's app.proxy) and a bounded user agent. */
export function originOf(ctx: KeywardContext): RequestOrigin {
  return { ip: ctx.ip || 'unknown', userAgent: ctx.get('user-agent').slice(0, 300), locale: ctx.state.locale };
}

// Only a path back into a pending sign-in may be a return target: never another site.
const RETURN_TO = /^\/interaction\/[A-Za-z0-9_-]{1,100}$/;

/** A safe `return_to` from the query or form, or undefined (no open redirect). */
export function returnToOf(value: unknown): string | undefined {
  return typeof value === 'string' && RETURN_TO.test(value) ? value : undefined;
}
