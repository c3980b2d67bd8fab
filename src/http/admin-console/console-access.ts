import type Router from '@koa/router';
import type { Provider } from 'oidc-provider';
import type { Clock } from '../../lib/clock.ts';
import { constantTimeEqual } from '../../lib/constant-time.ts';
import type { RenderPage } from '../../lib/view-renderer.ts';
import { consoleAuthorizationUrl, newConsoleAuthorizationRequest, redeemConsoleCode } from '../../oidc/admin-console-sign-in.ts';
import { ADMIN_ROLE } from '../../services/admin/admin-context.ts';
import { ADMIN_CONSOLE_SESSION_TTL_MS, checkConsoleSession, closeConsoleSession, openConsoleSession } from '../../services/admin-console-sessions.service.ts';
import type { AccountStore, OidcRecordStore } from '../../stores/types.ts';
import { parseForm } from '../forms.ts';
import { verifyCsrf } from '../middleware/koa-csrf.ts';
import { originOf } from '../request-origin.ts';
import type { KeywardContext, KeywardState } from '../state.ts';
import { uiSession } from '../ui-session.ts';
import { queryParam, seeOther, type ConsoleHandler } from './console-kit.ts';

export interface ConsoleAccessDeps {
  provider: () => Provider;
  records: OidcRecordStore;
  accounts: AccountStore;
  clock: Clock;
  issuer: string;
  /** ADMIN_REQUIRE_MFA: the sign-in must have passed a second factor (checked again here). */
  requireMfa: boolean;
  /** Ends a Keyward browser session and what apps got through it (account-center/devices.service.ts). */
  endBrowserSession: (accountId: string, sessionUid: string) => Promise<boolean>;
  render: RenderPage;
}

/** The console session's cookie: only the console's paths get it, and no script. */
const COOKIE = 'keyward.admin';
/** Sign-ins in flight per browser (tabs), and how long one may take, login and second factor included. */
const MAX_FLOWS = 3;
const FLOW_LIFETIME_MS = 15 * 60 * 1000;
/** A page of the console to return to after signing in: a plain path under /admin, no callback. */
const RETURN_TO = /^\/admin(?:\/(?!callback|signed-out|sign-out)[A-Za-z0-9._~%:@+,=-]+)*\/?(?:\?[A-Za-z0-9._~%:@+,=&-]*)?$/;

/**
 * The console's own sign-in (it is a first-party client of Keyward) and the check every console
 * request passes: a console session (a server-side record, the cookie holds its token) of an
 * administrator whose account, grant and Keyward session are all still there.
 */
