import type { MethodReference } from '../services/mfa/mfa-policy.ts';
import type { TotpEnrolment } from '../services/mfa/authenticators.service.ts';
import type { Authenticator } from '../stores/types.ts';
import type { FormErrors } from './forms.ts';

export interface SecondFactorViewModel {
  uid: string;
  csrfToken: string;
  hasTotp: boolean;
  hasPasskey: boolean;
  /** The recovery-code form starts open when it was the one submitted. */
  recoveryOpen: boolean;
  errors: FormErrors;
}

export function secondFactorViewModel(uid: string, csrfToken: string, authenticators: readonly Authenticator[], errors: FormErrors, method: string | undefined): SecondFactorViewModel {
  return {
    uid,
    csrfToken,
    hasTotp: authenticators.some((a) => a.kind === 'totp'),
    hasPasskey: authenticators.some((a) => a.kind === 'passkey'),
    recoveryOpen: method === 'recovery_code',
    errors,
  };
}

export interface EnrolmentViewModel {
  /** Posts go under /interaction/<uid>/enrol or, in the account center, /account/security. */
  action: string;
  csrfToken: string;
  totp: { id: string; secret: string; secretGroups: string; qrSvg: string };
  errors: FormErrors;
}

/** The secret in groups of four, as authenticator apps show typed secrets. */
const grouped = (secret: string) => secret.match(/.{1,4}/g)?.join(' ') ?? secret;

export function enrolmentViewModel(uid: string | undefined, csrfToken: string, totp: TotpEnrolment, errors: FormErrors): EnrolmentViewModel {
  return {
    action: uid ? `/interaction/${uid}/enrol` : '/account/security',
    csrfToken,
    totp: { id: totp.id, secret: totp.secret, secretGroups: grouped(totp.secret), qrSvg: totp.qrSvg },
    errors,
  };
}

/** What enrolling (and so using) a factor proved, as RFC 8176 methods. */
export function amrOfEnrolment(authenticator: Authenticator): MethodReference[] {
  if (authenticator.kind === 'totp') return ['otp'];
  return [authenticator.backedUp ? 'swk' : 'hwk', 'user'];
}

export interface SecurityViewModel {
  csrfToken: string;
  totps: { id: string; name: string; createdAt: string; lastUsedAt: string | undefined }[];
  passkeys: { id: string; name: string; createdAt: string; lastUsedAt: string | undefined; synced: boolean }[];
  recoveryCodesLeft: number;
  mfaRequired: boolean;
  message: string | undefined;
}

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export function securityViewModel(csrfToken: string, authenticators: readonly Authenticator[], recoveryCodesLeft: number, mfaRequired: boolean, message?: string): SecurityViewModel {
  const row = (a: Authenticator) => ({ id: a.id, name: a.name, createdAt: day(a.createdAt), lastUsedAt: a.lastUsedAt ? day(a.lastUsedAt) : undefined });
  return {
    csrfToken,
    totps: authenticators.filter((a) => a.kind === 'totp').map(row),
    passkeys: authenticators.filter((a) => a.kind === 'passkey').map((a) => ({ ...row(a), synced: a.backedUp })),
    recoveryCodesLeft,
    mfaRequired,
    message,
  };
}
