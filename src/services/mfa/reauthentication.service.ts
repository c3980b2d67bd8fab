import type { Clock } from '../../lib/clock.ts';
import type { AccountStore, OidcRecordStore } from '../../stores/types.ts';
import type { AccountService } from '../accounts.service.ts';
import type { AuditTrail, RequestOrigin } from '../audit.service.ts';
import type { Throttle } from '../throttle.service.ts';
import type { FactorOutcome, SignInFactor } from './factor.ts';
import type { WebAuthn } from './webauthn.ts';

/** A change to how an account signs in needs an authentication at most this old (a "sudo mode"). */
export const RECENT_AUTHENTICATION_MS = 5 * 60 * 1000;
const RECENT = 'KeywardRecentAuthentication';

/** The browser session asking (oidc-provider's session: its id, account and sign-in time). */
export interface SignedInSession {
  sessionId: string;
  accountId: string;
  /** Epoch seconds of the last sign-in (oidc-provider's loginTs, the ID token's auth_time). */
  authTime: number | undefined;
}

export type ReauthenticationProof = { password: string } | { code: string } | { assertion: string };

/**
 * Re-asks a signed-in person for a factor before a sensitive change (adding or removing a
 * factor, new recovery codes), so that a browser left signed in is not enough: the password, or,
 * once the account has a second factor, that factor (a passkey or an app code). A success is
 * remembered server-side for the session, for RECENT_AUTHENTICATION_MS.
 */
export function createReauthentication(deps: {
  records: OidcRecordStore;
  accounts: AccountService;
  accountStore: AccountStore;
  throttle: Throttle;
  audit: AuditTrail;
  clock: Clock;
  webauthn: WebAuthn;
  factors: { totp: SignInFactor<{ code: string }>; passkey: SignInFactor<{ assertion: string; ceremony: string }> };
  hasSecondFactor: (accountId: string) => Promise<boolean>;
}) {
  const { records, clock, audit } = deps;
  const ceremony = (session: SignedInSession) => `reauth:${session.sessionId}`;

  const withPassword = async (session: SignedInSession, password: string, origin: RequestOrigin): Promise<FactorOutcome> => {
    // With a second factor on, the password alone is not enough to change how the account signs in.
    if (await deps.hasSecondFactor(session.accountId)) return { outcome: 'failed' };
    const reservation = await deps.throttle.reserveStep('reauthenticate', session.accountId, origin.ip);
    if (reservation.blocked) return { outcome: 'throttled', retryAfterSeconds: reservation.blocked.retryAfterSeconds };
    const account = await deps.accountStore.findById(session.accountId);
    const authenticated = account && await deps.accounts.authenticate(account.email, password);
    if (authenticated?.id !== session.accountId) return { outcome: 'failed' };
    await deps.throttle.recordStepSuccess('reauthenticate', session.accountId, origin.ip);
    return { outcome: 'passed', accountId: session.accountId, amr: ['pwd'] };
  };

  return {
    async isRecent(session: SignedInSession): Promise<boolean> {
      if (session.authTime !== undefined && session.authTime * 1000 >= clock.now() - RECENT_AUTHENTICATION_MS) return true;
      const record = await records.find(RECENT, session.sessionId);
      return record?.accountId === session.accountId;
    },

    passkeyOptions: async (session: SignedInSession, passkeys: Parameters<WebAuthn['authenticationOptions']>[1]) => deps.webauthn.authenticationOptions(ceremony(session), passkeys),

    async confirm(session: SignedInSession, proof: ReauthenticationProof, origin: RequestOrigin): Promise<FactorOutcome> {
      const attempt = { accountId: session.accountId, origin, clientId: undefined };
      const outcome = 'password' in proof
        ? await withPassword(session, proof.password, origin)
        : 'code' in proof
          ? await deps.factors.totp.verify({ code: proof.code }, attempt)
          : await deps.factors.passkey.verify({ assertion: proof.assertion, ceremony: ceremony(session) }, attempt);
      await audit.record('reauthentication', outcome.outcome === 'passed' ? 'success' : outcome.outcome === 'throttled' ? 'blocked' : 'failure', origin, { accountId: session.accountId });
      if (outcome.outcome === 'passed') await records.upsert(RECENT, session.sessionId, { accountId: session.accountId }, clock.now() + RECENT_AUTHENTICATION_MS);
      return outcome;
    },
  };
}

export type Reauthentication = ReturnType<typeof createReauthentication>;
