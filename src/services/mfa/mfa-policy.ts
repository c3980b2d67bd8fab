/**
 * Which steps a sign-in still needs (DESIGN.md, "Sign-in in steps"). Pure: the inputs are
 * what the flow knows, the answer is the next step. Authentication method references are
 * RFC 8176 values; the ACR values are Keyward's two levels, published in discovery.
 */

/** A sign-in with one factor (a password, an upstream). */
export const ACR_ONE_FACTOR = 'urn:keyward:acr:1fa';
/** A sign-in with two factors, or with a passkey with user verification. */
export const ACR_MULTI_FACTOR = 'urn:keyward:acr:mfa';
export const ACR_VALUES = [ACR_ONE_FACTOR, ACR_MULTI_FACTOR] as const;

export type MfaPolicy = 'optional' | 'required';

/** RFC 8176 §2 values Keyward produces. */
export type MethodReference = 'pwd' | 'fed' | 'otp' | 'hwk' | 'swk' | 'user' | 'mfa';

export interface MfaRequirementInputs {
  policy: MfaPolicy;
  /** The client registered `require_mfa: true`. */
  clientRequiresMfa: boolean;
  /** The account has a role listed in MFA_REQUIRED_ROLES. */
  roleRequiresMfa: boolean;
  /** The relying party's acr_values (OIDC Core §3.1.2.1), space-separated; voluntary, but honoured. */
  acrValues: string | undefined;
}

/** Whether this sign-in must end with a second factor, and why (for the audit trail). */
export function mfaRequiredBy(inputs: MfaRequirementInputs): 'policy' | 'client' | 'role' | 'acr_values' | undefined {
  if (inputs.policy === 'required') return 'policy';
  if (inputs.clientRequiresMfa) return 'client';
  if (inputs.roleRequiresMfa) return 'role';
  const asked = (inputs.acrValues ?? '').split(' ').filter(Boolean);
  // Only when every acceptable value is the multi-factor one does the client demand it.
  if (asked.includes(ACR_MULTI_FACTOR) && !asked.includes(ACR_ONE_FACTOR)) return 'acr_values';
  return undefined;
}

/** A sign-in counts as multi-factor once its methods say so. */
export function isMultiFactor(amr: readonly string[]): boolean {
  return amr.includes('mfa');
}

/** The amr of a sign-in that passed these methods, with `mfa` once two kinds of factor passed (RFC 8176 §2). */
export function combineMethods(previous: readonly string[], added: readonly MethodReference[]): string[] {
  const methods = [...new Set([...previous.filter((m) => m !== 'mfa'), ...added])];
  const knowledgeOrUpstream = methods.some((m) => m === 'pwd' || m === 'fed');
  const possession = methods.some((m) => m === 'otp' || m === 'hwk' || m === 'swk');
  // A passkey with user verification is two factors in one: the device and its PIN or biometric.
  const verifiedKey = methods.includes('user') && methods.some((m) => m === 'hwk' || m === 'swk');
  return (knowledgeOrUpstream && possession) || verifiedKey || previous.includes('mfa') ? [...methods, 'mfa'] : methods;
}

export const acrOf = (amr: readonly string[]) => (isMultiFactor(amr) ? ACR_MULTI_FACTOR : ACR_ONE_FACTOR);

export type NextStep =
  | { step: 'done' }
  /** Ask for one of the account's second factors. */
  | { step: 'second_factor' }
  /** MFA is required and the account has no second factor: enrol one now. */
  | { step: 'enrol' };

/**
 * After a factor passed: done, another factor, or enrolment. An account with a second factor
 * always uses it (that is what turning MFA on means), whatever the policy says.
 */
export function nextStep(input: { amr: readonly string[]; hasSecondFactor: boolean; required: boolean }): NextStep {
  if (isMultiFactor(input.amr)) return { step: 'done' };
  if (input.hasSecondFactor) return { step: 'second_factor' };
  return input.required ? { step: 'enrol' } : { step: 'done' };
}
