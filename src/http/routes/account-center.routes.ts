import Router from '@koa/router';
import type { Middleware } from 'koa';
import type { RenderPage } from '../../lib/view-renderer.ts';
import type { InteractionService } from '../../oidc/interactions.ts';
import type { AccountCenter } from '../../services/account-center/account-center.module.ts';
import type { FederationService } from '../../services/federation/federation.service.ts';
import type { Reauthentication } from '../../services/mfa/reauthentication.service.ts';
import type { AccountRecord, AccountStore } from '../../stores/types.ts';
import { accountAccess } from '../account-access.ts';
import { accountViewModel, appsViewModel, sessionsViewModel } from '../account-view-models.ts';
import { field, formErrors, NO_ERRORS, parseForm, tooManyRequests, type FormErrors } from '../forms.ts';
import { csrfToken, verifyCsrf } from '../middleware/koa-csrf.ts';
import { originOf } from '../request-origin.ts';
import type { KeywardContext, KeywardState } from '../state.ts';
import { emailSchema } from '../../services/registration.service.ts';

/**
 * The account center at /account: profile and email, password, sessions and devices, connected
 * apps, linked sign-in providers, the person's data, deleting the account. Changes need a recent
 * authentication (account-access.ts) and are mailed to the owner; ending sessions and app access
 * (protective) needs only the signed-in session.
 */
