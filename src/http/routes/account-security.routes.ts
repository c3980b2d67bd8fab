import Router from '@koa/router';
import type { Middleware } from 'koa';
import type { RenderPage } from '../../lib/view-renderer.ts';
import type { InteractionService } from '../../oidc/interactions.ts';
import type { AuthenticatorsService, EnrolmentResult } from '../../services/mfa/authenticators.service.ts';
import type { Reauthentication, ReauthenticationProof } from '../../services/mfa/reauthentication.service.ts';
import { accountAccess } from '../account-access.ts';
import type { AccountRecord, AccountStore } from '../../stores/types.ts';
import { field, formErrors, NO_ERRORS, parseForm, tooManyRequests, type FormErrors } from '../forms.ts';
import { csrfToken, verifyCsrf } from '../middleware/koa-csrf.ts';
import { enrolmentViewModel, securityViewModel } from '../mfa-view-models.ts';
import { originOf } from '../request-origin.ts';
import type { KeywardContext, KeywardState } from '../state.ts';

const REMOVAL_REFUSED = 'security.errors.removalRefused';
const WRONG = 'security.errors.wrong';

/**
 * /account/security: the signed-in person's passkeys, authenticator apps and recovery codes.
 * Every change needs a recent authentication (/account/reauthenticate) and is mailed to the owner.
 */
