import { randomToken } from '../../lib/ids.ts';
import type { UpstreamConfig } from '../../config/schema.ts';
import type { AccountStore, FederatedIdentityStore } from '../../stores/types.ts';
import type { AuditTrail, RequestOrigin } from '../audit.service.ts';
import type { PendingLink, PendingSignIns } from '../pending-sign-ins.service.ts';
import { FederationError, type UpstreamClient, type UpstreamProfile, type UpstreamRequest } from './upstream-clients.ts';

export type { UpstreamRequest } from './upstream-clients.ts';
export type { PendingLink } from '../pending-sign-ins.service.ts';
export { FederationError } from './upstream-clients.ts';

export type RefusalReason = 'registration_closed' | 'unverified_email' | 'no_email' | 'account_disabled';

/** What an upstream answer led to; the identity decision itself is kept server-side by interaction. */
export type FederatedOutcome =
  /** Signed in: finish the login of this interaction with finishSignIn. */
  | { outcome: 'signed_in' }
  /** An account has this (upstream-verified) email: prove it is yours once with its password. */
  | { outcome: 'confirm_with_password' }
  | { outcome: 'refused'; reason: RefusalReason };

export interface FederationService {
  readonly upstreams: readonly UpstreamConfig[];
  /** Starts a sign-in at `upstream`: the URL to send the browser to, and what the callback must check. */
  begin(upstream: string, redirectUri: string, origin: RequestOrigin): Promise<{ url: URL; request: UpstreamRequest }>;
  /** Validates the upstream's answer and decides, for interaction `uid`, which account signs in. */
  complete(uid: string, upstream: string, callback: URL, request: UpstreamRequest, origin: RequestOrigin): Promise<FederatedOutcome>;
  /**
   * What the upstream sign-in of interaction `uid` resolved to (single use), for the browser that
   * holds the interaction: the account to sign in, or a link now waiting for the password.
   */
  takeResult(uid: string): Promise<{ outcome: 'signed_in'; accountId: string } | { outcome: 'confirm_with_password' } | undefined>;
  /** The link waiting for a password sign-in in interaction `uid`. */
  pendingLink(uid: string): Promise<PendingLink | undefined>;
  /** Links the identity waiting in interaction `uid`, now that `accountId` signed in with its password. */
  confirmPendingLink(uid: string, accountId: string, origin: RequestOrigin): Promise<boolean>;
  /** Removes every link of an account whose email was just proven by mail (see README, pre-takeover). */
  removeUnprovenLinks(accountId: string, origin: RequestOrigin): Promise<string[]>;
  linkedIdentities(accountId: string): Promise<{ upstream: string; name: string; subject: string; email: string | undefined }[]>;
  /** Removes a link, unless it is the account's last way to sign in. */
  unlink(accountId: string, upstream: string, subject: string, origin: RequestOrigin): Promise<'removed' | 'last_way_in' | 'not_found'>;
}

