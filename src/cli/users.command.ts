import type { OperatorContext } from '../container.ts';
import { randomToken } from '../lib/ids.ts';
import { revokeEverythingFor } from '../services/account-sessions.service.ts';
import { resetSecondFactors } from '../services/mfa/authenticators.service.ts';
import { passwordProblem } from '../services/password-policy.ts';
import { emailSchema } from '../services/registration.service.ts';
import type { AccountRecord } from '../stores/types.ts';
import { allowOnly, CommandError, flag, option, requireOption, UsageError, type ParsedArgs } from './args.ts';
import { report, table, type CliIo } from './io.ts';

export const USERS_HELP = `Usage: keyward users <command> [options]

Commands:
  add --email <email> [--name <name>] [--roles <a,b>] [--unverified] [--password-stdin]
                          create an account (a generated password is shown once unless
                          --password-stdin reads one); the email counts as verified unless --unverified
  list [--limit N] [--offset N]
  show <id|email>
  disable <id|email>      block sign-in and end every session, grant and refresh token
  enable <id|email>
  set-password <id|email> [--password-stdin]
                          set a new password (generated unless read from stdin) and end every session
  set-roles <id|email> --roles <a,b>
  revoke-sessions <id|email>
                          end every session, grant and refresh token of the account
  reset-mfa <id|email>    remove every passkey, authenticator app and recovery code of the
                          account (someone who lost them all); audited, and the owner is mailed

Every command takes --json for scripts.`;

const OPERATOR = { ip: 'cli', userAgent: 'keyward cli' };

const view = (a: AccountRecord) => ({
  id: a.id, email: a.email, email_verified: a.emailVerified, name: a.name, roles: a.roles, disabled: a.disabled,
  created_at: a.createdAt, updated_at: a.updatedAt, last_sign_in_at: a.lastSignInAt,
});

const parseRoles = (value: string) => {
  const roles = value.split(',').map((role) => role.trim()).filter(Boolean);
  if (roles.some((role) => !/^[\w:.-]{1,64}$/.test(role))) throw new UsageError('roles are 1-64 characters of letters, digits and _ : . -');
  return [...new Set(roles)];
};

export async function usersCommand(ctx: OperatorContext, args: ParsedArgs, io: CliIo): Promise<number> {
  const [, command, who] = args.positionals;
  const json = flag(args, 'json');
  const accounts = ctx.stores.accounts;
  const find = async (): Promise<AccountRecord | undefined> => {
    if (!who) throw new UsageError(`keyward users ${command} <id|email>`);
    const account = who.includes('@') ? await accounts.findByEmail(who) : await accounts.findById(who);
    if (!account) throw new CommandError(`no account "${who}"`);
    return account;
  };
  const newPassword = async (): Promise<{ password: string; generated: boolean }> => {
    if (!flag(args, 'password-stdin')) return { password: randomToken(18), generated: true };
    const password = (await io.readStdin()).replace(/\r?\n$/, '');
    const problem = passwordProblem(password);
    if (problem) throw new CommandError(problem);
    return { password, generated: false };
  };
  const revoke = async (account: AccountRecord) => revokeEverythingFor(ctx.stores.oidcRecords, account.id);

  switch (command) {
    case 'add': {
      allowOnly(args, ['email', 'name', 'roles', 'unverified', 'password-stdin']);
      const email = requireOption(args, 'email');
      if (!emailSchema.safeParse(email).success) throw new CommandError('--email is not a valid email address');
      const { password, generated } = await newPassword();
      const created = await accounts.create({
        email, name: option(args, 'name'), roles: parseRoles(option(args, 'roles') ?? ''),
        emailVerified: !flag(args, 'unverified'), passwordHash: await ctx.passwords.hash(password),
      });
      if (!created) throw new CommandError(`an account with the email ${email} exists already`);
      await ctx.audit.record('registration', 'success', OPERATOR, { accountId: created.id, details: { by: 'cli' } });
      report(io, json, { ...view(created), ...(generated ? { password } : {}) }, [
        `Account ${created.id} created for ${created.email}.`,
        ...(generated ? ['Its password, shown only now:', password] : []),
      ].join('\n'));
      return 0;
    }
    case 'list': {
      allowOnly(args, ['limit', 'offset']);
      const limit = Number(option(args, 'limit') ?? 100);
      const offset = Number(option(args, 'offset') ?? 0);
      if (!Number.isInteger(limit) || limit < 1 || limit > 10_000 || !Number.isInteger(offset) || offset < 0) throw new UsageError('--limit is 1-10000, --offset 0 or more');
      const rows = (await accounts.list({ limit, offset })).map(view);
      report(io, json, rows, table(rows, ['id', 'email', 'email_verified', 'roles', 'disabled', 'last_sign_in_at']));
      return 0;
    }
    case 'show': {
      const account = await find();
      if (!account) return 1;
      report(io, json, view(account), JSON.stringify(view(account), null, 2));
      return 0;
    }
    case 'disable':
    case 'enable': {
      const account = await find();
      if (!account) return 1;
      await accounts.setDisabled(account.id, command === 'disable');
      const revoked = command === 'disable' ? await revoke(account) : 0;
      report(io, json, { id: account.id, disabled: command === 'disable', revoked }, command === 'disable'
        ? `Account ${account.email} disabled; ${revoked} sessions, grants and tokens ended.`
        : `Account ${account.email} enabled.`);
      return 0;
    }
    case 'set-password': {
      allowOnly(args, ['password-stdin']);
      const account = await find();
      if (!account) return 1;
      const { password, generated } = await newPassword();
      await accounts.setPasswordHash(account.id, await ctx.passwords.hash(password));
      const revoked = await revoke(account);
      await ctx.audit.record('password_change', 'success', OPERATOR, { accountId: account.id, details: { by: 'cli', revokedRecords: revoked } });
      report(io, json, { id: account.id, revoked, ...(generated ? { password } : {}) }, [
        `Password of ${account.email} changed; ${revoked} sessions, grants and tokens ended.`,
        ...(generated ? ['The new password, shown only now:', password] : []),
      ].join('\n'));
      return 0;
    }
    case 'set-roles': {
      allowOnly(args, ['roles']);
      const account = await find();
      if (!account) return 1;
      const roles = parseRoles(requireOption(args, 'roles'));
      await accounts.setRoles(account.id, roles);
      report(io, json, { id: account.id, roles }, `Roles of ${account.email}: ${roles.join(', ') || '(none)'}.`);
      return 0;
    }
    case 'revoke-sessions': {
      const account = await find();
      if (!account) return 1;
      const revoked = await revoke(account);
      report(io, json, { id: account.id, revoked }, `${revoked} sessions, grants and tokens of ${account.email} ended.`);
      return 0;
    }
    case 'reset-mfa': {
      const account = await find();
      if (!account) return 1;
      const removed = await resetSecondFactors({ authenticators: ctx.stores.authenticators, recoveryCodes: ctx.stores.recoveryCodes, audit: ctx.audit, mail: ctx.accountMail }, account, OPERATOR, 'cli');
      report(io, json, { id: account.id, removed }, `${removed} passkeys and authenticator apps of ${account.email} removed, with its recovery codes; the owner was mailed.`);
      return 0;
    }
    default:
      throw new UsageError(command ? `unknown command "users ${command}"` : 'keyward users <command>');
  }
}
