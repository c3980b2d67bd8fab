import type { OperatorContext } from '../operator-context.ts';
import { roleName } from '../services/admin/accounts-admin.service.ts';
import { passwordProblem } from '../services/password-policy.ts';
import { emailSchema } from '../services/registration.service.ts';
import { allowOnly, CommandError, flag, option, requireOption, UsageError, type ParsedArgs } from './args.ts';
import { cliCall } from './cli-call.ts';
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
                          the role "admin" opens the admin console and admin API
  revoke-sessions <id|email>
                          end every session, grant and refresh token of the account
  reset-mfa <id|email>    remove every passkey, authenticator app and recovery code of the
                          account (someone who lost them all) and end its sessions; audited,
                          and the owner is mailed

Every command takes --json for scripts.`;

const parseRoles = (value: string) => {
  const roles = value.split(',').map((role) => role.trim()).filter(Boolean);
  if (roles.some((role) => !roleName.safeParse(role).success)) throw new UsageError('roles are 1-64 characters of letters, digits and _ : . -');
  return [...new Set(roles)];
};

export async function usersCommand(ctx: OperatorContext, args: ParsedArgs, io: CliIo): Promise<number> {
  const [, command, who] = args.positionals;
  const json = flag(args, 'json');
  const accounts = ctx.admin.accounts;
  const call = cliCall();
  const target = (): string => {
    if (!who) throw new UsageError(`keyward users ${command} <id|email>`);
    return who;
  };
  /** A password from standard input, checked here so the message names the CLI's input. */
  const givenPassword = async (): Promise<string | undefined> => {
    if (!flag(args, 'password-stdin')) return undefined;
    const password = (await io.readStdin()).replace(/\r?\n$/, '');
    const problem = passwordProblem(password);
    if (problem) throw new CommandError(problem);
    return password;
  };

  switch (command) {
    case 'add': {
      allowOnly(args, ['email', 'name', 'roles', 'unverified', 'password-stdin']);
      const email = requireOption(args, 'email');
      if (!emailSchema.safeParse(email).success) throw new CommandError('--email is not a valid email address');
      const password = await givenPassword();
      const created = await accounts.create(call, {
        email, name: option(args, 'name'), roles: parseRoles(option(args, 'roles') ?? ''), email_verified: !flag(args, 'unverified'),
        ...(password !== undefined ? { password } : {}),
      });
      report(io, json, { ...created.account, ...(created.password ? { password: created.password } : {}) }, [
        `Account ${created.account.id} created for ${created.account.email}.`,
        ...(created.password ? ['Its password, shown only now:', created.password] : []),
      ].join('\n'));
      return 0;
    }
    case 'list': {
      allowOnly(args, ['limit', 'offset']);
      const limit = Number(option(args, 'limit') ?? 100);
      const offset = Number(option(args, 'offset') ?? 0);
      if (!Number.isInteger(limit) || limit < 1 || limit > 10_000 || !Number.isInteger(offset) || offset < 0) throw new UsageError('--limit is 1-10000, --offset 0 or more');
      const rows = await accounts.listByAge({ limit, offset });
      report(io, json, rows, table(rows, ['id', 'email', 'email_verified', 'roles', 'disabled', 'last_sign_in_at']));
      return 0;
    }
    case 'show': {
      const account = await accounts.show(target());
      report(io, json, account, JSON.stringify(account, null, 2));
      return 0;
    }
    case 'disable':
    case 'enable': {
      const { account, revoked } = await accounts.setDisabled(call, target(), command === 'disable');
      report(io, json, { id: account.id, disabled: account.disabled, revoked }, command === 'disable'
        ? `Account ${account.email} disabled; ${revoked} sessions, grants and tokens ended.`
        : `Account ${account.email} enabled.`);
      return 0;
    }
    case 'set-password': {
      allowOnly(args, ['password-stdin']);
      const id = target();
      const result = await accounts.setPassword(call, id, await givenPassword());
      report(io, json, { id: result.account.id, revoked: result.revoked, ...(result.password ? { password: result.password } : {}) }, [
        `Password of ${result.account.email} changed; ${result.revoked} sessions, grants and tokens ended.`,
        ...(result.password ? ['The new password, shown only now:', result.password] : []),
      ].join('\n'));
      return 0;
    }
    case 'set-roles': {
      allowOnly(args, ['roles']);
      const id = target();
      const { account } = await accounts.setRoles(call, id, parseRoles(requireOption(args, 'roles')));
      report(io, json, { id: account.id, roles: account.roles }, `Roles of ${account.email}: ${account.roles.join(', ') || '(none)'}.`);
      return 0;
    }
    case 'revoke-sessions': {
      const id = target();
      const account = await accounts.show(id);
      const { revoked } = await accounts.revokeSessions(call, id);
      report(io, json, { id: account.id, revoked }, `${revoked} sessions, grants and tokens of ${account.email} ended.`);
      return 0;
    }
    case 'reset-mfa': {
      const id = target();
      const account = await accounts.show(id);
      const { removed, revoked } = await accounts.resetMfa(call, id);
      report(io, json, { id: account.id, removed, revoked }, `${removed} passkeys and authenticator apps of ${account.email} removed, with its recovery codes; ${revoked} sessions, grants and tokens ended; the owner was mailed.`);
      return 0;
    }
    default:
      throw new UsageError(command ? `unknown command "users ${command}"` : 'keyward users <command>');
  }
}