export function createFederationService(deps: {
  clients: Map<string, UpstreamClient>;
  accounts: AccountStore;
  identities: FederatedIdentityStore;
  audit: AuditTrail;
  pending: PendingSignIns;
  registrationEnabled: boolean;
  requireVerifiedEmail: boolean;
  refreshProfile: boolean;
}): FederationService {
  const { clients, accounts, identities, audit, pending } = deps;
  const refuse = async (reason: RefusalReason, origin: RequestOrigin, upstream: string, accountId?: string): Promise<FederatedOutcome> => {
    await audit.record('federated_sign_in', 'denied', origin, { accountId, details: { upstream, reason } });
    return { outcome: 'refused', reason };
  };
  const clientFor = (upstream: string) => {
    const client = clients.get(upstream);
    if (!client) throw new FederationError('upstream_unavailable', `no upstream "${upstream}"`);
    return client;
  };

  const signInLinked = async (uid: string, upstream: string, profile: UpstreamProfile, accountId: string, origin: RequestOrigin): Promise<FederatedOutcome> => {
    const account = await accounts.findById(accountId);
    if (!account || account.disabled) return refuse('account_disabled', origin, upstream, accountId);
    const vouched = profile.emailVerified && profile.email === account.emailNormalized;
    if (deps.refreshProfile) await accounts.updateProfile(accountId, { name: profile.name, picture: profile.picture, ...(vouched ? { emailVerified: true } : {}) });
    // The same verified-email rule as a password sign-in (REQUIRE_VERIFIED_EMAIL).
    if (deps.requireVerifiedEmail && !account.emailVerified && !(vouched && deps.refreshProfile)) return refuse('unverified_email', origin, upstream, accountId);
    await identities.touch(upstream, profile.subject);
    await accounts.recordSignIn(accountId);
    await audit.record('federated_sign_in', 'success', origin, { accountId, details: { upstream } });
    await pending.saveFederated(uid, { kind: 'signed_in', accountId, upstream, subject: profile.subject, email: account.email });
    return { outcome: 'signed_in' };
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

    async complete(uid, upstream, callback, request, origin) {
      let profile: UpstreamProfile;
      try {
        profile = await clientFor(upstream).profile(callback, request);
      } catch (error) {
        const failure = error instanceof FederationError ? error : new FederationError('upstream_unavailable', String(error));
        await audit.record('federated_sign_in', 'failure', origin, { details: { upstream, reason: failure.code, message: failure.message.slice(0, 200) } });
        throw failure;
      }
      const linked = await identities.find(upstream, profile.subject);
      if (linked) return signInLinked(uid, upstream, profile, linked.accountId, origin);
      if (!profile.email) return refuse('no_email', origin, upstream);
      const existing = await accounts.findByEmail(profile.email);
      if (existing) {
        // Never link on an email the upstream does not vouch for; and even then, only once the
        // person proves they own the account (no takeover by whoever controls the upstream).
        // Refused like an unverified address without an account, so the answer does not tell.
        if (!profile.emailVerified) return refuse('unverified_email', origin, upstream, existing.id);
        await pending.saveFederated(uid, { kind: 'link', upstream, subject: profile.subject, email: existing.email, accountId: existing.id });
        return { outcome: 'confirm_with_password' };
      }
      // An address the upstream does not vouch for makes no account where verified emails are
      // required: it would sit on someone else's address until they arrive (pre-takeover). Checked
      // before "registration closed", so that an unverified address gets one answer either way.
      if (!profile.emailVerified && (deps.requireVerifiedEmail || !deps.registrationEnabled)) return refuse('unverified_email', origin, upstream);
      if (!deps.registrationEnabled) return refuse('registration_closed', origin, upstream);
      const created = await accounts.create({ email: profile.email, emailVerified: profile.emailVerified, name: profile.name, picture: profile.picture, passwordHash: undefined, roles: [] });
      if (!created) return this.complete(uid, upstream, callback, request, origin); // lost a race for the email: resolve again
      await identities.link({ upstream, subject: profile.subject, accountId: created.id, email: profile.email });
      await audit.record('registration', 'success', origin, { accountId: created.id, details: { upstream } });
      return signInLinked(uid, upstream, profile, created.id, origin);
    },

    async takeResult(uid) {
      const result = await pending.takeFederated(uid);
      if (!result) return undefined;
      if (result.kind === 'link') {
        // Offered on the sign-in page of this interaction only now that the browser holding it
        // came back from the upstream: a forged UI cookie cannot aim it at someone else's.
        const { kind: _kind, ...link } = result;
        await pending.saveLink(uid, link);
        return { outcome: 'confirm_with_password' };
      }
      // The link may have gone since (the owner proved the address, or removed it): check again.
      const link = await identities.find(result.upstream, result.subject);
      return link && link.accountId === result.accountId ? { outcome: 'signed_in', accountId: link.accountId } : undefined;
    },
    // Without an upstream there can be no link: password sign-ins then spend no store read here.
    pendingLink: async (uid) => (clients.size > 0 ? pending.findLink(uid) : undefined),

    async confirmPendingLink(uid, accountId, origin) {
      const link = await this.pendingLink(uid);
      if (!link || link.accountId !== accountId) return false;
      await pending.dropLink(uid);
      const linked = await identities.link({ upstream: link.upstream, subject: link.subject, accountId, email: link.email });
      await audit.record('federation_link', linked ? 'success' : 'failure', origin, { accountId, details: { upstream: link.upstream } });
      return linked;
    },

    async removeUnprovenLinks(accountId, origin) {
      const removed: string[] = [];
      for (const identity of await identities.listForAccount(accountId)) {
        if (await identities.unlink(accountId, identity.upstream, identity.subject)) removed.push(identity.upstream);
      }
      if (removed.length > 0) await audit.record('federation_unlink', 'success', origin, { accountId, details: { upstreams: removed, reason: 'email proven by mail; links made before did not prove it' } });
      return removed;
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
