import type { InteractionService, StepOutcome } from '../oidc/interactions.ts';
import type { FederationService } from '../services/federation/federation.service.ts';
import { originOf } from './request-origin.ts';
import type { KeywardContext } from './state.ts';
import { rotateUiSession } from './ui-session.ts';

/** The page of each sign-in step under /interaction/<uid>. */
export const stepPath = (uid: string, step: 'second_factor' | 'enrol') => `/interaction/${uid}/${step === 'second_factor' ? 'second-factor' : 'enrol'}`;

/**
 * Sends the browser on after a factor passed: to the next step's page, or (the sign-in done)
 * back to oidc-provider. A finished sign-in links an upstream identity waiting for the owner's
 * proof and starts a fresh UI session (session fixation).
 */
export async function continueSignIn(ctx: KeywardContext, uid: string, outcome: StepOutcome, federation: Pick<FederationService, 'confirmPendingLink'>): Promise<void> {
  ctx.status = 303;
  if (outcome.outcome !== 'continue') return ctx.redirect(stepPath(uid, outcome.outcome));
  await federation.confirmPendingLink(uid, outcome.accountId, originOf(ctx));
  rotateUiSession(ctx);
  ctx.redirect(outcome.url);
}

export const httpOf = (ctx: KeywardContext) => ({ req: ctx.req, res: ctx.res });
export type { InteractionService };
