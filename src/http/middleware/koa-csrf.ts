import type { Middleware } from 'koa';
import { CsrfError } from '../../errors/app-error.ts';
import { constantTimeEqual } from '../../lib/constant-time.ts';
import { randomToken } from '../../lib/ids.ts';
import type { KeywardContext, KeywardState } from '../state.ts';
import type { UiSession } from '../ui-session.ts';

// koa-session adds ctx.session without a type augmentation for koa.
const sessionOf = (ctx: KeywardContext): UiSession | null | undefined => (ctx as unknown as { session?: UiSession | null }).session;

/** The synchronizer token for the UI session (koa-session), created on first use. */
export function csrfToken(ctx: KeywardContext): string {
  const session = sessionOf(ctx);
  if (!session) throw new Error('csrfToken() needs koa-session in front of it');
  session.csrf ??= randomToken(32);
  return session.csrf;
}

/**
 * Rejects a form POST whose `_csrf` field does not match the UI session's token
 * (OWASP synchronizer token pattern). Runs after the body parser.
 */
export function verifyCsrf(): Middleware<KeywardState> {
  return async (ctx, next) => {
    const expected = sessionOf(ctx)?.csrf;
    const body = (ctx.request as { body?: unknown }).body as Record<string, unknown> | undefined;
    const submitted = body?._csrf;
    if (!expected || typeof submitted !== 'string' || !constantTimeEqual(submitted, expected)) throw new CsrfError();
    await next();
  };
}
