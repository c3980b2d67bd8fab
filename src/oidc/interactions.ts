import type { IncomingMessage, ServerResponse } from 'node:http';
import { errors, type InteractionResults, type Provider } from 'oidc-provider';
import { InteractionExpiredError } from '../errors/app-error.ts';
import type { AccountService } from '../services/accounts.service.ts';
import type { ApiRegistry } from '../services/apis.service.ts';
import type { AuditTrail, RequestOrigin } from '../services/audit.service.ts';
import type { SignInService } from '../services/sign-in.service.ts';
import type { FactorOutcome, SignInFactor } from '../services/mfa/factor.ts';
import { combineMethods, type MethodReference } from '../services/mfa/mfa-policy.ts';
import type { SignInProgressStore } from '../services/mfa/sign-in-progress.ts';
import type { SignedInSession } from '../services/mfa/reauthentication.service.ts';
import type { WebAuthn } from '../services/mfa/webauthn.ts';
import type { SignInSteps } from '../services/mfa/sign-in-steps.ts';
import { STEP_UP_REASON } from './step-up-check.ts';

/** What a login or consent page needs to know about the pending authorization request. */
export interface PendingInteraction {
  uid: string;
  prompt: 'login' | 'consent';
  /** accentColor: the client's `accent_color` (#rrggbb, validated by the clients file). */
  client: { id: string; name: string; logoUri: string | undefined; accentColor: string | undefined };
  /** OpenID scopes the end user is asked to grant (consent prompt). */
  requestedScopes: string[];
  /** API scopes asked for, with the API's own description of each. */
  apiScopes: { api: string; scope: string; description: string }[];
  /** What the client will learn about the account, for the consent page. */
  account: { email: string; name: string | undefined } | undefined;
  loginHint: string | undefined;
  /** The request's ui_locales (OIDC Core §3.1.2.1): preferred languages, space-separated. */
  uiLocales: string | undefined;
  /** The browser is signed in, but this request needs a second factor it has not given. */
  stepUp: boolean;
}

interface HttpPair {
  req: IncomingMessage;
  res: ServerResponse;
}

/** Where a sign-in goes after a factor passed. */
export type StepOutcome =
  | { outcome: 'continue'; url: string; accountId: string }
  | { outcome: 'second_factor' | 'enrol' };

export type FactorRefusal = { outcome: 'failed' } | { outcome: 'throttled'; retryAfterSeconds: number };

export type SignInOutcome =
  | StepOutcome
  | { outcome: 'invalid' | 'unverified' }
  | { outcome: 'throttled'; retryAfterSeconds: number };

export type SecondFactorMethod = 'totp' | 'recovery_code';

export interface InteractionService {
  /** Throws InteractionExpiredError when the interaction is unknown, expired or from another browser. */
  load(http: HttpPair, uid: string): Promise<PendingInteraction>;
  signIn(http: HttpPair, uid: string, credentials: { email: string; password: string }, origin: RequestOrigin): Promise<SignInOutcome>;
  /** A first factor passed some other way (an upstream): on to the next step. */
  finishLogin(http: HttpPair, uid: string, accountId: string, amr: MethodReference[]): Promise<StepOutcome>;
  /**
   * Step-up: the signed-in account of this browser continues with a second factor; or, when it
   * has none to give and must enrol one, with a first factor again (`first_factor`).
   */
  stepUp(http: HttpPair, uid: string): Promise<StepOutcome | { outcome: 'first_factor' }>;
  /** The account a sign-in in progress identified (after its first factor), if any. */
  progressAccount(http: HttpPair, uid: string): Promise<string | undefined>;
  secondFactor(http: HttpPair, uid: string, method: SecondFactorMethod, code: string, origin: RequestOrigin): Promise<StepOutcome | FactorRefusal>;
  /** WebAuthn options: any passkey (passwordless), or the identified account's (a second factor). */
  passkeyOptions(http: HttpPair, uid: string): Promise<unknown>;
  passkey(http: HttpPair, uid: string, assertion: string, origin: RequestOrigin): Promise<StepOutcome | FactorRefusal>;
  /** The account that must enrol a second factor now (MFA required, none yet); else undefined. */
  enrolmentAccount(http: HttpPair, uid: string): Promise<string | undefined>;
  /** `accountId` enrolled a factor during this sign-in (which it then passed): on to the next step. */
  enrolled(http: HttpPair, uid: string, accountId: string, amr: MethodReference[]): Promise<StepOutcome>;
  /** The account signed in in this browser (oidc-provider's session cookie), if any. */
  currentAccountId(http: HttpPair & { secure: boolean }): Promise<string | undefined>;
  /** This browser's signed-in session: its id, account and sign-in time. */
  currentSession(http: HttpPair & { secure: boolean }): Promise<SignedInSession | undefined>;
  /** Grants what the consent prompt asked for; returns the URL to continue at. */
  grantConsent(http: HttpPair, uid: string, origin: RequestOrigin): Promise<string>;
  /** Ends the interaction with access_denied (RFC 6749 §4.1.2.1); returns the URL to continue at. */
  deny(http: HttpPair, uid: string, origin: RequestOrigin): Promise<string>;
}

