import QRCode from 'qrcode';
import type { Clock } from '../../lib/clock.ts';
import { displayText } from '../../lib/display-text.ts';
import type { AccountRecord, Authenticator, AuthenticatorStore, RecoveryCodeStore } from '../../stores/types.ts';
import type { AccountMail } from '../account-mail.service.ts';
import type { AuditTrail, RequestOrigin } from '../audit.service.ts';
import type { Throttle } from '../throttle.service.ts';
import { hashRecoveryCode, newRecoveryCodes, normaliseRecoveryCode } from './recovery-codes.ts';
import { matchTotpStep, newTotpSecret, totpUri } from './totp.ts';
import type { WebAuthn } from './webauthn.ts';

/** Abandoned enrolments (a QR code shown, never confirmed) are removed after this long. */
export const UNCONFIRMED_TTL_MS = 60 * 60 * 1000;
const NAME_MAX = 60;

export interface TotpEnrolment {
  id: string;
  secret: string;
  uri: string;
  /** The otpauth:// URI as a QR code, an SVG drawn here (no outside service sees the secret). */
  qrSvg: string;
}

export type EnrolmentResult =
  | { outcome: 'enrolled'; authenticator: Authenticator; recoveryCodes: string[] | undefined }
  | { outcome: 'failed' }
  | { outcome: 'throttled'; retryAfterSeconds: number };

/** `busy`: another change to the account's factors is under way; try again. */
export type RemovalResult = 'removed' | 'not_found' | 'last_factor_required' | 'busy';

/** Longest a removal may hold the account's factors (released as soon as it is done). */
const HOLD_MS = 10_000;

/**
 * Operators (`keyward users reset-mfa`, later the admin API): every passkey, authenticator app and
 * recovery code of the account goes, audited with who did it; the owner is told. Returns how many
 * factors were removed.
 */
export async function resetSecondFactors(
  deps: { authenticators: AuthenticatorStore; recoveryCodes: RecoveryCodeStore; audit: AuditTrail; mail: Pick<AccountMail, 'securityChanged'> },
  account: AccountRecord, origin: Partial<RequestOrigin>, actor: string,
): Promise<number> {
  const removed = await deps.authenticators.removeAll(account.id);
  await deps.recoveryCodes.removeAll(account.id);
  await deps.audit.record('mfa_reset', 'success', origin, { accountId: account.id, details: { actor, removed } });
  await deps.mail.securityChanged(account.email, { key: 'mail.change.mfaReset' }, origin.locale);
  return removed;
}

