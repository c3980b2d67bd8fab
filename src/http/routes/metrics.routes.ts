import Router from '@koa/router';
import type { Registry } from 'prom-client';
import { constantTimeEqual } from '../../lib/constant-time.ts';
import type { KeywardState } from '../state.ts';

/**
 * /metrics in Prometheus text format. With a token, only requests bearing it may read
 * (RFC 6750 401 otherwise); without one, this router is mounted only on the separate
 * metrics listener, never on the public port.
 */
export function metricsRoutes(deps: { registry: Registry; token: string | undefined }): Router<KeywardState> {
  const router = new Router<KeywardState>();
  router.get('/metrics', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    if (deps.token) {
      const [scheme, presented] = ctx.get('authorization').split(' ');
      if (scheme?.toLowerCase() !== 'bearer' || !presented || !constantTimeEqual(presented, deps.token)) {
        ctx.status = 401;
        ctx.set('WWW-Authenticate', 'Bearer realm="metrics"');
        ctx.body = { error: 'invalid_token', error_description: 'a valid metrics token is required' };
        return;
      }
    }
    ctx.type = deps.registry.contentType;
    ctx.body = await deps.registry.metrics();
  });
  return router;
}
