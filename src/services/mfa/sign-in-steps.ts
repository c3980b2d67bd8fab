import type { AccountStore } from '../../stores/types.ts';
import type { AuthenticatorsService } from './authenticators.service.ts';
import { ACR_MULTI_FACTOR, ACR_ONE_FACTOR, isMultiFactor, mfaRequiredBy, nextStep, type MfaPolicy } from './mfa-policy.ts';
import type { SignInProgressStore } from './sign-in-progress.ts';

/** What to do after a factor passed. */
export type StepDecision =
  | { step: 'done'; login: { accountId: string; amr: string[]; acr: string } }
  | { step: 'second_factor' | 'enrol' };

export interface MfaSettings {
  policy: MfaPolicy;
  requiredRoles: readonly string[];
}

/**
 * The ACR to report: of the values the request asked for, one the sign-in satisfies (a
 * multi-factor sign-in satisfies a one-factor request too; OIDC Core §2 "acr"), else the level reached.
 */
export function acrFor(amr: readonly string[], acrValues: string | undefined): string {
  const reached = isMultiFactor(amr) ? [ACR_MULTI_FACTOR, ACR_ONE_FACTOR] : [ACR_ONE_FACTOR];
  return (acrValues ?? '').split(' ').find((value) => reached.includes(value)) ?? reached[0]!;
}

/**
 * The sign-in state machine (DESIGN.md, "Sign-in in steps"): identify → a first factor → more
 * factors when the policy asks → consent. Decides the next step and keeps the progress by
 * interaction; oidc/interactions.ts finishes the login when this says done.
 */
export function createSignInSteps(deps: {
  accounts: AccountStore;
  authenticators: Pick<AuthenticatorsService, 'hasSecondFactor'>;
  progress: SignInProgressStore;
  mfa: MfaSettings;
}) {
  const { accounts, progress, mfa } = deps;

  /** Whether policy, the client, a role or the request's acr_values require a second factor. */
  async function requiredFor(input: { accountId: string; clientRequiresMfa: boolean; acrValues: string | undefined }): Promise<boolean> {
    // Read the account only when a role could decide: this runs on every authorization request
    // of a browser signed in with one factor (the step-up check).
    const roleRequiresMfa = mfa.requiredRoles.length > 0
      && Boolean((await accounts.findById(input.accountId))?.roles.some((role) => mfa.requiredRoles.includes(role)));
    return mfaRequiredBy({ policy: mfa.policy, clientRequiresMfa: input.clientRequiresMfa, roleRequiresMfa, acrValues: input.acrValues }) !== undefined;
  }

  return {
    requiredFor,

    /** `fresh`: the first factor was given in this interaction (false for a step-up from a session). */
    async decide(uid: string, request: { clientRequiresMfa: boolean; acrValues: string | undefined }, accountId: string, amr: string[], fresh: boolean): Promise<StepDecision> {
      const { acrValues } = request;
      const required = await requiredFor({ accountId, clientRequiresMfa: request.clientRequiresMfa, acrValues });
      const next = nextStep({ amr, hasSecondFactor: await deps.authenticators.hasSecondFactor(accountId), required });
      if (next.step === 'done') {
        await progress.drop(uid);
        return { step: 'done', login: { accountId, amr, acr: acrFor(amr, acrValues) } };
      }
      await progress.save(uid, { accountId, amr, step: next.step, fresh });
      return next;
    },
  };
}

export type SignInSteps = ReturnType<typeof createSignInSteps>;
