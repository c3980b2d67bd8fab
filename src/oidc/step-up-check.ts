import { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';

/** The login-prompt check Keyward adds; its name appears in `interaction.prompt.reasons`. */
export const STEP_UP_REASON = 'keyward_mfa_required';

/** Does this account, for this client and request, have to sign in with a second factor? */
export type StepUpRequirement = (input: { accountId: string; clientRequiresMfa: boolean; acrValues: string | undefined }) => Promise<boolean>;

/**
 * oidc-provider's default prompts, with one more login check: a browser session signed in with
 * one factor is asked for a second when this request needs one (the client's `require_mfa`,
 * `acr_values` asking for the multi-factor ACR, MFA_POLICY, a role). That is step-up
 * authentication (OIDC Core §3.1.2.1 acr_values; #interactionspolicy in oidc-provider's docs).
 */
export function policyWithStepUp(required: StepUpRequirement) {
  const policy = interactionPolicy.base();
  policy.get('login')!.checks.add(new interactionPolicy.Check(STEP_UP_REASON, 'a second factor is required', async (ctx: KoaContextWithOIDC) => {
    const { session, client, params, result } = ctx.oidc;
    // A login finished in this request already went through the policy (no prompt loop).
    if (!session?.accountId || result?.login) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
    if ((session.amr ?? []).includes('mfa')) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
    const clientRequiresMfa = (client as unknown as { require_mfa?: boolean } | undefined)?.require_mfa === true;
    const acrValues = typeof params?.acr_values === 'string' ? params.acr_values : undefined;
    return (await required({ accountId: session.accountId, clientRequiresMfa, acrValues })) ? interactionPolicy.Check.REQUEST_PROMPT : interactionPolicy.Check.NO_NEED_TO_PROMPT;
  }));
  return policy;
}