/** Enrolling, listing and removing an account's second factors and passkeys, and its recovery codes. */
export function createAuthenticatorsService(deps: {
  authenticators: AuthenticatorStore;
  recoveryCodes: RecoveryCodeStore;
  webauthn: WebAuthn;
  throttle: Throttle;
  audit: AuditTrail;
  mail: AccountMail;
  clock: Clock;
  issuerName: string;
  /** The key of the recovery codes' keyed hash. */
  recoveryCodeKey: string;
  /** Whether policy or a role obliges this account to keep a second factor. */
  mfaRequiredFor: (account: AccountRecord) => boolean;
}) {
  const { authenticators, recoveryCodes, audit, mail } = deps;
  const confirmed = async (accountId: string) => (await authenticators.listForAccount(accountId)).filter((a) => a.confirmed);
  const cleanName = (name: string, fallback: string) => displayText(name).slice(0, NAME_MAX) || fallback;

  /** Ten fresh codes replace any earlier ones; only their hashes are stored. */
  const issueRecoveryCodes = async (accountId: string) => {
    const codes = newRecoveryCodes();
    await recoveryCodes.replace(accountId, codes.map((code) => hashRecoveryCode(deps.recoveryCodeKey, accountId, normaliseRecoveryCode(code)!)));
    return codes;
  };

  /** After a factor is confirmed: the first second factor of an account comes with recovery codes. */
  const enrolled = async (account: AccountRecord, authenticator: Authenticator, origin: RequestOrigin): Promise<EnrolmentResult> => {
    const first = (await confirmed(account.id)).length === 1;
    const codes = first || (await recoveryCodes.remaining(account.id)) === 0 ? await issueRecoveryCodes(account.id) : undefined;
    await audit.record('mfa_enrolled', 'success', origin, { accountId: account.id, details: { kind: authenticator.kind, name: authenticator.name } });
    await mail.securityChanged(account.email, { key: authenticator.kind === 'totp' ? 'mail.change.appAdded' : 'mail.change.passkeyAdded', params: { name: authenticator.name } }, origin.locale);
    return { outcome: 'enrolled', authenticator, recoveryCodes: codes };
  };

  return {
    list: confirmed,
    async hasSecondFactor(accountId: string): Promise<boolean> {
      return (await confirmed(accountId)).length > 0;
    },
    remainingRecoveryCodes: (accountId: string) => recoveryCodes.remaining(accountId),

    /** A new, unconfirmed authenticator-app secret (any earlier unconfirmed one is dropped). */
    async startTotp(account: AccountRecord): Promise<TotpEnrolment> {
      for (const stale of await authenticators.listForAccount(account.id)) {
        if (stale.kind === 'totp' && !stale.confirmed) await authenticators.remove(account.id, stale.id);
      }
      const secret = newTotpSecret();
      const created = await authenticators.create({ accountId: account.id, kind: 'totp', name: 'Authenticator app', secret, credentialId: undefined, counter: 0, transports: [], backedUp: false, confirmed: false });
      if (!created) throw new Error('an authenticator without credential id cannot collide');
      return this.pendingTotp(account, created.id) as Promise<TotpEnrolment>;
    },

    /** The unconfirmed enrolment `id` of the account, to show again (a wrong first code). */
    async pendingTotp(account: AccountRecord, id: string): Promise<TotpEnrolment | undefined> {
      const app = await authenticators.find(id);
      if (!app || app.accountId !== account.id || app.kind !== 'totp' || app.confirmed) return undefined;
      const uri = totpUri(app.secret, account.email, deps.issuerName);
      return { id: app.id, secret: app.secret, uri, qrSvg: await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 1 }) };
    },

    /** The first code proves the app has the secret; that code is then used up. */
    async confirmTotp(account: AccountRecord, id: string, code: string, name: string, origin: RequestOrigin): Promise<EnrolmentResult> {
      const reservation = await deps.throttle.reserveStep('second-factor', account.id, origin.ip);
      if (reservation.blocked) return { outcome: 'throttled', retryAfterSeconds: reservation.blocked.retryAfterSeconds };
      const app = await authenticators.find(id);
      if (!app || app.accountId !== account.id || app.kind !== 'totp' || app.confirmed) return { outcome: 'failed' };
      const step = matchTotpStep(app.secret, code, deps.clock.now());
      if (step === undefined || !(await authenticators.useTotpStep(app.id, step))) return { outcome: 'failed' };
      await authenticators.rename(account.id, app.id, cleanName(name, 'Authenticator app'));
      if (!(await authenticators.confirm(account.id, app.id))) return { outcome: 'failed' };
      await deps.throttle.recordStepSuccess('second-factor', account.id, origin.ip);
      return enrolled(account, { ...app, name: cleanName(name, 'Authenticator app'), confirmed: true }, origin);
    },

    async passkeyOptions(account: AccountRecord, ceremony: string) {
      return deps.webauthn.registrationOptions(ceremony, account, await authenticators.listForAccount(account.id));
    },

    async registerPasskey(account: AccountRecord, ceremony: string, response: string, name: string, origin: RequestOrigin): Promise<EnrolmentResult> {
      const passkey = await deps.webauthn.verifyRegistration(ceremony, response);
      const created = passkey && await authenticators.create({
        accountId: account.id, kind: 'passkey', name: cleanName(name, 'Passkey'), secret: passkey.publicKey, credentialId: passkey.credentialId,
        counter: passkey.counter, transports: passkey.transports, backedUp: passkey.backedUp, confirmed: true,
      });
      if (!created) {
        await audit.record('mfa_enrolled', 'failure', origin, { accountId: account.id, details: { kind: 'passkey' } });
        return { outcome: 'failed' };
      }
      return enrolled(account, created, origin);
    },

    async rename(accountId: string, id: string, name: string): Promise<boolean> {
      return authenticators.rename(accountId, id, cleanName(name, 'Passkey'));
    },

    /**
     * Refused for the last second factor of an account that must keep one (MFA_POLICY,
     * MFA_REQUIRED_ROLES). The count and the removal are one step under a hold on the account's
     * factors, so two removals at once cannot each see another factor left and both go.
     */
    async remove(account: AccountRecord, id: string, origin: RequestOrigin): Promise<RemovalResult> {
      const release = await deps.throttle.tryHold(`factors:${account.id}`, HOLD_MS);
      if (!release) return 'busy';
      try {
        const all = await confirmed(account.id);
        const target = all.find((a) => a.id === id);
        if (!target) return 'not_found';
        if (all.length === 1 && deps.mfaRequiredFor(account)) return 'last_factor_required';
        if (!(await authenticators.remove(account.id, id))) return 'not_found';
        // Recovery codes belong to a second factor: they go with the last one.
        if ((await confirmed(account.id)).length === 0) await recoveryCodes.removeAll(account.id);
        await audit.record('mfa_removed', 'success', origin, { accountId: account.id, details: { kind: target.kind, name: target.name } });
        await mail.securityChanged(account.email, { key: target.kind === 'totp' ? 'mail.change.appRemoved' : 'mail.change.passkeyRemoved', params: { name: target.name } }, origin.locale);
        return 'removed';
      } finally {
        await release();
      }
    },

    async regenerateRecoveryCodes(account: AccountRecord, origin: RequestOrigin): Promise<string[] | undefined> {
      if ((await confirmed(account.id)).length === 0) return undefined;
      const codes = await issueRecoveryCodes(account.id);
      await audit.record('recovery_codes_regenerated', 'success', origin, { accountId: account.id });
      await mail.securityChanged(account.email, { key: 'mail.change.recoveryCodes' }, origin.locale);
      return codes;
    },

    reset: (account: AccountRecord, origin: Partial<RequestOrigin>, actor: string) => resetSecondFactors(deps, account, origin, actor),
  };
}

export type AuthenticatorsService = ReturnType<typeof createAuthenticatorsService>;
