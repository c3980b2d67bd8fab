import type { RenderPage } from '../lib/view-renderer.ts';
import type { InteractionService } from '../oidc/interactions.ts';
import type { Reauthentication, SignedInSession } from '../services/mfa/reauthentication.service.ts';
import type { AccountRecord, AccountStore } from '../stores/types.ts';
import { csrfToken } from './middleware/koa-csrf.ts';
import type { KeywardContext } from './state.ts';

export interface SignedIn {
  session: SignedInSession;
  account: AccountRecord;
}

type Handler = (ctx: KeywardContext, who: SignedIn) => Promise<void>;

/**
 * Who is signed in on the account pages (oidc-provider's browser session, never the UI cookie),
 * and the two gates: `signedIn` for reading and protective actions, `recent` for changes and
 * personal data, which also need an authentication at most a few minutes old.
 */
export function accountAccess(deps: { interactions: Pick<InteractionService, 'currentSession'>; accounts: AccountStore; reauthentication: Pick<Reauthentication, 'isRecent'>; render: RenderPage }) {
  const whoIsSignedIn = async (ctx: KeywardContext): Promise<SignedIn | undefined> => {
    const session = await deps.interactions.currentSession({ req: ctx.req, res: ctx.res, secure: ctx.secure });
    const account = session && await deps.accounts.findById(session.accountId);
    return session && account && !account.disabled ? { session, account } : undefined;
  };
  const notSignedIn = async (ctx: KeywardContext) => {
    ctx.status = 401;
    ctx.type = 'html';
    ctx.body = await deps.render('account', { title: 'title.account', requestId: ctx.state.requestId, locale: ctx.state.locale, path: ctx.path }, { signedIn: false, csrfToken: csrfToken(ctx) });
  };
  return {
    whoIsSignedIn,
    signedIn: (handler: Handler) => async (ctx: KeywardContext) => {
      const who = await whoIsSignedIn(ctx);
      return who ? handler(ctx, who) : notSignedIn(ctx);
    },
    recent: (handler: Handler) => async (ctx: KeywardContext) => {
      const who = await whoIsSignedIn(ctx);
      if (!who) return notSignedIn(ctx);
      if (!(await deps.reauthentication.isRecent(who.session))) {
        ctx.status = 303;
        return ctx.redirect('/account/reauthenticate');
      }
      return handler(ctx, who);
    },
  };
}

export type AccountAccess = ReturnType<typeof accountAccess>;
