import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { freePort } from '../helpers/test-server.ts';
import { childEnv, collect, KEYWARD_BIN, runCli, waitFor } from '../helpers/run-cli.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const STACK_FRAME = /^\s+at /m;

/** The exact failure output operators see: one clear message, exit 1, no stack trace. */
function expectOneLineFailure(result: { code: number | null; stderr: string; stdout: string }, pattern: RegExp): void {
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(pattern);
  expect(result.stderr.trim().split('\n')).toHaveLength(1);
  expect(result.stderr + result.stdout).not.toMatch(STACK_FRAME);
}

describe('keyward start-up', () => {
  it('refuses an older Node with one line naming the version it needs', async () => {
    const fakeOldNode = 'data:text/javascript,Object.defineProperty(process.versions,"node",{value:"20.20.2"})';
    const result = await runCli(['start'], {}, { nodeArgs: ['--import', fakeOldNode] });
    expectOneLineFailure(result, /^keyward: needs Node\.js 24 or newer, this is 20\.20\.2/);
  });

  it('reports every configuration problem in one message and exits 1', async () => {
    const result = await runCli(['start'], { PORT: 'abc', ISSUER: 'ftp://example.com', LOG_LEVEL: 'chatty' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^keyward: Invalid configuration:\n {2}- PORT: .*\n {2}- ISSUER: .*\n {2}- LOG_LEVEL: /);
    expect(result.stderr).not.toMatch(STACK_FRAME);
  });

  it('refuses production without https, cookie secrets, and with demo data', async () => {
    const result = await runCli(['start'], { NODE_ENV: 'production', ISSUER: 'http://id.example.com', DEMO_DATA: 'true' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/ISSUER: must be an https:\/\/ URL in production/);
    expect(result.stderr).toMatch(/COOKIE_SECRETS: required in production/);
    expect(result.stderr).toMatch(/DEMO_DATA: /);
  });

  it('refuses a port in use with one line', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as { port: number };
    try {
      const result = await runCli(['start'], { PORT: String(port), DATABASE_URL: `sqlite:${join(tempDir(), 'k.sqlite')}` });
      expectOneLineFailure(result, new RegExp(`^keyward: Port ${port} is already in use on 127\\.0\\.0\\.1`));
    } finally {
      blocker.close();
    }
  });

  it('refuses a corrupt database file with one line and leaves it untouched', async () => {
    const file = join(tempDir(), 'corrupt.sqlite');
    writeFileSync(file, Buffer.alloc(8192, 'not a database '));
    const digest = () => createHash('sha256').update(readFileSync(file)).digest('hex');
    const before = digest();
    const result = await runCli(['start'], { PORT: String(await freePort()), DATABASE_URL: `sqlite:${file}` });
    expectOneLineFailure(result, /^keyward: Cannot use the database .*corrupt\.sqlite: file is not a database/);
    expect(digest()).toBe(before);
  });

  it('refuses a data directory it cannot create with one line', async () => {
    // Tests run as root, for whom permission bits do not apply: a file where the data
    // directory should be makes the directory impossible to create for anyone.
    const blocker = join(tempDir(), 'not-a-directory');
    writeFileSync(blocker, 'x');
    const result = await runCli(['start'], { PORT: String(await freePort()), DATABASE_URL: `sqlite:${blocker}/data/keyward.sqlite` });
    expectOneLineFailure(result, /^keyward: Cannot create the data directory .*not-a-directory\/data: part of the path is a file, not a directory$/m);
  });

  it('refuses a malformed clients file with one line naming the client and the field', async () => {
    const dir = tempDir();
    const clientsFile = join(dir, 'clients.json');
    writeFileSync(clientsFile, JSON.stringify({ clients: [{ client_id: 'spa', kind: 'public', redirect_uris: ['nope'] }] }));
    const result = await runCli(['start'], { PORT: String(await freePort()), DATABASE_URL: `sqlite:${join(dir, 'k.sqlite')}`, CLIENTS_FILE: clientsFile });
    expectOneLineFailure(result, /client "spa", field redirect_uris\.0: must be an absolute URL/);
  });

  it('refuses a client that oidc-provider itself rejects, naming it', async () => {
    const dir = tempDir();
    const clientsFile = join(dir, 'clients.json');
    // Schema-valid, but a native app may redirect over http only to loopback (oidc-provider's own rule).
    writeFileSync(clientsFile, JSON.stringify({ clients: [{ client_id: 'svc', kind: 'public', application_type: 'native', redirect_uris: ['http://example.com/cb'] }] }));
    const result = await runCli(['start'], { PORT: String(await freePort()), DATABASE_URL: `sqlite:${join(dir, 'k.sqlite')}`, CLIENTS_FILE: clientsFile });
    expectOneLineFailure(result, /^keyward: Clients file: client "svc" is invalid: /);
  });

  it('migrates idempotently with `keyward migrate`', async () => {
    const env = { DATABASE_URL: `sqlite:${join(tempDir(), 'k.sqlite')}` };
    for (let run = 0; run < 2; run += 1) {
      const result = await runCli(['migrate'], env);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/database .*k\.sqlite is up to date/);
    }
  });

  it('reads a .env file in the working directory, says so, and lets set variables win', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, '.env'), `# as copied from .env.example\nDATABASE_URL=sqlite:${join(dir, 'from-dotenv.sqlite')}\nLOG_LEVEL=warn\n`);
    const fromFile = await runCli(['migrate', '--json'], {}, { cwd: dir });
    expect(fromFile.code).toBe(0);
    expect(fromFile.stderr).toMatch(/read settings from \.env/);
    expect(readFileSync(join(dir, 'from-dotenv.sqlite')).length).toBeGreaterThan(0);
    const overridden = await runCli(['migrate', '--json'], { DATABASE_URL: `sqlite:${join(dir, 'from-env.sqlite')}` }, { cwd: dir });
    expect(overridden.code).toBe(0);
    expect(readFileSync(join(dir, 'from-env.sqlite')).length).toBeGreaterThan(0);
    // A secret set in the environment as NAME_FILE wins over the file's NAME too (no "set both" error).
    writeFileSync(join(dir, 'database-url'), `sqlite:${join(dir, 'from-secret-file.sqlite')}\n`);
    const fromSecretFile = await runCli(['migrate', '--json'], { DATABASE_URL_FILE: join(dir, 'database-url') }, { cwd: dir });
    expect(fromSecretFile.stderr).not.toMatch(/not both/);
    expect(fromSecretFile.code).toBe(0);
    expect(readFileSync(join(dir, 'from-secret-file.sqlite')).length).toBeGreaterThan(0);
  });

  it('prints help', async () => {
    const result = await runCli(['--help'], {});
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Usage: keyward <command>/);
  });

  it('starts, serves, and on SIGTERM shuts down gracefully with exit 0', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [KEYWARD_BIN, 'start'], {
      env: childEnv({ PORT: String(port), ISSUER: `http://127.0.0.1:${port}`, DATABASE_URL: `sqlite:${join(tempDir(), 'k.sqlite')}`, DEMO_DATA: 'true' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output = collect(child);
    try {
      await waitFor(() => output().stdout, /Keyward is listening/);
      await waitFor(() => output().stdout, /Try a sign-in/);
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      expect(code).toBe(0);
      expect(output().stdout).toMatch(/"msg":"stopped"/);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('stops when a process manager sends SIGTERM to `npm start` (npm\'s shell passes no signal on)', async () => {
    const port = await freePort();
    const npm = spawn('npm', ['start', '--silent'], {
      cwd: process.cwd(),
      env: { ...childEnv({ PORT: String(port), ISSUER: `http://127.0.0.1:${port}`, DATABASE_URL: `sqlite:${join(tempDir(), 'k.sqlite')}` }), HOME: process.env.HOME ?? '/tmp' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output = collect(npm);
    try {
      await waitFor(() => output().stdout, /Keyward is listening/);
      npm.kill('SIGTERM');
      await once(npm, 'exit');
      // Keyward itself must be gone too: nothing answers on its port any more.
      await waitFor(() => output().stdout, /"msg":"stopped"/);
      await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
    } finally {
      if (npm.exitCode === null) npm.kill('SIGKILL');
      // An orphaned Keyward (the bug this guards against) would hold the test run open.
      const pid = Number(/"pid":(\d+)[^\n]*Keyward is listening/.exec(output().stdout)?.[1]);
      if (pid) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone, as it should be
        }
      }
    }
  });
});
