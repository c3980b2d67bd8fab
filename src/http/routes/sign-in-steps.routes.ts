import Router from '@koa/router';
import type { Middleware } from 'koa';
import { InteractionExpiredError } from '../../errors/app-error.ts';
import type { RenderPage } from '../../lib/view-renderer.ts';
import type { FactorRefusal, InteractionService, SecondFactorMethod } from '../../oidc/interactions.ts';
import type { FederationService } from '../../services/federation/federation.service.ts';
import type { AuthenticatorsService, EnrolmentResult } from '../../services/mfa/authenticators.service.ts';
import type { AccountStore } from '../../stores/types.ts';
import { field, formErrors, NO_ERRORS, parseForm, tooManyRequests, type FormErrors } from '../forms.ts';
import { csrfToken, verifyCsrf } from '../middleware/koa-csrf.ts';
import { withUiLocales } from '../middleware/koa-locale.ts';
import { originOf } from '../request-origin.ts';
import { continueSignIn, httpOf } from '../sign-in-continuation.ts';
import type { KeywardContext, KeywardState } from '../state.ts';
import type { Message } from '../../lib/i18n.ts';
import { amrOfEnrolment, enrolmentViewModel, secondFactorViewModel } from '../mfa-view-models.ts';

const WRONG_CODE = 'errors.wrongCode';
const PASSKEY_FAILED = 'errors.passkeyFailed';

/**
 * The steps of a sign-in after its first factor (DESIGN.md, "Sign-in in steps"): the second
 * factor, a passkey (first or second factor), and enrolment when MFA is required and the
 * account has nothing to give yet. Thin: parse, call the interaction service, render or redirect.
 */