export function consoleAccess(deps: ConsoleAccessDeps) {
  const cookieOptions = { httpOnly: true, sameSite: 'lax' as const, secure: deps.issuer.startsWith('https://'), path: '/admin', signed: false, overwrite: true };
  const token = (ctx: KeywardContext) => ctx.cookies.get(COOKIE, { signed: false });
  const clearCookie = (ctx: KeywardContext) => ctx.cookies.set(COOKIE, null, cookieOptions);
  const pageContext = (ctx: KeywardContext, title: string) => ({ title, requestId: ctx.state.requestId, locale: ctx.state.locale, path: ctx.path });

  const refused = async (ctx: KeywardContext, message: string, status = 400) => {
    ctx.status = status;
    ctx.type = 'html';
    ctx.body = await deps.render('admin/sign-in-error', { ...pageContext(ctx, 'admin.signIn.errorTitle'), showRequestId: true }, { message });
  };
  const forbidden = async (ctx: KeywardContext, email: string) => {
    ctx.status = 403;
    ctx.type = 'html';
    ctx.body = await deps.render('admin/forbidden', pageContext(ctx, 'admin.forbidden.title'), { email });
  };

  /** Off to Keyward's authorization endpoint, the state, nonce and verifier kept in this browser's UI session. */
  const startSignIn = (ctx: KeywardContext, returnTo: string) => {
    const request = newConsoleAuthorizationRequest();
    const session = uiSession(ctx);
    const now = deps.clock.now();
    const pending = (session.adminConsole ?? []).filter((flow) => now - flow.startedAt < FLOW_LIFETIME_MS);
    session.adminConsole = [...pending, { ...request, returnTo: RETURN_TO.test(returnTo) && returnTo.length <= 300 ? returnTo : '/admin', startedAt: now }].slice(-MAX_FLOWS);
    seeOther(ctx, consoleAuthorizationUrl(deps.issuer, request).href);
  };

  /** RFC 6749 §4.1.2 with RFC 9207 (iss) and PKCE; every failure is a page that says so, never a 500. */
  const callback = async (ctx: KeywardContext) => {
    const session = uiSession(ctx);
    const state = queryParam(ctx, 'state');
    const flows = session.adminConsole ?? [];
    const flow = state ? flows.find((f) => constantTimeEqual(f.state, state)) : undefined;
    // Single use: a replayed or forged callback finds nothing to continue.
    if (flow) session.adminConsole = flows.filter((f) => f !== flow);
    if (!flow || deps.clock.now() - flow.startedAt > FLOW_LIFETIME_MS) return refused(ctx, 'admin.signIn.stateMismatch');
    // The answer must come from this issuer (RFC 9207 §2.4), whatever else it says.
    if (queryParam(ctx, 'iss', 2000) !== deps.issuer) return refused(ctx, 'admin.signIn.wrongIssuer');
    if (ctx.query.error !== undefined) return refused(ctx, 'admin.signIn.denied');
    const redeemed = await redeemConsoleCode({ provider: deps.provider(), records: deps.records, issuer: deps.issuer }, queryParam(ctx, 'code'), flow);
    if (redeemed.outcome === 'refused') {
      ctx.state.log.info({ reason: redeemed.reason }, 'admin console: authorization code refused');
      return refused(ctx, 'admin.signIn.codeRefused');
    }
    // The client's require_mfa makes the sign-in ask for a second factor; checked here as well.
    if (deps.requireMfa && !redeemed.amr.includes('mfa')) return refused(ctx, 'admin.signIn.needsMfa', 403);
    const account = await deps.accounts.findById(redeemed.accountId);
    if (!account || account.disabled) return refused(ctx, 'admin.signIn.codeRefused');
    if (!account.roles.includes(ADMIN_ROLE)) return forbidden(ctx, account.email);
    const { outcome: _outcome, ...signIn } = redeemed;
    ctx.cookies.set(COOKIE, await openConsoleSession(deps, signIn), { ...cookieOptions, maxAge: ADMIN_CONSOLE_SESSION_TTL_MS });
    seeOther(ctx, flow.returnTo);
  };

  return {
    /** The console's sign-in routes: the callback, signing out, and the page after it. */
    register(router: Router<KeywardState>) {
      router.get('/callback', callback);
      // Ends the console session and, at once, the Keyward browser session it signed in through:
      // left to a confirmation page, a closed tab would leave the next person at this browser one
      // redirect away from the console (it would sign in again without asking anything).
      router.post('/sign-out', parseForm, verifyCsrf(), async (ctx) => {
        const check = await checkConsoleSession(deps, token(ctx));
        if (check.status === 'admin') await deps.endBrowserSession(check.account.id, check.signIn.sessionUid);
        await closeConsoleSession(deps, token(ctx));
        clearCookie(ctx);
        seeOther(ctx, `${deps.issuer}/admin/signed-out`);
      });
      router.get('/signed-out', async (ctx) => {
        ctx.type = 'html';
        ctx.body = await deps.render('admin/signed-out', pageContext(ctx, 'admin.signedOut.title'), {});
      });
    },

    /** Runs `handler` for an administrator; ends a session that no longer qualifies. */
    guard: (handler: ConsoleHandler) => async (ctx: KeywardContext) => {
      const presented = token(ctx);
      const check = await checkConsoleSession(deps, presented);
      if (check.status === 'admin') {
        const { account } = check;
        return handler(ctx, { account, signIn: check.signIn, call: { actor: { kind: 'account', accountId: account.id, email: account.email, via: 'console' }, origin: originOf(ctx) } });
      }
      if (presented) clearCookie(ctx);
      // Signed in, but not an administrator: a page that says so, not another round of sign-in.
      if (check.status === 'not_admin') return forbidden(ctx, check.account.email);
      // A form posted after the session ended goes back to the console's start once signed in.
      return startSignIn(ctx, ctx.method === 'GET' ? ctx.url : '/admin');
    },
  };
}
