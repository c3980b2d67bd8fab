import { z } from 'zod';
import { randomToken } from '../../lib/ids.ts';
import type { AccountRecord, AccountStore, AuthenticatorStore, FederatedIdentityStore, OidcRecordStore, RecoveryCodeStore } from '../../stores/types.ts';
import type { AccountMail } from '../account-mail.service.ts';
import { revokeEverythingFor } from '../account-sessions.service.ts';
import type { AuditTrail } from '../audit.service.ts';
import { emailSchema } from '../email-address.ts';
import { resetSecondFactors } from '../mfa/authenticators.service.ts';
import { passwordProblem } from '../password-policy.ts';
import type { PasswordHasher } from '../passwords.service.ts';
import { ADMIN_ROLE, AdminError, auditAdminAction, describeActor, etagOf, parseOrThrow, type AdminCall } from './admin-context.ts';
import { eraseAccount } from './account-erasure.ts';

/** The most accounts one page may hold: bounded pages keep every list request cheap. */
export const MAX_PAGE_SIZE = 200;

export const roleName = z.string().regex(/^[\w:.-]{1,64}$/, 'a role is 1-64 characters of letters, digits and _ : . -');
const roles = z.array(roleName).max(50).transform((list) => [...new Set(list)]);

export const accountCreateSchema = z.strictObject({
  email: emailSchema,
  name: z.string().trim().min(1).max(100).optional(),
  roles: roles.default([]),
  email_verified: z.boolean().default(true),
  /** Set by the caller (CLI stdin); generated and returned once when absent. */
  password: z.string().optional(),
});

export const accountUpdateSchema = z.strictObject({
  name: z.string().trim().min(1).max(100).nullable().optional(),
  roles: roles.optional(),
  disabled: z.boolean().optional(),
  email_verified: z.boolean().optional(),
});

export const accountView = (a: AccountRecord) => ({
  id: a.id, email: a.email, email_verified: a.emailVerified, name: a.name ?? null, roles: a.roles, disabled: a.disabled,
  has_password: Boolean(a.passwordHash), created_at: a.createdAt, updated_at: a.updatedAt, last_sign_in_at: a.lastSignInAt ?? null, revision: a.revision,
});
export type AccountView = ReturnType<typeof accountView>;

/** A page cursor over the email index: the last normalised email shown, opaque to clients. */
const encodeCursor = (emailNormalized: string) => Buffer.from(emailNormalized, 'utf8').toString('base64url');
function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  if (!/^[A-Za-z0-9_-]{1,1400}$/.test(cursor)) throw new AdminError('invalid_request', 'cursor is not one this API gave');
  return Buffer.from(cursor, 'base64url').toString('utf8');
}

export interface AccountsAdminDeps {
  accounts: AccountStore;
  records: OidcRecordStore;
  authenticators: AuthenticatorStore;
  recoveryCodes: RecoveryCodeStore;
  identities: FederatedIdentityStore;
  passwords: Pick<PasswordHasher, 'hash'>;
  audit: AuditTrail;
  mail: Pick<AccountMail, 'securityChanged'>;
}

