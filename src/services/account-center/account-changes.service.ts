import { displayText } from '../../lib/display-text.ts';
import type { AccountRecord, AccountStore, AuditStore, AuthenticatorStore, FederatedIdentityStore, OidcRecordStore, RecoveryCodeStore } from '../../stores/types.ts';
import type { AccountMail } from '../account-mail.service.ts';
import type { AccountService } from '../accounts.service.ts';
import type { AuditTrail, RequestOrigin } from '../audit.service.ts';
import type { PasswordHasher } from '../passwords.service.ts';
import type { Message } from '../../lib/i18n.ts';
import { passwordProblemMessage as passwordProblem } from '../password-policy.ts';
import type { Throttle } from '../throttle.service.ts';
import type { ConnectedApps } from './connected-apps.service.ts';
import type { Devices } from './devices.service.ts';
import { eraseAccount } from '../admin/account-erasure.ts';

const NAME_MAX = 100;
const PICTURE = /^https:\/\/[^\s"'<>]{1,500}$/;
const EXPORTED_AUDIT_EVENTS = 1000;

export type PasswordChange = { outcome: 'changed'; signedOut: number } | { outcome: 'wrong_password' } | { outcome: 'invalid'; problem: Message } | { outcome: 'throttled'; retryAfterSeconds: number };

/** What the owner changes in the account center: profile, password, the account itself; and their data. */
export function createAccountChanges(deps: {
  accounts: AccountStore;
  accountService: Pick<AccountService, 'authenticate'>;
  passwords: Pick<PasswordHasher, 'hash'>;
  records: OidcRecordStore;
  authenticators: AuthenticatorStore;
  recoveryCodes: RecoveryCodeStore;
  identities: FederatedIdentityStore;
  auditStore: AuditStore;
  devices: Devices;
  apps: ConnectedApps;
  throttle: Throttle;
  audit: AuditTrail;
  mail: Pick<AccountMail, 'securityChanged'>;
}) {
  const { accounts, audit, mail } = deps;
  return {
    /** Name and picture; undefined when valid, else the problem by field. */
    async updateProfile(account: AccountRecord, profile: { name: string; picture: string }, origin: RequestOrigin): Promise<Record<string, Message> | undefined> {
      const name = displayText(profile.name);
      const picture = profile.picture.trim();
      const problems: Record<string, Message> = {};
      if (name.length > NAME_MAX) problems.name = { key: 'validation.tooLong', params: { count: NAME_MAX } };
      if (picture && !PICTURE.test(picture)) problems.picture = 'validation.picture';
      if (Object.keys(problems).length > 0) return problems;
      await accounts.updateProfile(account.id, { name: name || undefined, picture: picture || undefined });
      await audit.record('profile_change', 'success', origin, { accountId: account.id });
      return undefined;
    },

    /** Needs the current password; ends the other sessions when asked to; the owner is mailed. */
    async changePassword(account: AccountRecord, input: { current: string; next: string; endOtherSessions: boolean; currentSessionId: string }, origin: RequestOrigin): Promise<PasswordChange> {
      const reservation = await deps.throttle.reserveStep('reauthenticate', account.id, origin.ip);
      if (reservation.blocked) return { outcome: 'throttled', retryAfterSeconds: reservation.blocked.retryAfterSeconds };
      if (account.passwordHash && (await deps.accountService.authenticate(account.email, input.current))?.id !== account.id) {
        await audit.record('password_change', 'failure', origin, { accountId: account.id, details: { by: 'account center' } });
        return { outcome: 'wrong_password' };
      }
      const problem = passwordProblem(input.next, { email: account.email });
      if (problem) return { outcome: 'invalid', problem };
      await deps.throttle.recordStepSuccess('reauthenticate', account.id, origin.ip);
      await accounts.setPasswordHash(account.id, await deps.passwords.hash(input.next));
      const signedOut = input.endOtherSessions ? await deps.devices.signOutOthers(account.id, input.currentSessionId) : 0;
      await audit.record('password_change', 'success', origin, { accountId: account.id, details: { by: 'account center', signedOut } });
      const what = account.passwordHash ? 'Changed' : 'Set';
      await mail.securityChanged(account.email, { key: `mail.change.password${what}${signedOut === 0 ? '' : signedOut === 1 ? 'SignedOutOne' : 'SignedOutMany'}`, params: { count: signedOut } }, origin.locale);
      return { outcome: 'changed', signedOut };
    },

    /** Ends everything and removes the account; audited (the audit keeps the account id, not the data). */
    async deleteAccount(account: AccountRecord, origin: RequestOrigin): Promise<void> {
      await eraseAccount(deps, account.id);
      await audit.record('account_deleted', 'success', origin, { accountId: account.id, details: { by: 'owner' } });
      await mail.securityChanged(account.email, { key: 'mail.change.accountDeleted' }, origin.locale);
    },

    /** Everything Keyward holds about the person, secrets excepted (GDPR Art. 15 and 20). */
    async exportData(account: AccountRecord, currentSessionId: string | undefined) {
      const [sessions, apps, identities, factors, events] = await Promise.all([
        deps.devices.list(account.id, currentSessionId), deps.apps.list(account.id), deps.identities.listForAccount(account.id),
        deps.authenticators.listForAccount(account.id), deps.auditStore.list({ accountId: account.id, limit: EXPORTED_AUDIT_EVENTS }),
      ]);
      const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
      return {
        exportedAt: new Date().toISOString(),
        profile: { id: account.id, email: account.email, emailVerified: account.emailVerified, name: account.name ?? null, picture: account.picture ?? null, roles: account.roles, createdAt: iso(account.createdAt), lastSignInAt: iso(account.lastSignInAt), hasPassword: Boolean(account.passwordHash) },
        sessions: sessions.map((s) => ({ browser: s.browser, ip: s.ip, signedInAt: iso(s.signedInAt), lastSeenAt: iso(s.lastSeenAt), current: s.current })),
        connectedApps: apps.map((a) => ({ clientId: a.clientId, scopes: a.scopes, apiScopes: a.apiScopes, grantedAt: iso(a.grantedAt), lastUsedAt: iso(a.lastUsedAt) })),
        linkedProviders: identities.map((i) => ({ provider: i.upstream, subject: i.subject, email: i.email ?? null, linkedAt: iso(i.createdAt), lastUsedAt: iso(i.lastUsedAt) })),
        secondFactors: factors.filter((f) => f.confirmed).map((f) => ({ kind: f.kind, name: f.name, addedAt: iso(f.createdAt), lastUsedAt: iso(f.lastUsedAt) })),
        auditEvents: events.map((e) => ({ at: iso(e.at), event: e.event, outcome: e.outcome, clientId: e.clientId ?? null, ip: e.ip ?? null, userAgent: e.userAgent ?? null })),
      };
    },
  };
}

export type AccountChanges = ReturnType<typeof createAccountChanges>;
