import Router from '@koa/router';
import type { Middleware } from 'koa';
import { NotFoundError } from '../../errors/app-error.ts';
import type { RenderPage } from '../../lib/view-renderer.ts';
import type { InteractionService } from '../../oidc/interactions.ts';
import { FederationError, type FederationService } from '../../services/federation/federation.service.ts';
import { parseForm } from '../forms.ts';
import { verifyCsrf } from '../middleware/koa-csrf.ts';
import { originOf } from '../request-origin.ts';
import type { KeywardContext, KeywardState } from '../state.ts';
import { continueSignIn } from '../sign-in-continuation.ts';
import { uiSession } from '../ui-session.ts';

/** An upstream sign-in must come back within this long. */
const FLOW_LIFETIME_MS = 10 * 60 * 1000;

const REFUSALS: Record<string, string> = {
  registration_closed: 'federation.registrationClosed',
  // One answer whether or not an account has the address: the page must not tell (no enumeration).
  unverified_email: 'federation.unverifiedEmail',
  no_email: 'federation.noEmail',
  account_disabled: 'federation.accountDisabled',
};
const FAILURES: Record<FederationError['code'], string> = {
  upstream_denied: 'federation.upstreamDenied',
  upstream_unavailable: 'federation.upstreamUnavailable',
  invalid_response: 'federation.invalidResponse',
  state_mismatch: 'federation.stateMismatch',
};

/** "Continue with …": off to the upstream and back (state, nonce and PKCE verifier live in the UI session). */
export function federationRoutes(deps: { federation: FederationService; interactions: InteractionService; render: RenderPage; uiSession: Middleware; issuer: string }): Router<KeywardState> {
  const { federation, interactions, render } = deps;
  const router = new Router<KeywardState>();
  const http = (ctx: KeywardContext) => ({ req: ctx.req, res: ctx.res });
  const callbackUri = (upstream: string) => `${deps.issuer}/federation/callback/${upstream}`;
  const failed = async (ctx: KeywardContext, message: string, uid: string | undefined) => {
    ctx.status = 400;
    ctx.type = 'html';
    ctx.body = await render('federation-error', { title: 'federation.title', requestId: ctx.state.requestId, locale: ctx.state.locale, path: ctx.path, showRequestId: true }, { message, returnTo: uid ? `/interaction/${uid}` : undefined });
  };

  router.post('/interaction/:uid/federated/:upstream', deps.uiSession, parseForm, verifyCsrf(), async (ctx) => {
    const { uid, upstream } = ctx.params as { uid: string; upstream: string };
    if (!federation.upstreams.some((u) => u.id === upstream)) throw new NotFoundError();
    await interactions.load(http(ctx), uid); // the sign-in must be pending in this browser
    try {
      const { url, request } = await federation.begin(upstream, callbackUri(upstream), originOf(ctx));
      uiSession(ctx).federation = { uid, upstream, request, startedAt: Date.now() };
      ctx.status = 303;
      ctx.redirect(url.href);
    } catch (error) {
      await failed(ctx, FAILURES[error instanceof FederationError ? error.code : 'upstream_unavailable'], uid);
    }
  });

  router.get('/federation/callback/:upstream', deps.uiSession, async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    const session = uiSession(ctx);
    const flow = session.federation;
    // Single use: a replayed or foreign callback finds nothing to continue.
    delete session.federation;
    if (!flow || flow.upstream !== ctx.params.upstream || Date.now() - flow.startedAt > FLOW_LIFETIME_MS) return failed(ctx, FAILURES.state_mismatch, flow?.uid);
    let outcome;
    try {
      outcome = await federation.complete(flow.uid, flow.upstream, new URL(ctx.href.replace(ctx.origin, deps.issuer)), flow.request, originOf(ctx));
    } catch (error) {
      return failed(ctx, FAILURES[error instanceof FederationError ? error.code : 'upstream_unavailable'], flow.uid);
    }
    if (outcome.outcome === 'refused') return failed(ctx, REFUSALS[outcome.reason]!, flow.uid);
    ctx.status = 303;
    // Finished under /interaction/<uid>, where oidc-provider's interaction cookie is sent, so that
    // only the browser holding the interaction gets the result; the result waits server-side
    // for that interaction (never in this cookie).
    ctx.redirect(`/interaction/${flow.uid}/federated/complete`);
  });

  router.get('/interaction/:uid/federated/complete', deps.uiSession, async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    const uid = ctx.params.uid!;
    await interactions.load(http(ctx), uid); // this browser holds that interaction
    const result = await federation.takeResult(uid);
    if (!result) return failed(ctx, FAILURES.state_mismatch, uid);
    ctx.status = 303;
    // A link waits for the account's password on the sign-in page.
    if (result.outcome === 'confirm_with_password') return ctx.redirect(`/interaction/${uid}`);
    // An upstream is a first factor like any other: the MFA policy may ask for more (sign-in steps).
    await continueSignIn(ctx, uid, await interactions.finishLogin(http(ctx), uid, result.accountId, ['fed']), { confirmPendingLink: async () => false });
  });

  return router;
}