/** Account administration: the one implementation the CLI, the REST API and the console call. */
export function createAccountsAdmin(deps: AccountsAdminDeps) {
  const { accounts, audit } = deps;
  const load = async (idOrEmail: string): Promise<AccountRecord> => {
    const account = idOrEmail.includes('@') ? await accounts.findByEmail(idOrEmail) : await accounts.findById(idOrEmail);
    if (!account) throw new AdminError('not_found', `no account "${idOrEmail}"`);
    return account;
  };
  const reload = async (id: string) => accountView(await load(id));
  /**
   * Refuses to take away the last enabled administrator (role removed, disabled or deleted): one
   * request — a slip or a stolen token — would otherwise lock every person out of the console and API.
   * The CLI is exempt: its operator holds the store itself, and is how administrators are made.
   */
  const keepAnAdmin = async (call: AdminCall, account: AccountRecord, after: { roles?: string[] | undefined; disabled?: boolean | undefined; deleted?: boolean }) => {
    if (call.actor.kind === 'cli') return;
    const isAdmin = (roles: readonly string[], disabled: boolean) => roles.includes(ADMIN_ROLE) && !disabled;
    if (!isAdmin(account.roles, account.disabled)) return;
    if (!after.deleted && isAdmin(after.roles ?? account.roles, after.disabled ?? account.disabled)) return;
    const others = await accounts.countEnabledWithRole(ADMIN_ROLE, account.id);
    if (others === 0) throw new AdminError('refused', `${account.email} is the last enabled administrator: make someone else an administrator first`);
  };
  /** Applies a change at the revision the caller saw (If-Match); without one, at the current revision. */
  const change = async (call: AdminCall, idOrEmail: string, changes: z.output<typeof accountUpdateSchema>, expectedRevision: number | undefined, action: string) => {
    const account = await load(idOrEmail);
    await keepAnAdmin(call, account, { roles: changes.roles, disabled: changes.disabled });
    const outcome = await accounts.updateIf(account.id, expectedRevision ?? account.revision, {
      ...(changes.name !== undefined ? { name: changes.name } : {}),
      ...(changes.roles ? { roles: changes.roles } : {}),
      ...(changes.disabled !== undefined ? { disabled: changes.disabled } : {}),
      ...(changes.email_verified !== undefined ? { emailVerified: changes.email_verified } : {}),
    });
    if (outcome === 'missing') throw new AdminError('not_found', `no account "${idOrEmail}"`);
    if (outcome === 'conflict') throw new AdminError('precondition_failed', `account ${account.id} changed since revision ${expectedRevision}: read it again (its ETag is now ${etagOf((await load(account.id)).revision)})`);
    // A disabled account keeps nothing: every session, grant and refresh token ends with it.
    const revoked = changes.disabled === true ? await revokeEverythingFor(deps.records, account.id) : 0;
    await auditAdminAction(audit, call, action, { accountId: account.id, details: { changed: Object.keys(changes), ...(revoked ? { revoked } : {}) } });
    return { account: await reload(account.id), revoked };
  };

  return {
    async list(query: { emailPrefix?: string | undefined; cursor?: string | undefined; limit: number }) {
      const limit = Math.min(Math.max(1, Math.floor(query.limit)), MAX_PAGE_SIZE);
      const rows = await accounts.search({ emailPrefix: query.emailPrefix, after: decodeCursor(query.cursor), limit: limit + 1 });
      const page = rows.slice(0, limit);
      return { items: page.map(accountView), next_cursor: rows.length > limit ? encodeCursor(page.at(-1)!.emailNormalized) : null };
    },
    /** Oldest first, by offset (the CLI's listing; the API pages by email cursor). */
    listByAge: async (page: { limit: number; offset: number }) => (await accounts.list(page)).map(accountView),
    show: async (idOrEmail: string) => accountView(await load(idOrEmail)),
    count: () => accounts.count(),

    /** Creates an account; returns the generated password once when none was given. */
    async create(call: AdminCall, input: z.input<typeof accountCreateSchema>) {
      const parsed = parseOrThrow(accountCreateSchema, input);
      const password = parsed.password ?? randomToken(18);
      const problem = parsed.password === undefined ? undefined : passwordProblem(password, { email: parsed.email });
      if (problem) throw new AdminError('invalid_request', problem, [`password: ${problem}`]);
      const created = await accounts.create({ email: parsed.email, name: parsed.name, roles: parsed.roles, emailVerified: parsed.email_verified, passwordHash: await deps.passwords.hash(password) });
      if (!created) throw new AdminError('conflict', `an account with the email ${parsed.email} exists already`);
      await audit.record('registration', 'success', call.origin, { accountId: created.id, details: { by: call.actor.kind === 'cli' ? 'cli' : 'admin', actor: describeActor(call.actor) } });
      await auditAdminAction(audit, call, 'users.create', { accountId: created.id });
      return { account: accountView(created), ...(parsed.password === undefined ? { password } : {}) };
    },

    update: (call: AdminCall, idOrEmail: string, input: unknown, expectedRevision?: number) =>
      change(call, idOrEmail, parseOrThrow(accountUpdateSchema, input), expectedRevision, 'users.update'),
    setDisabled: (call: AdminCall, idOrEmail: string, disabled: boolean, expectedRevision?: number) =>
      change(call, idOrEmail, { disabled }, expectedRevision, disabled ? 'users.disable' : 'users.enable'),
    setRoles: (call: AdminCall, idOrEmail: string, newRoles: string[], expectedRevision?: number) =>
      change(call, idOrEmail, { roles: parseOrThrow(roles, newRoles) }, expectedRevision, 'users.set_roles'),

    /** A new password (generated unless given) and every session ended; returns the generated one once. */
    async setPassword(call: AdminCall, idOrEmail: string, given: string | undefined) {
      const account = await load(idOrEmail);
      const problem = given === undefined ? undefined : passwordProblem(given, { email: account.email });
      if (problem) throw new AdminError('invalid_request', problem, [`password: ${problem}`]);
      const password = given ?? randomToken(18);
      await accounts.setPasswordHash(account.id, await deps.passwords.hash(password));
      const revoked = await revokeEverythingFor(deps.records, account.id);
      await audit.record('password_change', 'success', call.origin, { accountId: account.id, details: { by: call.actor.kind === 'cli' ? 'cli' : 'admin', actor: describeActor(call.actor), revokedRecords: revoked } });
      await auditAdminAction(audit, call, 'users.set_password', { accountId: account.id, details: { revoked } });
      return { account: accountView(account), revoked, ...(given === undefined ? { password } : {}) };
    },

    async revokeSessions(call: AdminCall, idOrEmail: string) {
      const account = await load(idOrEmail);
      const revoked = await revokeEverythingFor(deps.records, account.id);
      await auditAdminAction(audit, call, 'users.revoke_sessions', { accountId: account.id, details: { revoked } });
      return { id: account.id, revoked };
    },

    async resetMfa(call: AdminCall, idOrEmail: string) {
      const account = await load(idOrEmail);
      const removed = await resetSecondFactors(deps, account, call.origin, call.actor.kind === 'cli' ? 'cli' : 'admin');
      // Factors are reset because one was lost or stolen: the sessions they opened end too, or
      // whoever holds that signed-in browser would keep it (and its MFA-level sign-ins).
      const revoked = await revokeEverythingFor(deps.records, account.id);
      await auditAdminAction(audit, call, 'users.reset_mfa', { accountId: account.id, details: { removed, revoked } });
      return { id: account.id, removed, revoked };
    },

    /** Deletes the account and everything that signs it in; at `expectedRevision` when given. */
    async remove(call: AdminCall, idOrEmail: string, expectedRevision?: number) {
      const account = await load(idOrEmail);
      await keepAnAdmin(call, account, { deleted: true });
      // Claims the revision first (compare-and-set): of a delete and a change made at once from the same ETag, one wins.
      if ((await accounts.updateIf(account.id, expectedRevision ?? account.revision, {})) !== 'updated') throw new AdminError('precondition_failed', `account ${account.id} changed since revision ${expectedRevision ?? account.revision}`);
      await eraseAccount(deps, account.id);
      await auditAdminAction(audit, call, 'users.delete', { accountId: account.id, details: { email: account.email } });
      return { id: account.id, deleted: true };
    },
  };
}

export type AccountsAdmin = ReturnType<typeof createAccountsAdmin>;
