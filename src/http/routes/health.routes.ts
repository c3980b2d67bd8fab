import Router from '@koa/router';
import type { KeywardState } from '../state.ts';

/** Liveness (process up) and readiness (store reachable) probes for orchestrators. */
export function healthRoutes(deps: { ping: () => Promise<void> }): Router<KeywardState> {
  const router = new Router<KeywardState>();
  router.get('/healthz', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    try {
      await deps.ping();
      ctx.body = { status: 'ready' };
    } catch (error) {
      ctx.state.log.warn({ err: error }, 'readiness check failed: store unreachable');
      ctx.status = 503;
      ctx.body = { status: 'unavailable', reason: 'store unreachable' };
    }
  });
  return router;
}
