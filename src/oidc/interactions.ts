import type { IncomingMessage, ServerResponse } from 'node:http';
import { errors, type InteractionResults, type Provider } from 'oidc-provider';
import { InteractionExpiredError } from '../errors/app-error.ts';
import type { AccountService } from '../services/accounts.service.ts';

/** What a login or consent page needs to know about the pending authorization request. */
export interface PendingInteraction {
  uid: string;
  prompt: 'login' | 'consent';
  client: { id: string; name: string; logoUri: string | undefined };
  /** OpenID scopes the end user is asked to grant (consent prompt). */
  requestedScopes: string[];
  loginHint: string | undefined;
}

interface HttpPair {
  req: IncomingMessage;
  res: ServerResponse;
}

export interface InteractionService {
  /** Throws InteractionExpiredError when the interaction is unknown, expired or from another browser. */
  load(http: HttpPair, uid: string): Promise<PendingInteraction>;
  /** Returns the URL to continue the authorization at, or undefined for wrong credentials. */
  signIn(http: HttpPair, uid: string, email: string, password: string): Promise<string | undefined>;
  /** Grants what the consent prompt asked for; returns the URL to continue at. */
  grantConsent(http: HttpPair, uid: string): Promise<string>;
  /** Ends the interaction with access_denied (RFC 6749 §4.1.2.1); returns the URL to continue at. */
  deny(http: HttpPair, uid: string): Promise<string>;
}

/** The only caller of provider.interaction* (DESIGN.md, Layout). */
export function createInteractionService(provider: Provider, accounts: AccountService): InteractionService {
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
      const missing = interaction.prompt.details.missingOIDCScope;
      return {
        uid: interaction.uid,
        prompt,
        client: { id: client.clientId, name: client.clientName ?? client.clientId, logoUri: client.logoUri },
        requestedScopes: Array.isArray(missing) ? missing.map(String) : [],
        loginHint: typeof interaction.params.login_hint === 'string' ? interaction.params.login_hint : undefined,
      };
    },

    async signIn(http, uid, email, password) {
      await details(http, uid, 'login');
      const account = await accounts.authenticate(email, password);
      if (!account) return undefined;
      return finish(http, { login: { accountId: account.id, amr: ['pwd'] } }, false);
    },

    async grantConsent(http, uid) {
      const interaction = await details(http, uid, 'consent');
      const { prompt, params, session } = interaction;
      if (!session) throw new InteractionExpiredError();
      const grant = interaction.grantId
        ? await provider.Grant.find(interaction.grantId)
        : new provider.Grant({ accountId: session.accountId, clientId: String(params.client_id) });
      if (!grant) throw new InteractionExpiredError();
      const { missingOIDCScope, missingOIDCClaims, missingResourceScopes } = prompt.details as {
        missingOIDCScope?: string[];
        missingOIDCClaims?: string[];
        missingResourceScopes?: Record<string, string[]>;
      };
      if (missingOIDCScope) grant.addOIDCScope(missingOIDCScope.join(' '));
      if (missingOIDCClaims) grant.addOIDCClaims(missingOIDCClaims);
      for (const [resource, scopes] of Object.entries(missingResourceScopes ?? {})) grant.addResourceScope(resource, scopes.join(' '));
      const grantId = await grant.save();
      return finish(http, { consent: interaction.grantId ? {} : { grantId } }, true);
    },

    async deny(http, uid) {
      await details(http, uid);
      return finish(http, { error: 'access_denied', error_description: 'The user denied the request.' }, false);
    },
  };
}
