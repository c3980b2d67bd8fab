import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { BenchBackend } from './backend.ts';
import { keywardRegistry, USER } from './fixtures.ts';
import { freePort, startNode, type Started } from './processes.ts';

export interface KeywardTarget {
  server: Started;
  issuer: string;
  /** Keyward's environment, for operator commands and the account seeder. */
  env: Record<string, string>;
}

/**
 * Keyward as operators run it: `keyward migrate`, `keyward users add` (the bench user), then
 * `keyward start`, from the checkout at `root` (this one unless bench/compare-sign-in.ts says
 * otherwise), with the production argon2 cost and info-level JSON logs.
 */
export async function startKeyward(dir: string, backend: BenchBackend, root = '.', name = 'keyward'): Promise<KeywardTarget> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const clientsFile = join(dir, `${name}-clients.json`);
  writeFileSync(clientsFile, JSON.stringify(keywardRegistry));
  const env = {
    NODE_ENV: 'test', HOST: '127.0.0.1', PORT: String(port), ISSUER: issuer, DATABASE_URL: backend.url,
    CLIENTS_FILE: clientsFile, DEMO_DATA: 'false', LOG_LEVEL: 'info', LOG_FORMAT: 'json', ACCESS_TOKEN_TTL: '600',
    // Every virtual user signs in to the one bench account at once; attempts are counted before
    // the password is checked (test/adversarial/races.test.ts), so the per-account limit would
    // refuse all but 5 of them in flight. Bare oidc-provider has no such limit either.
    THROTTLE_SIGN_IN_PER_ACCOUNT: '1000',
  };
  const cwd = resolve(root);
  const cli = (args: string[], stdin = '') => {
    const result = spawnSync(process.execPath, ['bin/keyward.js', ...args], { cwd, env: { PATH: process.env.PATH ?? '', ...env }, input: stdin });
    if (result.status !== 0) throw new Error(`keyward ${args.join(' ')} (${cwd}): ${result.stderr}`);
  };
  cli(['migrate']);
  cli(['users', 'add', '--email', USER.email, '--password-stdin'], `${USER.password}\n`);
  const server = await startNode(['bin/keyward.js', 'start'], env, join(dir, `${name}.log`), /Keyward is listening/, cwd);
  return { server, issuer, env };
}

export interface SeededAccount {
  email: string;
  /** The authenticator app's secret (base32), for accounts seeded with one. */
  secret?: string;
}

/**
 * `count` accounts with the bench password (and each its own confirmed authenticator app with
 * `totp`), written through Keyward's operator context in one process (bench/lib/seed-accounts.ts)
 * rather than hundreds of `keyward users add`. Not timed.
 */
export function seedAccounts(target: KeywardTarget, prefix: string, count: number, totp: boolean): SeededAccount[] {
  const result = spawnSync(process.execPath, ['bench/lib/seed-accounts.ts', prefix, String(count), totp ? 'totp' : 'password'], {
    env: { PATH: process.env.PATH ?? '', ...target.env }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) throw new Error(`seeding ${prefix} accounts: ${result.stderr}`);
  return JSON.parse(result.stdout) as SeededAccount[];
}