interface ConsentDetails {
  missingOIDCScope?: string[];
  missingOIDCClaims?: string[];
  missingResourceScopes?: Record<string, string[]>;
}

/** The only caller of provider.interaction* (DESIGN.md, Layout). */
export function createInteractionService(deps: {
  provider: Provider;
  accounts: AccountService;
  signIn: SignInService;
  apis: ApiRegistry;
  audit: AuditTrail;
  steps: SignInSteps;
  progress: SignInProgressStore;
  factors: { totp: SignInFactor<{ code: string }>; recoveryCode: SignInFactor<{ code: string }>; passkey: SignInFactor<{ assertion: string; ceremony: string }> };
  webauthn: WebAuthn;
  authenticators: { list(accountId: string): Promise<import('../stores/types.ts').Authenticator[]>; hasSecondFactor(accountId: string): Promise<boolean> };
}): InteractionService {
  const { provider, apis, audit, steps, progress } = deps;
  const details = async ({ req, res }: HttpPair, uid: string, expected?: 'login' | 'consent') => {
    let interaction;
    try {
      interaction = await provider.interactionDetails(req, res);
    } catch (error) {
      if (error instanceof errors.SessionNotFound) throw new InteractionExpiredError(error);
      throw error;
    }
    // The interaction cookie must belong to the interaction named in the URL.
    if (interaction.uid !== uid || (expected && interaction.prompt.name !== expected)) throw new InteractionExpiredError();
    return interaction;
  };
  const finish = ({ req, res }: HttpPair, result: InteractionResults, merge: boolean) =>
    provider.interactionResult(req, res, result, { mergeWithLastSubmission: merge });
  const ceremony = (uid: string) => `sign-in:${uid}`;

  /** After a factor passed: finish the login (amr, acr) or name the step still missing. */
  const advance = async (http: HttpPair, uid: string, params: Record<string, unknown>, accountId: string, amr: string[], fresh = true): Promise<StepOutcome> => {
    const client = await provider.Client.find(String(params.client_id));
    const request = { clientRequiresMfa: (client as unknown as { require_mfa?: boolean } | undefined)?.require_mfa === true, acrValues: typeof params.acr_values === 'string' ? params.acr_values : undefined };
    const decision = await steps.decide(uid, request, accountId, amr, fresh);
    if (decision.step !== 'done') return { outcome: decision.step };
    return { outcome: 'continue', url: await finish(http, { login: decision.login }, false), accountId };
  };
  /** A factor's outcome: refused as it is, or the next step with the methods passed so far. */
  const afterFactor = async (http: HttpPair, uid: string, params: Record<string, unknown>, previous: { amr: string[]; fresh: boolean } | undefined, outcome: FactorOutcome) =>
    outcome.outcome === 'passed' ? advance(http, uid, params, outcome.accountId, combineMethods(previous?.amr ?? [], outcome.amr), previous?.fresh ?? true) : outcome;

  return {
    async load(http, uid) {
      const interaction = await details(http, uid);
      const prompt = interaction.prompt.name;
      if (prompt !== 'login' && prompt !== 'consent') throw new InteractionExpiredError();
      const client = await provider.Client.find(String(interaction.params.client_id));
      if (!client) throw new InteractionExpiredError();
      const { missingOIDCScope = [], missingResourceScopes = {} } = interaction.prompt.details as ConsentDetails;
      const account = interaction.session ? await deps.accounts.findById(interaction.session.accountId) : undefined;
      return {
        uid: interaction.uid,
        prompt,
        client: { id: client.clientId, name: client.clientName ?? client.clientId, logoUri: client.logoUri, accentColor: (client as unknown as { accent_color?: string }).accent_color },
        requestedScopes: missingOIDCScope.map(String),
        apiScopes: Object.entries(missingResourceScopes).flatMap(([api, scopes]) =>
          scopes.map((scope) => ({ api: apis.find(api)?.name ?? api, scope, description: apis.find(api)?.scopes[scope] ?? scope }))),
        account: account ? { email: account.email, name: account.name } : undefined,
        loginHint: typeof interaction.params.login_hint === 'string' ? interaction.params.login_hint : undefined,
        uiLocales: typeof interaction.params.ui_locales === 'string' ? interaction.params.ui_locales : undefined,
        // Only the step-up check (or an essential ACR) asks, for a browser that is signed in.
        stepUp: prompt === 'login' && Boolean(interaction.session) && interaction.prompt.reasons.length > 0
          && interaction.prompt.reasons.every((reason) => reason === STEP_UP_REASON || reason === 'essential_acr' || reason === 'essential_acrs'),
      };
    },

    async signIn(http, uid, credentials, origin) {
      const interaction = await details(http, uid, 'login');
      const result = await deps.signIn.signIn(credentials, origin, String(interaction.params.client_id));
      if (result.outcome !== 'signed_in') return result;
      return advance(http, uid, interaction.params, result.account.id, ['pwd']);
    },

    async finishLogin(http, uid, accountId, amr) {
      const interaction = await details(http, uid, 'login');
      return advance(http, uid, interaction.params, accountId, combineMethods([], amr));
    },

    async stepUp(http, uid) {
      const interaction = await details(http, uid, 'login');
      if (!interaction.session) throw new InteractionExpiredError();
      const outcome = await advance(http, uid, interaction.params, interaction.session.accountId, (interaction.session.amr as string[] | undefined) ?? [], false);
      if (outcome.outcome !== 'enrol') return outcome;
      // Enrolling needs a first factor given now: an old session alone must not add a factor.
      await progress.drop(uid);
      return { outcome: 'first_factor' };
    },

    async progressAccount(http, uid) {
      await details(http, uid, 'login');
      return (await progress.find(uid))?.accountId;
    },

    async secondFactor(http, uid, method, code, origin) {
      const interaction = await details(http, uid, 'login');
      const current = await progress.find(uid);
      // A second factor only at the second-factor step (never in place of an enrolment).
      if (current?.step !== 'second_factor') throw new InteractionExpiredError();
      const factor = method === 'totp' ? deps.factors.totp : deps.factors.recoveryCode;
      const outcome = await factor.verify({ code }, { accountId: current.accountId, origin, clientId: String(interaction.params.client_id) });
      return afterFactor(http, uid, interaction.params, current, outcome);
    },

    async passkeyOptions(http, uid) {
      await details(http, uid, 'login');
      const current = await progress.find(uid);
      const allow = current ? (await deps.authenticators.list(current.accountId)).filter((a) => a.kind === 'passkey') : [];
      return deps.webauthn.authenticationOptions(ceremony(uid), allow);
    },

    async passkey(http, uid, assertion, origin) {
      const interaction = await details(http, uid, 'login');
      // With a first factor passed, the passkey is a second factor for that account; else passwordless.
      const current = await progress.find(uid);
      if (current && current.step !== 'second_factor') throw new InteractionExpiredError();
      const outcome = await deps.factors.passkey.verify({ assertion, ceremony: ceremony(uid) }, { accountId: current?.accountId, origin, clientId: String(interaction.params.client_id) });
      return afterFactor(http, uid, interaction.params, current, outcome);
    },

    async enrolmentAccount(http, uid) {
      await details(http, uid, 'login');
      const current = await progress.find(uid);
      // Never a way round a second factor the account has: enrolling here is only for accounts
      // with none, at the enrolment step, after a first factor given in this interaction.
      if (current?.step !== 'enrol' || !current.fresh || await deps.authenticators.hasSecondFactor(current.accountId)) return undefined;
      return current.accountId;
    },

    async enrolled(http, uid, accountId, amr) {
      const interaction = await details(http, uid, 'login');
      const current = await progress.find(uid);
      // Bound to the account that enrolled: a first factor of another account posted in the
      // same interaction meanwhile replaces the progress, and must not inherit this enrolment.
      if (current?.step !== 'enrol' || current.accountId !== accountId || !(await deps.authenticators.hasSecondFactor(accountId))) throw new InteractionExpiredError();
      return advance(http, uid, interaction.params, accountId, combineMethods(current.amr, amr));
    },

    async currentAccountId({ req, res, secure }) {
      const session = await provider.Session.get({ req, res, secure } as never);
      return session.accountId;
    },

    async currentSession({ req, res, secure }) {
      const session = await provider.Session.get({ req, res, secure } as never);
      if (!session.accountId) return undefined;
      return { sessionId: session.uid, accountId: session.accountId, authTime: session.loginTs };
    },

    async grantConsent(http, uid, origin) {
      const interaction = await details(http, uid, 'consent');
      const { prompt, params, session } = interaction;
      if (!session) throw new InteractionExpiredError();
      const grant = interaction.grantId
        ? await provider.Grant.find(interaction.grantId)
        : new provider.Grant({ accountId: session.accountId, clientId: String(params.client_id) });
      if (!grant) throw new InteractionExpiredError();
      const { missingOIDCScope, missingOIDCClaims, missingResourceScopes } = prompt.details as ConsentDetails;
      if (missingOIDCScope) grant.addOIDCScope(missingOIDCScope.join(' '));
      if (missingOIDCClaims) grant.addOIDCClaims(missingOIDCClaims);
      for (const [resource, scopes] of Object.entries(missingResourceScopes ?? {})) grant.addResourceScope(resource, scopes.join(' '));
      const grantId = await grant.save();
      await audit.record('consent', 'success', origin, { accountId: session.accountId, clientId: String(params.client_id), details: { scopes: missingOIDCScope } });
      return finish(http, { consent: interaction.grantId ? {} : { grantId } }, true);
    },

    async deny(http, uid, origin) {
      const interaction = await details(http, uid);
      await audit.record('consent', 'denied', origin, { accountId: interaction.session?.accountId, clientId: String(interaction.params.client_id) });
      return finish(http, { error: 'access_denied', error_description: 'The user denied the request.' }, false);
    },
  };
}