export function accountCenterRoutes(deps: {
  interactions: Pick<InteractionService, 'currentSession'>;
  center: AccountCenter;
  federation: Pick<FederationService, 'linkedIdentities' | 'unlink'>;
  reauthentication: Pick<Reauthentication, 'isRecent'>;
  accounts: AccountStore;
  render: RenderPage;
  uiSession: Middleware;
}): Router<KeywardState> {
  const { center, render } = deps;
  const router = new Router<KeywardState>({ prefix: '/account' });
  const access = accountAccess({ interactions: deps.interactions, accounts: deps.accounts, reauthentication: deps.reauthentication, render });
  const page = (ctx: KeywardContext, title: string) => ({ title, requestId: ctx.state.requestId, locale: ctx.state.locale, path: ctx.path });
  const html = async (ctx: KeywardContext, view: string, title: string, model: object) => {
    ctx.type = 'html';
    ctx.body = await render(view, page(ctx, title), { csrfToken: csrfToken(ctx), ...model });
  };
  const overview = async (ctx: KeywardContext, account: AccountRecord, form: { errors?: FormErrors; message?: string } = {}) =>
    html(ctx, 'account', 'title.account', accountViewModel(account, await deps.federation.linkedIdentities(account.id), form.errors ?? NO_ERRORS, form.message));
  const seeOther = (ctx: KeywardContext, path: string) => {
    ctx.status = 303;
    ctx.redirect(path);
  };

  router.use(deps.uiSession, async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    await next();
  });

  router.get('/', access.signedIn(async (ctx, { account }) => overview(ctx, account, { message: typeof ctx.query.done === 'string' ? DONE[ctx.query.done] : undefined })));

  router.post('/profile', parseForm, verifyCsrf(), access.recent(async (ctx, { account }) => {
    const problems = await center.changes.updateProfile(account, { name: field(ctx, 'name').slice(0, 1000), picture: field(ctx, 'picture').slice(0, 1000) }, originOf(ctx));
    if (!problems) return seeOther(ctx, '/account?done=profile');
    ctx.status = 400;
    return overview(ctx, { ...account, name: field(ctx, 'name'), picture: field(ctx, 'picture') }, { errors: formErrors(problems) });
  }));

  router.post('/email', parseForm, verifyCsrf(), access.recent(async (ctx, { account }) => {
    const email = field(ctx, 'email').trim();
    if (!emailSchema.safeParse(email).success) {
      ctx.status = 400;
      return overview(ctx, account, { errors: formErrors({ email: 'account.errors.invalidEmail' }) });
    }
    if ((await center.emailChange.request(account, email, originOf(ctx))) === 'locked') {
      ctx.status = 409;
      return overview(ctx, account, { errors: formErrors({ email: 'account.errors.emailLocked' }) });
    }
    return html(ctx, 'account-email-sent', 'title.checkMailbox', { email });
  }));
  // The links in the mails open a page with a button: a mail scanner opening links changes nothing.
  for (const [path, act] of [['confirm', center.emailChange.confirm], ['undo', center.emailChange.undo]] as const) {
    router.get(`/email/${path}`, async (ctx) => html(ctx, 'account-email-link', path === 'confirm' ? 'title.confirmNewEmail' : 'title.undoEmailChange', { action: path, token: typeof ctx.query.token === 'string' ? ctx.query.token.slice(0, 100) : '', result: undefined }));
    router.post(`/email/${path}`, parseForm, verifyCsrf(), async (ctx) => {
      const result = await act(field(ctx, 'token'), originOf(ctx));
      if (result !== 'changed') ctx.status = 400;
      return html(ctx, 'account-email-link', path === 'confirm' ? 'title.confirmNewEmail' : 'title.undoEmailChange', { action: path, token: '', result });
    });
  }

  router.get('/password', access.signedIn(async (ctx, { account }) => html(ctx, 'account-password', 'title.changePassword', { errors: NO_ERRORS, hasPassword: Boolean(account.passwordHash) })));
  // A recent authentication: a stolen session must not set a password (a federated-only account
  // has none to ask for), and with a second factor on, the factor is asked first.
  router.post('/password', parseForm, verifyCsrf(), access.recent(async (ctx, { account, session }) => {
    const next = field(ctx, 'password');
    if (next !== field(ctx, 'password_confirmation')) {
      ctx.status = 400;
      return html(ctx, 'account-password', 'title.changePassword', { errors: formErrors({ password_confirmation: 'account.errors.newPasswordsDiffer' }), hasPassword: Boolean(account.passwordHash) });
    }
    const result = await center.changes.changePassword(account, { current: field(ctx, 'current_password').slice(0, 1024), next: next.slice(0, 1024), endOtherSessions: field(ctx, 'end_other_sessions') === 'yes', currentSessionId: session.sessionId }, originOf(ctx));
    if (result.outcome === 'changed') return seeOther(ctx, '/account?done=password');
    const errors = result.outcome === 'throttled' ? formErrors({}, tooManyRequests(ctx, result.retryAfterSeconds))
      : result.outcome === 'wrong_password' ? formErrors({ current_password: 'account.errors.wrongCurrentPassword' }) : formErrors({ password: result.problem });
    if (result.outcome !== 'throttled') ctx.status = result.outcome === 'wrong_password' ? 401 : 400;
    return html(ctx, 'account-password', 'title.changePassword', { errors, hasPassword: Boolean(account.passwordHash) });
  }));

  router.get('/sessions', access.signedIn(async (ctx, { account, session }) => html(ctx, 'account-sessions', 'title.sessions', sessionsViewModel(await center.devices.list(account.id, session.sessionId)))));
  router.post('/sessions/sign-out', parseForm, verifyCsrf(), access.signedIn(async (ctx, { account }) => {
    await center.devices.signOut(account.id, field(ctx, 'session').slice(0, 100));
    return seeOther(ctx, '/account/sessions');
  }));
  router.post('/sessions/sign-out-others', parseForm, verifyCsrf(), access.signedIn(async (ctx, { account, session }) => {
    await center.devices.signOutOthers(account.id, session.sessionId);
    return seeOther(ctx, '/account/sessions');
  }));

  router.get('/apps', access.signedIn(async (ctx, { account }) => html(ctx, 'account-apps', 'title.apps', appsViewModel(await center.apps.list(account.id)))));
  router.post('/apps/revoke', parseForm, verifyCsrf(), access.signedIn(async (ctx, { account }) => {
    await center.apps.revoke(account.id, field(ctx, 'client').slice(0, 200), originOf(ctx));
    return seeOther(ctx, '/account/apps');
  }));

  router.post('/identities/remove', parseForm, verifyCsrf(), access.recent(async (ctx, { account }) => {
    const result = await deps.federation.unlink(account.id, field(ctx, 'upstream'), field(ctx, 'subject'), originOf(ctx));
    if (result === 'removed') return seeOther(ctx, '/account');
    ctx.status = result === 'not_found' ? 404 : 409;
    return overview(ctx, account, { message: result === 'last_way_in' ? 'account.errors.lastWayIn' : 'account.errors.noSuchIdentity' });
  }));

  // Personal data (GDPR Art. 15, 20): a recent authentication, as for a change.
  router.get('/data.json', access.recent(async (ctx, { account, session }) => {
    ctx.set('Content-Disposition', 'attachment; filename="keyward-account-data.json"');
    ctx.body = await center.changes.exportData(account, session.sessionId);
  }));

  router.get('/delete', access.recent(async (ctx, { account }) => html(ctx, 'account-delete', 'title.deleteAccount', { errors: NO_ERRORS, email: account.email })));
  router.post('/delete', parseForm, verifyCsrf(), access.recent(async (ctx, { account }) => {
    if (field(ctx, 'confirm').trim().toLowerCase() !== account.email.toLowerCase()) {
      ctx.status = 400;
      return html(ctx, 'account-delete', 'title.deleteAccount', { errors: formErrors({ confirm: 'account.errors.confirmDelete' }), email: account.email });
    }
    await center.changes.deleteAccount(account, originOf(ctx));
    return html(ctx, 'account-deleted', 'title.accountDeleted', {});
  }));

  return router;
}

const DONE: Record<string, string> = {
  profile: 'account.done.profile',
  password: 'account.done.password',
};
