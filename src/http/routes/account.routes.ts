import Router from '@koa/router';
import type { Middleware } from 'koa';
import { NotFoundError } from '../../errors/app-error.ts';
import type { RenderPage } from '../../lib/view-renderer.ts';
import type { PasswordResetService } from '../../services/password-reset.service.ts';
import type { RegistrationService } from '../../services/registration.service.ts';
import { field, formErrors, NO_ERRORS, parseForm, tooManyRequests, type FormErrors } from '../forms.ts';
import { csrfToken, verifyCsrf } from '../middleware/koa-csrf.ts';
import { originOf, returnToOf } from '../request-origin.ts';
import type { KeywardContext, KeywardState } from '../state.ts';

const WRONG_VERIFICATION_PASSWORD = 'errors.wrongVerificationPassword';

const tokenOf = (value: unknown) => (typeof value === 'string' ? value.slice(0, 100) : '');

/** Create account, confirm email, forgot and reset password. Thin: parse, call one service, render. */
export function accountRoutes(deps: {
  registration: RegistrationService;
  passwordReset: PasswordResetService;
  render: RenderPage;
  uiSession: Middleware;
  registrationEnabled: boolean;
}): Router<KeywardState> {
  const { registration, passwordReset, render } = deps;
  const router = new Router<KeywardState>();
  const show = async (ctx: KeywardContext, view: string, title: string, model: object = {}) => {
    ctx.type = 'html';
    ctx.body = await render(view, { title, requestId: ctx.state.requestId, locale: ctx.state.locale, path: ctx.path }, { csrfToken: csrfToken(ctx), errors: NO_ERRORS, ...model });
  };
  const returnTo = (ctx: KeywardContext) => returnToOf(ctx.method === 'GET' ? ctx.query.return_to : field(ctx, 'return_to'));

  router.use(['/register', '/verify-email', '/forgot-password', '/reset-password'], deps.uiSession, async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    await next();
  });

  const registerPage = (ctx: KeywardContext, form: { email?: string; name?: string; errors?: FormErrors } = {}) =>
    show(ctx, 'register', 'title.register', { email: '', name: '', returnTo: returnTo(ctx), ...form });
  router.get('/register', async (ctx) => {
    if (!deps.registrationEnabled) throw new NotFoundError();
    await registerPage(ctx);
  });
  router.post('/register', parseForm, verifyCsrf(), async (ctx) => {
    if (!deps.registrationEnabled) throw new NotFoundError();
    const input = { email: field(ctx, 'email').trim(), password: field(ctx, 'password'), name: field(ctx, 'name').trim() };
    const result = await registration.register(input, originOf(ctx));
    if (result.outcome === 'check_email') return show(ctx, 'check-email', 'title.checkEmail', { email: input.email, reason: 'registration', returnTo: returnTo(ctx) });
    if (result.outcome === 'throttled') return registerPage(ctx, { ...input, errors: formErrors({}, tooManyRequests(ctx, result.retryAfterSeconds)) });
    ctx.status = 400;
    await registerPage(ctx, { email: input.email, name: input.name, errors: formErrors(result.errors) });
  });

  router.get('/verify-email', async (ctx) => {
    const token = tokenOf(ctx.query.token);
    // A GET only shows a button: mail scanners that open links must not spend the link.
    if (!(await registration.canVerifyEmail(token))) {
      ctx.status = 400;
      return show(ctx, 'verify-email-result', 'title.emailNotConfirmed', { verified: false });
    }
    await show(ctx, 'verify-email', 'title.confirmEmail', { token });
  });
  router.post('/verify-email', parseForm, verifyCsrf(), async (ctx) => {
    const token = tokenOf(field(ctx, 'token'));
    const result = await registration.verifyEmail(token, field(ctx, 'password').slice(0, 1024), originOf(ctx));
    if (result.outcome === 'wrong_password') {
      ctx.status = 400;
      return show(ctx, 'verify-email', 'title.confirmEmail', { token, errors: formErrors({ password: WRONG_VERIFICATION_PASSWORD }) });
    }
    if (result.outcome === 'throttled') return show(ctx, 'verify-email', 'title.confirmEmail', { token, errors: formErrors({}, tooManyRequests(ctx, result.retryAfterSeconds)) });
    const verified = result.outcome === 'verified';
    if (!verified) ctx.status = 400;
    await show(ctx, 'verify-email-result', verified ? 'Email confirmed' : 'title.emailNotConfirmed', { verified });
  });

  const forgotPage = (ctx: KeywardContext, form: { email?: string; errors?: FormErrors } = {}) =>
    show(ctx, 'forgot-password', 'Reset your password', { email: '', returnTo: returnTo(ctx), ...form });
  router.get('/forgot-password', (ctx) => forgotPage(ctx));
  router.post('/forgot-password', parseForm, verifyCsrf(), async (ctx) => {
    const email = field(ctx, 'email').trim();
    if (!email || email.length > 320) {
      ctx.status = 400;
      return forgotPage(ctx, { email, errors: formErrors({ email: 'errors.enterEmail' }) });
    }
    const result = await passwordReset.request(email, originOf(ctx));
    if (result.outcome === 'throttled') return forgotPage(ctx, { email, errors: formErrors({}, tooManyRequests(ctx, result.retryAfterSeconds)) });
    await show(ctx, 'check-email', 'title.checkEmail', { email, reason: 'reset', returnTo: returnTo(ctx) });
  });

  router.get('/reset-password', async (ctx) => {
    const token = tokenOf(ctx.query.token);
    if (!(await passwordReset.canReset(token))) {
      ctx.status = 400;
      return show(ctx, 'reset-password-result', 'Link expired', { done: false });
    }
    await show(ctx, 'reset-password', 'title.resetPassword', { token });
  });
  router.post('/reset-password', parseForm, verifyCsrf(), async (ctx) => {
    const token = tokenOf(field(ctx, 'token'));
    const password = field(ctx, 'password');
    if (password !== field(ctx, 'password_confirmation')) {
      ctx.status = 400;
      return show(ctx, 'reset-password', 'title.resetPassword', { token, errors: formErrors({ password_confirmation: 'errors.passwordsDiffer' }) });
    }
    const result = await passwordReset.reset(token, password, originOf(ctx));
    if (result.outcome === 'invalid_password') {
      ctx.status = 400;
      return show(ctx, 'reset-password', 'title.resetPassword', { token, errors: formErrors({ password: result.problem }) });
    }
    if (result.outcome === 'invalid_link') ctx.status = 400;
    await show(ctx, 'reset-password-result', result.outcome === 'done' ? 'Password changed' : 'Link expired', { done: result.outcome === 'done' });
  });

  return router;
}
