import Router from '@koa/router';
import type { Middleware } from 'koa';
import type { RenderPage } from '../../lib/view-renderer.ts';
import type { InteractionService } from '../../oidc/interactions.ts';
import type { FederationService } from '../../services/federation/federation.service.ts';
import { field, parseForm } from '../forms.ts';
import { csrfToken, verifyCsrf } from '../middleware/koa-csrf.ts';
import { originOf } from '../request-origin.ts';
import type { KeywardContext, KeywardState } from '../state.ts';

/** The signed-in person's page: the upstream identities linked to the account, and removing them. */
export function accountPageRoutes(deps: { interactions: InteractionService; federation: FederationService; render: RenderPage; uiSession: Middleware }): Router<KeywardState> {
  const router = new Router<KeywardState>({ prefix: '/account' });
  const signedIn = (ctx: KeywardContext) => deps.interactions.currentAccountId({ req: ctx.req, res: ctx.res, secure: ctx.secure });
  const show = async (ctx: KeywardContext, accountId: string | undefined, message?: string) => {
    ctx.type = 'html';
    ctx.body = await deps.render('account', { title: 'Your account', requestId: ctx.state.requestId }, {
      signedIn: Boolean(accountId),
      identities: accountId ? await deps.federation.linkedIdentities(accountId) : [],
      csrfToken: csrfToken(ctx),
      message,
    });
  };

  router.use(deps.uiSession, async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    await next();
  });

  router.get('/', async (ctx) => show(ctx, await signedIn(ctx)));

  router.post('/identities/remove', parseForm, verifyCsrf(), async (ctx) => {
    const accountId = await signedIn(ctx);
    if (!accountId) {
      ctx.status = 401;
      return show(ctx, undefined);
    }
    const result = await deps.federation.unlink(accountId, field(ctx, 'upstream'), field(ctx, 'subject'), originOf(ctx));
    if (result === 'removed') {
      ctx.status = 303;
      return ctx.redirect('/account');
    }
    ctx.status = result === 'not_found' ? 404 : 409;
    await show(ctx, accountId, result === 'last_way_in' ? 'This is the only way to sign in to your account, so it cannot be removed.' : 'There is no such linked identity.');
  });

  return router;
}