export function signInStepsRoutes(deps: {
  interactions: InteractionService;
  federation: Pick<FederationService, 'confirmPendingLink'>;
  authenticators: AuthenticatorsService;
  accounts: AccountStore;
  render: RenderPage;
  uiSession: Middleware;
}): Router<KeywardState> {
  const { interactions, authenticators, render } = deps;
  const router = new Router<KeywardState>({ prefix: '/interaction/:uid' });
  const uidOf = (ctx: KeywardContext) => ctx.params.uid!;
  /** The steps keep the client's accent colour of its sign-in page (theme.routes.ts). */
  const page = async (ctx: KeywardContext, title: string) => {
    const pending = await interactions.load(httpOf(ctx), uidOf(ctx)).catch(() => undefined);
    withUiLocales(ctx, pending?.uiLocales);
    const client = pending?.client;
    return { title, requestId: ctx.state.requestId, locale: ctx.state.locale, path: ctx.path, scripts: ['passkey.js'], clientTheme: client?.accentColor ? client.id : undefined };
  };

  const showSecondFactor = async (ctx: KeywardContext, errors: FormErrors = NO_ERRORS, method?: string) => {
    const accountId = await interactions.progressAccount(httpOf(ctx), uidOf(ctx));
    if (!accountId) throw new InteractionExpiredError();
    ctx.type = 'html';
    ctx.body = await render('second-factor', await page(ctx, 'title.twoStep'), secondFactorViewModel(uidOf(ctx), csrfToken(ctx), await authenticators.list(accountId), errors, method));
  };
  const enrolmentAccount = async (ctx: KeywardContext) => {
    const accountId = await interactions.enrolmentAccount(httpOf(ctx), uidOf(ctx));
    const account = accountId ? await deps.accounts.findById(accountId) : undefined;
    if (!account) throw new InteractionExpiredError();
    return account;
  };
  const showEnrolment = async (ctx: KeywardContext, totpId?: string, errors: FormErrors = NO_ERRORS) => {
    const account = await enrolmentAccount(ctx);
    const totp = (totpId ? await authenticators.pendingTotp(account, totpId) : undefined) ?? await authenticators.startTotp(account);
    ctx.type = 'html';
    ctx.body = await render('enrol', await page(ctx, 'title.enrol'), enrolmentViewModel(uidOf(ctx), csrfToken(ctx), totp, errors));
  };
  const refused = async (ctx: KeywardContext, refusal: FactorRefusal, message: Message, method?: string) => {
    if (refusal.outcome === 'throttled') return showSecondFactor(ctx, formErrors({}, tooManyRequests(ctx, refusal.retryAfterSeconds)), method);
    ctx.status = 401;
    const fieldId = method === 'recovery_code' ? 'recovery-code' : 'code';
    return showSecondFactor(ctx, formErrors(method === 'passkey' ? {} : { [fieldId]: message }, method === 'passkey' ? message : undefined), method);
  };
  /** After an enrolment at sign-in: the recovery codes, shown once, and the way on. */
  const enrolledPage = async (ctx: KeywardContext, result: EnrolmentResult & { outcome: 'enrolled' }) => {
    const next = await interactions.enrolled(httpOf(ctx), uidOf(ctx), result.authenticator.accountId, amrOfEnrolment(result.authenticator));
    if (!result.recoveryCodes) return continueSignIn(ctx, uidOf(ctx), next, deps.federation);
    ctx.type = 'html';
    ctx.body = await render('recovery-codes', { title: 'title.recoveryCodes', requestId: ctx.state.requestId, locale: ctx.state.locale, path: ctx.path }, {
      codes: result.recoveryCodes,
      continueUrl: next.outcome === 'continue' ? next.url : `/interaction/${uidOf(ctx)}`,
    });
  };

  router.use(deps.uiSession, async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    await next();
  });

  router.get('/second-factor', async (ctx) => showSecondFactor(ctx, NO_ERRORS, typeof ctx.query.method === 'string' ? ctx.query.method : undefined));

  for (const [path, method] of [['totp', 'totp'], ['recovery-code', 'recovery_code']] as const) {
    router.post(`/second-factor/${path}`, parseForm, verifyCsrf(), async (ctx) => {
      const code = field(ctx, 'code');
      if (!code.trim() || code.length > 64) {
        ctx.status = 400;
        return showSecondFactor(ctx, formErrors({ [method === 'recovery_code' ? 'recovery-code' : 'code']: 'errors.enterCode' }), method);
      }
      const outcome = await interactions.secondFactor(httpOf(ctx), uidOf(ctx), method as SecondFactorMethod, code, originOf(ctx));
      if (outcome.outcome === 'failed' || outcome.outcome === 'throttled') return refused(ctx, outcome, WRONG_CODE, method);
      return continueSignIn(ctx, uidOf(ctx), outcome, deps.federation);
    });
  }

  // A passkey, as the first factor (from the sign-in page) or the second (from this step's page).
  router.post('/passkey/options', parseForm, verifyCsrf(), async (ctx) => {
    ctx.body = await interactions.passkeyOptions(httpOf(ctx), uidOf(ctx));
  });
  router.post('/passkey', parseForm, verifyCsrf(), async (ctx) => {
    const outcome = await interactions.passkey(httpOf(ctx), uidOf(ctx), field(ctx, 'credential').slice(0, 32_768), originOf(ctx));
    if (outcome.outcome !== 'failed' && outcome.outcome !== 'throttled') return continueSignIn(ctx, uidOf(ctx), outcome, deps.federation);
    // Without a first factor this was a passwordless attempt: back to the sign-in page, one message.
    if (!(await interactions.progressAccount(httpOf(ctx), uidOf(ctx)))) {
      ctx.status = 303;
      return ctx.redirect(`/interaction/${uidOf(ctx)}?passkey=failed`);
    }
    return refused(ctx, outcome, PASSKEY_FAILED, 'passkey');
  });

  router.get('/enrol', async (ctx) => showEnrolment(ctx));
  router.post('/enrol/totp', parseForm, verifyCsrf(), async (ctx) => {
    const account = await enrolmentAccount(ctx);
    const id = field(ctx, 'id').slice(0, 100);
    const result = await authenticators.confirmTotp(account, id, field(ctx, 'code'), field(ctx, 'name'), originOf(ctx));
    if (result.outcome === 'enrolled') return enrolledPage(ctx, result);
    if (result.outcome === 'throttled') return showEnrolment(ctx, id, formErrors({}, tooManyRequests(ctx, result.retryAfterSeconds)));
    ctx.status = 400;
    return showEnrolment(ctx, id, formErrors({ code: WRONG_CODE }));
  });
  router.post('/enrol/passkey/options', parseForm, verifyCsrf(), async (ctx) => {
    ctx.body = await authenticators.passkeyOptions(await enrolmentAccount(ctx), `enrol:${uidOf(ctx)}`);
  });
  router.post('/enrol/passkey', parseForm, verifyCsrf(), async (ctx) => {
    const account = await enrolmentAccount(ctx);
    const result = await authenticators.registerPasskey(account, `enrol:${uidOf(ctx)}`, field(ctx, 'credential').slice(0, 32_768), field(ctx, 'name'), originOf(ctx));
    if (result.outcome === 'enrolled') return enrolledPage(ctx, result);
    ctx.status = 400;
    return showEnrolment(ctx, field(ctx, 'id').slice(0, 100) || undefined, formErrors({}, PASSKEY_FAILED));
  });

  return router;
}
