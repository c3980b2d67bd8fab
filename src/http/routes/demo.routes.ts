import Router from '@koa/router';
import type { RenderPage } from '../../lib/view-renderer.ts';
import { DEMO_CODE_VERIFIER } from '../../services/demo-data.service.ts';
import type { KeywardState } from '../state.ts';

/** Development only: where the demo client lands, so a newcomer sees a sign-in complete. */
export function demoRoutes(deps: { render: RenderPage; issuer: string }): Router<KeywardState> {
  const router = new Router<KeywardState>({ prefix: '/demo' });
  router.get('/callback', async (ctx) => {
    const first = (value: unknown) => (typeof value === 'string' ? value : undefined);
    ctx.set('Cache-Control', 'no-store');
    ctx.type = 'html';
    ctx.body = await deps.render('demo-callback', { title: 'title.demo', requestId: ctx.state.requestId, locale: ctx.state.locale, path: ctx.path }, {
      code: first(ctx.query.code),
      issuer: deps.issuer,
      verifier: DEMO_CODE_VERIFIER,
      error: first(ctx.query.error),
      errorDescription: first(ctx.query.error_description),
    });
  });
  router.get('/signed-out', async (ctx) => {
    ctx.type = 'html';
    ctx.body = await deps.render('signed-out', { title: 'title.signedOut', requestId: ctx.state.requestId, locale: ctx.state.locale, path: ctx.path }, { clientName: 'Keyward demo app' });
  });
  return router;
}