export function accountSecurityRoutes(deps: {
  interactions: Pick<InteractionService, 'currentSession'>;
  authenticators: AuthenticatorsService;
  reauthentication: Reauthentication;
  accounts: AccountStore;
  mfaRequiredFor: (account: AccountRecord) => boolean;
  render: RenderPage;
  uiSession: Middleware;
}): Router<KeywardState> {
  const { authenticators, reauthentication, render } = deps;
  const router = new Router<KeywardState>({ prefix: '/account' });
  const page = (ctx: KeywardContext, title: string) => ({ title, requestId: ctx.state.requestId, locale: ctx.state.locale, path: ctx.path, scripts: ['passkey.js'] });
  const access = accountAccess({ interactions: deps.interactions, accounts: deps.accounts, reauthentication, render });
  const showSecurity = async (ctx: KeywardContext, account: AccountRecord, message?: string) => {
    ctx.type = 'html';
    ctx.body = await render('security', page(ctx, 'title.security'), securityViewModel(csrfToken(ctx), await authenticators.list(account.id), await authenticators.remainingRecoveryCodes(account.id), deps.mfaRequiredFor(account), message));
  };
  const showReauthentication = async (ctx: KeywardContext, account: AccountRecord, errors: FormErrors = NO_ERRORS) => {
    const factors = await authenticators.list(account.id);
    ctx.type = 'html';
    ctx.body = await render('reauthenticate', page(ctx, 'title.reauthenticate'), {
      csrfToken: csrfToken(ctx), errors,
      // With a second factor on, the password alone does not confirm a change: the factor does.
      hasPassword: Boolean(account.passwordHash) && factors.length === 0, hasTotp: factors.some((a) => a.kind === 'totp'), hasPasskey: factors.some((a) => a.kind === 'passkey'),
    });
  };
  const showTotpEnrolment = async (ctx: KeywardContext, account: AccountRecord, id: string | undefined, errors: FormErrors = NO_ERRORS) => {
    const totp = (id ? await authenticators.pendingTotp(account, id) : undefined) ?? await authenticators.startTotp(account);
    ctx.type = 'html';
    ctx.body = await render('security-totp', page(ctx, 'title.addApp'), enrolmentViewModel(undefined, csrfToken(ctx), totp, errors));
  };
  const enrolled = async (ctx: KeywardContext, result: EnrolmentResult & { outcome: 'enrolled' }) => {
    if (!result.recoveryCodes) {
      ctx.status = 303;
      return ctx.redirect('/account/security');
    }
    ctx.type = 'html';
    ctx.body = await render('recovery-codes', { title: 'title.recoveryCodes', requestId: ctx.state.requestId, locale: ctx.state.locale, path: ctx.path }, { codes: result.recoveryCodes, continueUrl: '/account/security' });
  };

  const change = access.recent;

  router.use(deps.uiSession, async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    await next();
  });

  router.get('/security', access.signedIn(async (ctx, { account }) => showSecurity(ctx, account)));
  router.get('/reauthenticate', access.signedIn(async (ctx, { account }) => showReauthentication(ctx, account)));
  for (const [path, proofOf] of [
    ['password', (ctx: KeywardContext): ReauthenticationProof => ({ password: field(ctx, 'password').slice(0, 1024) })],
    ['totp', (ctx: KeywardContext): ReauthenticationProof => ({ code: field(ctx, 'code').slice(0, 64) })],
    ['passkey', (ctx: KeywardContext): ReauthenticationProof => ({ assertion: field(ctx, 'credential').slice(0, 32_768) })],
  ] as const) {
    router.post(`/reauthenticate/${path}`, parseForm, verifyCsrf(), access.signedIn(async (ctx, who) => {
      const outcome = await reauthentication.confirm(who.session, proofOf(ctx), originOf(ctx));
      if (outcome.outcome === 'passed') {
        ctx.status = 303;
        return ctx.redirect('/account/security');
      }
      if (outcome.outcome === 'throttled') return showReauthentication(ctx, who.account, formErrors({}, tooManyRequests(ctx, outcome.retryAfterSeconds)));
      ctx.status = 401;
      return showReauthentication(ctx, who.account, formErrors({}, WRONG));
    }));
  }
  router.post('/reauthenticate/passkey/options', parseForm, verifyCsrf(), access.signedIn(async (ctx, who) => {
    ctx.body = await reauthentication.passkeyOptions(who.session, (await authenticators.list(who.account.id)).filter((a) => a.kind === 'passkey'));
  }));

  router.post('/security/totp/start', parseForm, verifyCsrf(), change(async (ctx, { account }) => showTotpEnrolment(ctx, account, undefined)));
  router.post('/security/totp', parseForm, verifyCsrf(), change(async (ctx, { account }) => {
    const id = field(ctx, 'id').slice(0, 100);
    const result = await authenticators.confirmTotp(account, id, field(ctx, 'code'), field(ctx, 'name'), originOf(ctx));
    if (result.outcome === 'enrolled') return enrolled(ctx, result);
    if (result.outcome === 'throttled') return showTotpEnrolment(ctx, account, id, formErrors({}, tooManyRequests(ctx, result.retryAfterSeconds)));
    ctx.status = 400;
    return showTotpEnrolment(ctx, account, id, formErrors({ code: WRONG }));
  }));
  router.post('/security/passkey/options', parseForm, verifyCsrf(), change(async (ctx, { account, session }) => {
    ctx.body = await authenticators.passkeyOptions(account, `register:${session.sessionId}`);
  }));
  router.post('/security/passkey', parseForm, verifyCsrf(), change(async (ctx, { account, session }) => {
    const result = await authenticators.registerPasskey(account, `register:${session.sessionId}`, field(ctx, 'credential').slice(0, 32_768), field(ctx, 'name'), originOf(ctx));
    if (result.outcome === 'enrolled') return enrolled(ctx, result);
    ctx.status = 400;
    return showSecurity(ctx, account, 'security.errors.passkeyNotAdded');
  }));
  router.post('/security/authenticators/remove', parseForm, verifyCsrf(), change(async (ctx, { account }) => {
    const result = await authenticators.remove(account, field(ctx, 'id').slice(0, 100), originOf(ctx));
    if (result === 'removed') {
      ctx.status = 303;
      return ctx.redirect('/account/security');
    }
    ctx.status = result === 'not_found' ? 404 : 409;
    return showSecurity(ctx, account, { not_found: 'security.errors.notFound', last_factor_required: REMOVAL_REFUSED, busy: 'security.errors.busy' }[result]);
  }));
  router.post('/security/recovery-codes', parseForm, verifyCsrf(), change(async (ctx, { account }) => {
    const codes = await authenticators.regenerateRecoveryCodes(account, originOf(ctx));
    if (!codes) {
      ctx.status = 409;
      return showSecurity(ctx, account, 'security.errors.codesNeedFactor');
    }
    ctx.type = 'html';
    ctx.body = await render('recovery-codes', { title: 'title.recoveryCodes', requestId: ctx.state.requestId, locale: ctx.state.locale, path: ctx.path }, { codes, continueUrl: '/account/security' });
  }));

  return router;
}
