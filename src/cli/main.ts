import { loadConfig, loadDotEnvFile } from '../config/load.ts';
import { describeDatabase } from '../config/schema.ts';
import { openStores } from '../container.ts';
import { openOperatorContext, type OperatorContext } from '../operator-context.ts';
import { AdminError } from '../services/admin/admin-context.ts';
import { StartupError } from '../errors/app-error.ts';
import { systemClock, type Clock } from '../lib/clock.ts';
import { runUntilSignalled } from '../main.ts';
import { APIS_HELP, apisCommand } from './apis.command.ts';
import { allowOnly, CommandError, flag, parseArgs, UsageError, type ParsedArgs } from './args.ts';
import { CLIENTS_HELP, clientsCommand } from './clients.command.ts';
import { commandHelp } from './help.ts';
import { processIo, report, type CliIo } from './io.ts';
import { KEYS_HELP, keysCommand } from './keys.command.ts';
import { USERS_HELP, usersCommand } from './users.command.ts';

const HELP = `Usage: keyward <command> [options]

Commands:
  start      migrate the embedded store if needed, then serve (default)
  migrate    create or upgrade the database schema, then exit
  clients    add, list, show, update and remove clients      (keyward clients --help)
  apis       add, list, show, update and remove APIs         (keyward apis --help)
  users      add, list, show, disable and enable accounts, set passwords and roles,
             end sessions                                    (keyward users --help)
  keys       list, rotate and retire signing keys            (keyward keys --help)
  help       show this help

Configuration comes from environment variables, and from a .env file in the working directory
if there is one (set variables win); see .env.example. Operator commands take --json.`;

type Operation = (ctx: OperatorContext, args: ParsedArgs, io: CliIo) => Promise<number>;
const GROUPS: Record<string, { help: string; run: Operation }> = {
  clients: { help: CLIENTS_HELP, run: clientsCommand },
  apis: { help: APIS_HELP, run: apisCommand },
  users: { help: USERS_HELP, run: usersCommand },
  keys: { help: KEYS_HELP, run: keysCommand },
};

/** The keyward command line; bin/keyward.js checks the Node version and calls this. Returns the exit code. */
export async function runCli(argv: readonly string[], io: CliIo = processIo(), options: { clock?: Clock } = {}): Promise<number> {
  let args: ParsedArgs;
  try {
    args = parseArgs(argv);
  } catch (error) {
    return usage(io, (error as Error).message);
  }
  const [command = 'start'] = args.positionals;
  const group = GROUPS[command];
  if (command === 'help' || (!group && flag(args, 'help'))) {
    io.out(HELP);
    return 0;
  }
  if (group && (flag(args, 'help') || args.positionals.length === 1)) {
    const sub = args.positionals[1];
    io.out((sub && commandHelp(group.help, command, sub)) || group.help);
    return 0;
  }
  const json = flag(args, 'json');
  try {
    // The process environment (not a test's): a .env beside .env.example is read, and said so.
    if (io.env === undefined && loadDotEnvFile()) io.err('keyward: read settings from .env (variables already set in the environment win)');
    if (command === 'start' || command === 'migrate') allowOnly(args, []);
    if (command === 'start') {
      await runUntilSignalled(loadConfig(io.env));
      return 0;
    }
    if (command === 'migrate') return await migrateCommand(io, flag(args, 'json'));
    if (!group) return usage(io, `unknown command "${command}"`);
    const ctx = await openOperatorContext(loadConfig(io.env), options);
    try {
      return await group.run(ctx, args, io);
    } finally {
      await ctx.close();
    }
  } catch (error) {
    if (error instanceof UsageError) return json ? jsonError(io, 'usage', error.message, 2) : usage(io, error.message, (args.positionals[1] && group && commandHelp(group.help, command, args.positionals[1])) || group?.help);
    // One readable message and no stack trace for every problem.
    // An admin service's refusal (services/admin) reads like any failed command.
    const failed = error instanceof CommandError || error instanceof AdminError;
    const message = error instanceof AdminError ? error.summary : failed || error instanceof StartupError ? (error as Error).message : `unexpected error: ${(error as Error)?.message ?? String(error)}`;
    if (json) return jsonError(io, failed ? 'failed' : error instanceof StartupError ? 'configuration' : 'unexpected', message, 1);
    io.err(`keyward: ${message}`);
    return 1;
  }
}

function usage(io: CliIo, message: string, help = HELP): number {
  io.err(`keyward: ${message}\n\n${help}`);
  return 2;
}

/** With --json, a failure is JSON too (on standard error, so standard output holds only answers). */
function jsonError(io: CliIo, code: 'usage' | 'failed' | 'configuration' | 'unexpected', message: string, exitCode: number): number {
  io.err(JSON.stringify({ error: { code, message } }));
  return exitCode;
}

async function migrateCommand(io: CliIo, json: boolean): Promise<number> {
  const config = loadConfig(io.env);
  const stores = await openStores(config, systemClock);
  let changes: string[];
  try {
    changes = await stores.migrate();
    await stores.assertMigrated();
  } finally {
    await stores.close();
  }
  const database = describeDatabase(config.database);
  // What changed (tables, collections, indexes created or replaced), then the verdict.
  report(io, json, { database, migrated: true, changes }, [...changes.map((change) => `keyward: ${change}`), `keyward: database ${database} is up to date`].join('\n'));
  return 0;
}
