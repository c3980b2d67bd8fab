import Router from '@koa/router';
import type { Middleware } from 'koa';
import type { RenderPage } from '../../lib/view-renderer.ts';
import type { InteractionService, PendingInteraction } from '../../oidc/interactions.ts';
import { field, formErrors, parseForm, tooManyRequests, type FormErrors } from '../forms.ts';
import { csrfToken, verifyCsrf } from '../middleware/koa-csrf.ts';
import { withUiLocales } from '../middleware/koa-locale.ts';
import { originOf } from '../request-origin.ts';
import type { FederationService } from '../../services/federation/federation.service.ts';
import type { KeywardContext, KeywardState } from '../state.ts';
import { continueSignIn } from '../sign-in-continuation.ts';
import { consentViewModel, loginViewModel } from '../view-models.ts';

// One message for unknown email, wrong password and disabled account: no user enumeration.
const WRONG_CREDENTIALS = 'errors.wrongCredentials';
const PASSKEY_FAILED = 'errors.passkeySignInFailed';
const UNVERIFIED = 'errors.unverified';

/** Keyward's login and consent pages, driven by oidc-provider interactions. Thin: parse, call, render. */
export function interactionRoutes(deps: {
  interactions: InteractionService;
  federation: FederationService;
  render: RenderPage;
  uiSession: Middleware;
  registrationEnabled: boolean;
}): Router<KeywardState> {
  const { interactions, render } = deps;
  const router = new Router<KeywardState>({ prefix: '/interaction' });
  const http = (ctx: KeywardContext) => ({ req: ctx.req, res: ctx.res });
  const page = (ctx: KeywardContext, title: string) => ({ title, requestId: ctx.state.requestId, locale: ctx.state.locale, path: ctx.path });
  /** A client with its own accent colour gets its stylesheet (theme.routes.ts). */
  const themeOf = (pending: PendingInteraction) => (pending.client.accentColor ? pending.client.id : undefined);
  const continueAt = (ctx: KeywardContext, url: string) => {
    ctx.status = 303;
    ctx.redirect(url);
  };
  const showLogin = async (ctx: KeywardContext, form: { email?: string; errors?: FormErrors } = {}) => {
    const pending = await interactions.load(http(ctx), ctx.params.uid!);
    withUiLocales(ctx, pending.uiLocales);
    const link = await deps.federation.pendingLink(pending.uid);
    ctx.type = 'html';
    ctx.body = await render('login', { ...page(ctx, 'title.signIn'), scripts: ['passkey.js'], clientTheme: themeOf(pending) }, loginViewModel(pending, csrfToken(ctx), {
      ...form,
      email: form.email ?? link?.email,
      registrationEnabled: deps.registrationEnabled,
      upstreams: deps.federation.upstreams,
      linkNotice: link ? deps.federation.upstreams.find((u) => u.id === link.upstream)?.name : undefined,
    }));
  };

  router.use(deps.uiSession, async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    await next();
  });

  router.get('/:uid', async (ctx) => {
    const pending = await interactions.load(http(ctx), ctx.params.uid!);
    // Signed in with one factor, asked for more by this request: straight to the second step.
    if (pending.stepUp) {
      const next = await interactions.stepUp(http(ctx), pending.uid);
      if (next.outcome !== 'first_factor') return continueSignIn(ctx, pending.uid, next, deps.federation);
    }
    withUiLocales(ctx, pending.uiLocales);
    if (pending.prompt === 'login') return showLogin(ctx, ctx.query.passkey === 'failed' ? { errors: formErrors({}, PASSKEY_FAILED) } : {});
    ctx.type = 'html';
    ctx.body = await render('consent', { ...page(ctx, 'title.allowAccess'), clientTheme: themeOf(pending) }, consentViewModel(pending, csrfToken(ctx)));
  });

  router.post('/:uid/login', parseForm, verifyCsrf(), async (ctx) => {
    const email = field(ctx, 'email').trim();
    const password = field(ctx, 'password');
    if (!email || !password || email.length > 320 || password.length > 1024) {
      ctx.status = 400;
      return showLogin(ctx, { email, errors: formErrors({ email: email ? undefined : 'errors.enterEmail', password: password ? undefined : 'errors.enterPassword' }, email && password ? WRONG_CREDENTIALS : undefined) });
    }
    const result = await interactions.signIn(http(ctx), ctx.params.uid!, { email, password }, originOf(ctx));
    // The password proved ownership: a finished sign-in links a waiting upstream identity (no takeover).
    if (result.outcome === 'continue' || result.outcome === 'second_factor' || result.outcome === 'enrol') return continueSignIn(ctx, ctx.params.uid!, result, deps.federation);
    if (result.outcome === 'throttled') return showLogin(ctx, { email, errors: formErrors({}, tooManyRequests(ctx, result.retryAfterSeconds)) });
    ctx.status = result.outcome === 'unverified' ? 403 : 401;
    await showLogin(ctx, { email, errors: formErrors({}, result.outcome === 'unverified' ? UNVERIFIED : WRONG_CREDENTIALS) });
  });

  router.post('/:uid/consent', parseForm, verifyCsrf(), async (ctx) => {
    continueAt(ctx, await interactions.grantConsent(http(ctx), ctx.params.uid!, originOf(ctx)));
  });

  router.post('/:uid/deny', parseForm, verifyCsrf(), async (ctx) => {
    continueAt(ctx, await interactions.deny(http(ctx), ctx.params.uid!, originOf(ctx)));
  });

  return router;
}
