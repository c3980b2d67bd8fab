import type { Middleware } from 'koa';
import { AppError } from '../../errors/app-error.ts';
import type { KeywardState } from '../state.ts';

/** No Keyward or protocol request needs a large body; refuse one before anything reads it (RFC 9110 §15.5.14). */
export const MAX_BODY_BYTES = 64 * 1024;

// Not async: a throw here still reaches the error handler (koa-compose turns it into a rejection).
export function bodyLimit(): Middleware<KeywardState> {
  return (ctx, next) => {
    const length = Number(ctx.get('content-length') || 0);
    if (length > MAX_BODY_BYTES) {
      ctx.set('Connection', 'close');
      throw new AppError('payload_too_large', `Request bodies are limited to ${MAX_BODY_BYTES / 1024} KiB.`, { status: 413 });
    }
    return next();
  };
}
