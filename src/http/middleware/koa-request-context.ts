import type { Middleware } from 'koa';
import { randomToken } from '../../lib/ids.ts';
import type { Logger } from '../../logger/logger.ts';
import type { Metrics } from '../../services/metrics.service.ts';
import type { KeywardContext, KeywardState } from '../state.ts';

/** A bounded label: the router's route template or oidc-provider's route name, never the raw path. */
function routeOf(ctx: KeywardContext): string {
  const matched = (ctx as unknown as { _matchedRoute?: unknown })._matchedRoute;
  if (typeof matched === 'string') return matched;
  const oidcRoute = (ctx as unknown as { oidc?: { route?: unknown } }).oidc?.route;
  return typeof oidcRoute === 'string' ? oidcRoute : 'unmatched';
}

// A caller-supplied id is reused only if it is short and harmless to echo in a header.
const SAFE_REQUEST_ID = /^[A-Za-z0-9._-]{8,64}$/;

/**
 * Gives each request an id (echoed as X-Request-Id) and a child logger, and writes one log
 * line per request. Only the path is logged, never the query string: it can carry codes
 * and tokens.
 */
export function requestContext(root: Logger, metrics: Metrics): Middleware<KeywardState> {
  const log = root.child({ module: 'http' });
  // Request ids need to be unique, not secret: a random per-process prefix and a counter.
  const prefix = randomToken(6);
  let sequence = 0;
  return async (ctx, next) => {
    const started = process.hrtime.bigint();
    const incoming = ctx.get('x-request-id');
    const requestId = SAFE_REQUEST_ID.test(incoming) ? incoming : `${prefix}${(sequence += 1).toString(36).padStart(6, '0')}`;
    ctx.state.requestId = requestId;
    // The per-request child logger is made only if something logs before the request line.
    let child: Logger | undefined;
    Object.defineProperty(ctx.state, 'log', { get: () => (child ??= log.child({ reqId: requestId })), configurable: true, enumerable: true });
    ctx.set('X-Request-Id', requestId);
    try {
      await next();
    } finally {
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      // oidc-provider may answer through ctx.res directly; res.statusCode is what was sent.
      const status = ctx.respond === false ? ctx.res.statusCode : ctx.status;
      if (metrics.enabled) metrics.httpDuration.observe({ method: ctx.method, route: routeOf(ctx), status }, durationMs / 1000);
      log.info({ reqId: requestId, method: ctx.method, path: ctx.path, status, durationMs: Math.round(durationMs * 10) / 10 }, 'request');
    }
  };
}
