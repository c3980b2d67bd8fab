import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import type { Middleware } from 'koa';
import { z } from 'zod';
import type { RenderPage } from '../../lib/view-renderer.ts';
import type { InteractionService } from '../../oidc/interactions.ts';
import { csrfToken, verifyCsrf } from '../middleware/koa-csrf.ts';
import type { KeywardContext, KeywardState } from '../state.ts';
import { consentViewModel, loginViewModel } from '../view-models.ts';

const loginForm = z.object({
  email: z.string().trim().min(1).max(320),
  password: z.string().min(1).max(1024),
});

// One message for unknown email, wrong password and disabled account: no user enumeration.
const WRONG_CREDENTIALS = 'The email or password is incorrect.';

/** Keyward's login and consent pages, driven by oidc-provider interactions. Thin: parse, call, render. */
export function interactionRoutes(deps: { interactions: InteractionService; render: RenderPage; uiSession: Middleware }): Router<KeywardState> {
  const { interactions, render } = deps;
  const router = new Router<KeywardState>({ prefix: '/interaction' });
  const form = bodyParser({ enableTypes: ['form'], formLimit: '16kb' });
  const http = (ctx: KeywardContext) => ({ req: ctx.req, res: ctx.res });
  const page = (ctx: KeywardContext, title: string) => ({ title, requestId: ctx.state.requestId });
  const continueAt = (ctx: KeywardContext, url: string) => {
    ctx.status = 303;
    ctx.redirect(url);
  };

  router.use(deps.uiSession, async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    await next();
  });

  router.get('/:uid', async (ctx) => {
    const pending = await interactions.load(http(ctx), ctx.params.uid!);
    ctx.type = 'html';
    ctx.body = pending.prompt === 'login'
      ? await render('login', page(ctx, 'Sign in'), loginViewModel(pending, csrfToken(ctx)))
      : await render('consent', page(ctx, 'Allow access'), consentViewModel(pending, csrfToken(ctx)));
  });

  router.post('/:uid/login', form, verifyCsrf(), async (ctx) => {
    const uid = ctx.params.uid!;
    const parsed = loginForm.safeParse(ctx.request.body);
    const url = parsed.success ? await interactions.signIn(http(ctx), uid, parsed.data.email, parsed.data.password) : undefined;
    if (url) return continueAt(ctx, url);
    const pending = await interactions.load(http(ctx), uid);
    const email = parsed.success ? parsed.data.email : '';
    ctx.status = parsed.success ? 401 : 400;
    ctx.type = 'html';
    ctx.body = await render('login', page(ctx, 'Sign in'), loginViewModel(pending, csrfToken(ctx), {
      email,
      error: parsed.success ? WRONG_CREDENTIALS : 'Enter your email and password.',
    }));
  });

  router.post('/:uid/consent', form, verifyCsrf(), async (ctx) => {
    continueAt(ctx, await interactions.grantConsent(http(ctx), ctx.params.uid!));
  });

  router.post('/:uid/deny', form, verifyCsrf(), async (ctx) => {
    continueAt(ctx, await interactions.deny(http(ctx), ctx.params.uid!));
  });

  return router;
}
