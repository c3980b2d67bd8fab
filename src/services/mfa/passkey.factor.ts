import type { AccountStore, AuthenticatorStore } from '../../stores/types.ts';
import type { AuditTrail } from '../audit.service.ts';
import type { Throttle } from '../throttle.service.ts';
import type { SignInFactor } from './factor.ts';
import type { MethodReference } from './mfa-policy.ts';
import { parseAssertion, type WebAuthn } from './webauthn.ts';

/**
 * A passkey assertion (WebAuthn), as the first factor (passwordless: any discoverable passkey,
 * user verification required) or as a second factor (one of the identified account's passkeys).
 * No password hashing happens here: a passkey sign-in costs a signature check.
 */
export function createPasskeyFactor(deps: {
  authenticators: AuthenticatorStore;
  accounts: AccountStore;
  webauthn: WebAuthn;
  throttle: Throttle;
  audit: AuditTrail;
  requireVerifiedEmail: boolean;
}): SignInFactor<{ assertion: string; ceremony: string }> {
  const { authenticators, throttle, audit } = deps;
  return {
    async verify({ assertion, ceremony }, { accountId, origin, clientId }) {
      const event = accountId ? 'second_factor' : 'passkey_sign_in';
      const parsed = parseAssertion(assertion);
      // Counted per account for a second factor, per credential for a passwordless attempt.
      const subject = accountId ?? `credential:${parsed?.id ?? 'malformed'}`;
      const reservation = await throttle.reserveStep(accountId ? 'second-factor' : 'passkey', subject, origin.ip);
      if (reservation.blocked) {
        await audit.record(event, 'blocked', origin, { accountId, clientId, details: { method: 'passkey' } });
        return { outcome: 'throttled', retryAfterSeconds: reservation.blocked.retryAfterSeconds };
      }
      const passkey = parsed ? await authenticators.findByCredentialId(parsed.id) : undefined;
      const usable = passkey?.kind === 'passkey' && passkey.confirmed && (!accountId || passkey.accountId === accountId);
      const verified = usable && parsed ? await deps.webauthn.verifyAuthentication(ceremony, parsed, passkey, !accountId) : undefined;
      const account = verified ? await deps.accounts.findById(passkey!.accountId) : undefined;
      if (!verified || !account || account.disabled || (!accountId && deps.requireVerifiedEmail && !account.emailVerified)) {
        await audit.record(event, 'failure', origin, { accountId: accountId ?? account?.id, clientId, details: { method: 'passkey' } });
        return { outcome: 'failed' };
      }
      await authenticators.recordPasskeyUse(passkey!.id, verified.newCounter);
      await throttle.recordStepSuccess(accountId ? 'second-factor' : 'passkey', subject, origin.ip);
      await audit.record(event, 'success', origin, { accountId: account.id, clientId, details: { method: 'passkey', passkey: passkey!.name } });
      // RFC 8176: a synced passkey is a software-secured key, a device-bound one hardware-secured;
      // `user` records that the authenticator verified its user (PIN or biometric).
      const amr: MethodReference[] = [verified.backedUp ? 'swk' : 'hwk', ...(verified.userVerified ? ['user' as const] : [])];
      return { outcome: 'passed', accountId: account.id, amr };
    },
  };
}
