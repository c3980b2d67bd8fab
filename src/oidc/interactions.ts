import type { IncomingMessage, ServerResponse } from 'node:http';
import { errors, type InteractionResults, type Provider } from 'oidc-provider';
import { InteractionExpiredError } from '../errors/app-error.ts';
import type { AccountService } from '../services/accounts.service.ts';
import type { ApiRegistry } from '../services/apis.service.ts';
import type { AuditTrail, RequestOrigin } from '../services/audit.service.ts';
import type { SignInService } from '../services/sign-in.service.ts';

/** What a login or consent page needs to know about the pending authorization request. */
export interface PendingInteraction {
  uid: string;
  prompt: 'login' | 'consent';
  client: { id: string; name: string; logoUri: string | undefined };
  /** OpenID scopes the end user is asked to grant (consent prompt). */
  requestedScopes: string[];
  /** API scopes asked for, with the API's own description of each. */
  apiScopes: { api: string; scope: string; description: string }[];
  /** What the client will learn about the account, for the consent page. */
  account: { email: string; name: string | undefined } | undefined;
  loginHint: string | undefined;
}

interface HttpPair {
  req: IncomingMessage;
  res: ServerResponse;
}

export type SignInOutcome =
  | { outcome: 'continue'; url: string; accountId: string }
  | { outcome: 'invalid' | 'unverified' }
  | { outcome: 'throttled'; retryAfterSeconds: number };

export interface InteractionService {
  /** Throws InteractionExpiredError when the interaction is unknown, expired or from another browser. */
  load(http: HttpPair, uid: string): Promise<PendingInteraction>;
  signIn(http: HttpPair, uid: string, credentials: { email: string; password: string }, origin: RequestOrigin): Promise<SignInOutcome>;
  /** Ends the login prompt for an account signed in some other way (an upstream); returns the URL to continue at. */
  finishLogin(http: HttpPair, uid: string, accountId: string, amr: string[]): Promise<string>;
  /** The account signed in in this browser (oidc-provider's session cookie), if any. */
  currentAccountId(http: HttpPair & { secure: boolean }): Promise<string | undefined>;
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
export function createInteractionService(deps: { provider: Provider; accounts: AccountService; signIn: SignInService; apis: ApiRegistry; audit: AuditTrail }): InteractionService {
  const { provider, apis, audit } = deps;
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
        client: { id: client.clientId, name: client.clientName ?? client.clientId, logoUri: client.logoUri },
        requestedScopes: missingOIDCScope.map(String),
        apiScopes: Object.entries(missingResourceScopes).flatMap(([api, scopes]) =>
          scopes.map((scope) => ({ api: apis.find(api)?.name ?? api, scope, description: apis.find(api)?.scopes[scope] ?? scope }))),
        account: account ? { email: account.email, name: account.name } : undefined,
        loginHint: typeof interaction.params.login_hint === 'string' ? interaction.params.login_hint : undefined,
      };
    },

    async signIn(http, uid, credentials, origin) {
      const interaction = await details(http, uid, 'login');
      const result = await deps.signIn.signIn(credentials, origin, String(interaction.params.client_id));
      if (result.outcome !== 'signed_in') return result;
      const url = await finish(http, { login: { accountId: result.account.id, amr: ['pwd'] } }, false);
      return { outcome: 'continue', url, accountId: result.account.id };
    },

    async finishLogin(http, uid, accountId, amr) {
      await details(http, uid, 'login');
      return finish(http, { login: { accountId, amr } }, false);
    },

    async currentAccountId({ req, res, secure }) {
      const session = await provider.Session.get({ req, res, secure } as never);
      return session.accountId;
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
