import type { Locale } from '../../lib/i18n.ts';
import type { Config } from '../../config/schema.ts';
import type { Clock } from '../../lib/clock.ts';
import type { AccountRecord, Stores } from '../../stores/types.ts';
import type { AccountMail } from '../account-mail.service.ts';
import type { AccountService } from '../accounts.service.ts';
import type { AuditTrail } from '../audit.service.ts';
import type { Throttle } from '../throttle.service.ts';
import { createAuthenticatorsService } from './authenticators.service.ts';
import { createPasskeyFactor } from './passkey.factor.ts';
import { createReauthentication } from './reauthentication.service.ts';
import { createRecoveryCodeFactor } from './recovery-code.factor.ts';
import { createSignInProgress } from './sign-in-progress.ts';
import { createSignInSteps } from './sign-in-steps.ts';
import { createTotpFactor } from './totp.factor.ts';
import { createWebAuthn } from './webauthn.ts';

/**
 * The multi-factor services, built together because they share stores and settings; called
 * once by the composition root (container.ts).
 */
export function createMfaServices(deps: { config: Config; stores: Stores; clock: Clock; throttle: Throttle; audit: AuditTrail; mail: AccountMail; accounts: AccountService; recoveryCodeKey: string }) {
  const { config, stores, clock, throttle, audit, mail, recoveryCodeKey } = deps;
  const webauthn = createWebAuthn({ settings: config.mfa.webauthn, records: stores.oidcRecords, clock });
  const mfaRequiredFor = (account: AccountRecord) => config.mfa.policy === 'required' || account.roles.some((role) => config.mfa.requiredRoles.includes(role));
  const authenticators = createAuthenticatorsService({
    authenticators: stores.authenticators, recoveryCodes: stores.recoveryCodes, webauthn, throttle, audit, mail, clock,
    issuerName: config.ui.productName, mfaRequiredFor, recoveryCodeKey,
  });
  const progress = createSignInProgress(stores.oidcRecords, clock);
  const notifyRecoveryCodeUse = async (accountId: string, remaining: number, locale?: Locale) => {
    const account = await stores.accounts.findById(accountId);
    if (account) await mail.recoveryCodeUsed(account.email, remaining, locale);
  };
  const factors = {
    totp: createTotpFactor({ authenticators: stores.authenticators, throttle, audit, clock }),
    recoveryCode: createRecoveryCodeFactor({ recoveryCodes: stores.recoveryCodes, recoveryCodeKey, throttle, audit, notifyOwner: notifyRecoveryCodeUse }),
    passkey: createPasskeyFactor({ authenticators: stores.authenticators, accounts: stores.accounts, webauthn, throttle, audit, requireVerifiedEmail: config.accounts.requireVerifiedEmail }),
  };
  return {
    webauthn,
    authenticators,
    progress,
    mfaRequiredFor,
    factors,
    steps: createSignInSteps({ accounts: stores.accounts, authenticators, progress, mfa: config.mfa }),
    reauthentication: createReauthentication({ records: stores.oidcRecords, accounts: deps.accounts, accountStore: stores.accounts, throttle, audit, clock, webauthn, factors, hasSecondFactor: authenticators.hasSecondFactor }),
  };
}

export type MfaServices = ReturnType<typeof createMfaServices>;
