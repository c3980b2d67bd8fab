import { randomToken } from '../../lib/ids.ts';
import type { UpstreamConfig } from '../../config/schema.ts';
import type { AccountStore, FederatedIdentityStore } from '../../stores/types.ts';
import type { AuditTrail, RequestOrigin } from '../audit.service.ts';
import { FederationError, type UpstreamClient, type UpstreamProfile, type UpstreamRequest } from './upstream-clients.ts';

export type { UpstreamRequest } from './upstream-clients.ts';
export { FederationError } from './upstream-clients.ts';

/** A link the person must confirm by signing in with the password of the existing account. */
export interface PendingLink {
  upstream: string;
  subject: string;
  email: string;
  accountId: string;
}

export type FederatedOutcome =
  | { outcome: 'signed_in'; accountId: string }
  /** An account has this (upstream-verified) email: prove it is yours once with its password. */
  | { outcome: 'confirm_with_password'; pending: PendingLink }
  | { outcome: 'refused'; reason: 'registration_closed' | 'unverified_email_taken' | 'no_email' | 'account_disabled' };

export interface FederationService {
  readonly upstreams: readonly UpstreamConfig[];
  /** Starts a sign-in at `upstream`: the URL to send the browser to, and what the callback must check. */
  begin(upstream: string, redirectUri: string, origin: RequestOrigin): Promise<{ url: URL; request: UpstreamRequest }>;
  /** Validates the upstream's answer and decides which account signs in. */
  complete(upstream: string, callback: URL, request: UpstreamRequest, origin: RequestOrigin): Promise<FederatedOutcome>;
  /** Links a confirmed pending identity (after the password sign-in of `accountId`). */
  confirmLink(pending: PendingLink, accountId: string, origin: RequestOrigin): Promise<boolean>;
  linkedIdentities(accountId: string): Promise<{ upstream: string; name: string; subject: string; email: string | undefined }[]>;
  /** Removes a link, unless it is the account's last way to sign in. */
  unlink(accountId: string, upstream: string, subject: string, origin: RequestOrigin): Promise<'removed' | 'last_way_in' | 'not_found'>;
}

export function createFederationService(deps: {
  clients: Map<string, UpstreamClient>;
  accounts: AccountStore;
  identities: FederatedIdentityStore;
  audit: AuditTrail;
  registrationEnabled: boolean;
  refreshProfile: boolean;
}): FederationService {
  const { clients, accounts, identities, audit } = deps;
  const clientFor = (upstream: string) => {
    const client = clients.get(upstream);
    if (!client) throw new FederationError('upstream_unavailable', `no upstream "${upstream}"`);
    return client;
  };

  const signInLinked = async (upstream: string, profile: UpstreamProfile, accountId: string, origin: RequestOrigin): Promise<FederatedOutcome> => {
    const account = await accounts.findById(accountId);
    if (!account || account.disabled) {
      await audit.record('federated_sign_in', 'denied', origin, { accountId, details: { upstream, reason: 'account disabled' } });
      return { outcome: 'refused', reason: 'account_disabled' };
    }
    if (deps.refreshProfile) await accounts.updateProfile(accountId, { name: profile.name, picture: profile.picture, ...(profile.emailVerified && profile.email === account.emailNormalized ? { emailVerified: true } : {}) });
    await identities.touch(upstream, profile.subject);
    await accounts.recordSignIn(accountId);
    await audit.record('federated_sign_in', 'success', origin, { accountId, details: { upstream } });
    return { outcome: 'signed_in', accountId };
  };

  return {
    upstreams: [...clients.values()].map((client) => client.config),

    async begin(upstream, redirectUri, origin) {
      const request = { state: randomToken(32), nonce: randomToken(32), codeVerifier: randomToken(48), redirectUri };
      try {
        return { url: await clientFor(upstream).authorizationUrl(request), request };
      } catch (error) {
        await audit.record('federated_sign_in', 'failure', origin, { details: { upstream, reason: error instanceof FederationError ? error.code : 'upstream_unavailable' } });
        throw error;
      }
    },

    async complete(upstream, callback, request, origin) {
      let profile: UpstreamProfile;
      try {
        profile = await clientFor(upstream).profile(callback, request);
      } catch (error) {
        const failure = error instanceof FederationError ? error : new FederationError('upstream_unavailable', String(error));
        await audit.record('federated_sign_in', 'failure', origin, { details: { upstream, reason: failure.code, message: failure.message.slice(0, 200) } });
        throw failure;
      }
      const linked = await identities.find(upstream, profile.subject);
      if (linked) return signInLinked(upstream, profile, linked.accountId, origin);
      if (!profile.email) {
        await audit.record('federated_sign_in', 'denied', origin, { details: { upstream, reason: 'no verified email' } });
        return { outcome: 'refused', reason: 'no_email' };
      }
      const existing = await accounts.findByEmail(profile.email);
      if (existing) {
        // Never link on an email the upstream does not vouch for; and even then, only once the
        // person proves they own the account (no takeover by whoever controls the upstream).
        if (!profile.emailVerified) {
          await audit.record('federated_sign_in', 'denied', origin, { accountId: existing.id, details: { upstream, reason: 'unverified email matches an account' } });
          return { outcome: 'refused', reason: 'unverified_email_taken' };
        }
        return { outcome: 'confirm_with_password', pending: { upstream, subject: profile.subject, email: existing.email, accountId: existing.id } };
      }
      if (!deps.registrationEnabled) {
        await audit.record('federated_sign_in', 'denied', origin, { details: { upstream, reason: 'registration closed' } });
        return { outcome: 'refused', reason: 'registration_closed' };
      }
      const created = await accounts.create({ email: profile.email, emailVerified: profile.emailVerified, name: profile.name, picture: profile.picture, passwordHash: undefined, roles: [] });
      if (!created) return this.complete(upstream, callback, request, origin); // lost a race for the email: resolve again
      await identities.link({ upstream, subject: profile.subject, accountId: created.id, email: profile.email });
      await audit.record('registration', 'success', origin, { accountId: created.id, details: { upstream } });
      return signInLinked(upstream, profile, created.id, origin);
    },

    async confirmLink(pending, accountId, origin) {
      if (pending.accountId !== accountId) return false;
      const linked = await identities.link({ upstream: pending.upstream, subject: pending.subject, accountId, email: pending.email });
      await audit.record('federation_link', linked ? 'success' : 'failure', origin, { accountId, details: { upstream: pending.upstream } });
      return linked;
    },

    async linkedIdentities(accountId) {
      const names = new Map([...clients.values()].map((c) => [c.config.id, c.config.name]));
      return (await identities.listForAccount(accountId)).map((i) => ({ upstream: i.upstream, name: names.get(i.upstream) ?? i.upstream, subject: i.subject, email: i.email }));
    },

    async unlink(accountId, upstream, subject, origin) {
      const [account, linked] = await Promise.all([accounts.findById(accountId), identities.listForAccount(accountId)]);
      if (!account || !linked.some((i) => i.upstream === upstream && i.subject === subject)) return 'not_found';
      if (!account.passwordHash && linked.length <= 1) return 'last_way_in';
      await identities.unlink(accountId, upstream, subject);
      await audit.record('federation_unlink', 'success', origin, { accountId, details: { upstream } });
      return 'removed';
    },
  };
}
