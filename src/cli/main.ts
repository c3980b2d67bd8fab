import { loadConfig } from '../config/load.ts';
import { openStores } from '../container.ts';
import { StartupError } from '../errors/app-error.ts';
import { systemClock } from '../lib/clock.ts';
import { runUntilSignalled } from '../main.ts';

const HELP = `Usage: keyward <command>

Commands:
  start      migrate the embedded store if needed, then serve (default)
  migrate    create or upgrade the database schema, then exit
  help       show this help

Configuration comes from environment variables; see .env.example.`;

/** The keyward command line; bin/keyward.js checks the Node version and calls this. */
export async function runCli(argv: readonly string[]): Promise<number> {
  const [command = 'start', ...rest] = argv;
  if (command === 'help' || command === '--help' || command === '-h' || rest.includes('--help')) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  try {
    switch (command) {
      case 'start':
        await runUntilSignalled(loadConfig());
        return 0;
      case 'migrate':
        return await migrateCommand();
      default:
        process.stderr.write(`keyward: unknown command "${command}"\n\n${HELP}\n`);
        return 2;
    }
  } catch (error) {
    // One readable message and no stack trace for every start-up problem.
    const message = error instanceof StartupError ? error.message : `unexpected error: ${(error as Error)?.message ?? String(error)}`;
    process.stderr.write(`keyward: ${message}\n`);
    return 1;
  }
}

async function migrateCommand(): Promise<number> {
  const config = loadConfig();
  const stores = openStores(config, systemClock);
  try {
    await stores.migrate();
    await stores.assertMigrated();
  } finally {
    await stores.close();
  }
  process.stdout.write(`keyward: database ${config.database.location} is up to date\n`);
  return 0;
}
