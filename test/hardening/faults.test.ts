import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, describe, expect, it } from '@jest/globals';
import { systemClock } from '../../src/lib/clock.ts';
import { createSqliteStores } from '../../src/stores/sqlite/sqlite-stores.ts';
import { freePort } from '../helpers/free-port.ts';
import { childEnv, collect, KEYWARD_BIN, runCli, waitFor } from '../helpers/run-cli.ts';
import { grantAll, postAsClient, startTestKeyward, TEST_RESOURCE_SERVER, TEST_SERVICE_CLIENT, type TestKeyward } from '../helpers/test-server.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { REPORTS_API, REPORTS_RESOURCE_SERVER } from '../helpers/token-fixtures.ts';
import { csrfTokenIn, UserAgent } from '../helpers/user-agent.ts';

const registry = { apis: [REPORTS_API], clients: [grantAll(TEST_SERVICE_CLIENT, REPORTS_API), REPORTS_RESOURCE_SERVER] };
void TEST_RESOURCE_SERVER;

function startChild(env: Record<string, string>): { child: ChildProcess; ready: Promise<void> } {
  const child = spawn(process.execPath, [KEYWARD_BIN, 'start'], { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  const output = collect(child);
  return { child, ready: waitFor(() => output().stdout, /Keyward is listening/, 20_000) };
}

const integrity = (file: string) => {
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    return (db.prepare('PRAGMA integrity_check').get() as { integrity_check: string }).integrity_check;
  } finally {
    db.close();
  }
};

describe('faults', () => {
  const cleanups: (() => void | Promise<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('loses no acknowledged write when killed with SIGKILL in the middle of token requests and registrations', async () => {
    const dir = tempDir();
    const clientsFile = join(dir, 'clients.json');
    writeFileSync(clientsFile, JSON.stringify(registry));
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const env = { PORT: String(port), ISSUER: base, DATABASE_URL: `sqlite:${join(dir, 'k.sqlite')}`, CLIENTS_FILE: clientsFile, THROTTLE_REQUESTS_PER_IP: '100000', THROTTLE_REQUESTS_PER_EMAIL: '1000' };
    const first = startChild(env);
    cleanups.push(() => void first.child.kill('SIGKILL'));
    await first.ready;

    const tokens: string[] = [];
    const emails: string[] = [];
    let stop = false;
    const tokenWorker = async () => {
      while (!stop) {
        const answer = await postAsClient(`${base}/token`, TEST_SERVICE_CLIENT, { grant_type: 'client_credentials', resource: REPORTS_API.identifier }).catch(() => undefined);
        if (answer?.status === 200) tokens.push(String(answer.json.access_token));
      }
    };
    const registrationWorker = async (worker: number) => {
      for (let i = 0; !stop; i += 1) {
        const agent = new UserAgent();
        const email = `crash-${worker}-${i}@example.com`;
        const page = await agent.get(`${base}/register`).then((r) => r.text()).catch(() => undefined);
        if (!page) continue;
        const answer = await agent.postForm(`${base}/register`, { _csrf: csrfTokenIn(page), email, password: 'a perfectly fine passphrase' }).catch(() => undefined);
        if (answer?.status === 200) emails.push(email);
      }
    };
    const load = Promise.all([...Array.from({ length: 6 }, tokenWorker), ...Array.from({ length: 3 }, (_, w) => registrationWorker(w))]);
    await waitFor(() => (tokens.length >= 200 && emails.length >= 10 ? 'go' : `tokens ${tokens.length}, registrations ${emails.length}`), /go/, 20_000);
    first.child.kill('SIGKILL');
    await once(first.child, 'exit');
    stop = true;
    await load;

    const second = startChild(env);
    cleanups.push(() => void second.child.kill('SIGKILL'));
    await second.ready;
    const inactive: string[] = [];
    for (const token of tokens) {
      const answer = await postAsClient(`${base}/token/introspection`, REPORTS_RESOURCE_SERVER, { token });
      if (answer.json.active !== true) inactive.push(token);
    }
    expect({ acknowledgedTokens: tokens.length, inactive: inactive.length }).toEqual({ acknowledgedTokens: tokens.length, inactive: 0 });
    const stores = createSqliteStores({ location: join(dir, 'k.sqlite'), busyTimeoutMs: 5000 }, systemClock);
    try {
      const missing = [];
      for (const email of emails) if (!(await stores.accounts.findByEmail(email))) missing.push(email);
      expect({ answeredRegistrations: emails.length, missing }).toEqual({ answeredRegistrations: emails.length, missing: [] });
    } finally {
      await stores.close();
    }
    second.child.kill('SIGTERM');
  });

  it('answers 503 while the store is locked by someone else, and recovers by itself', async () => {
    const keyward: TestKeyward = await startTestKeyward({ registry, env: { SQLITE_BUSY_TIMEOUT_MS: '50' } });
    cleanups.push(() => keyward.stop());
    const issue = () => postAsClient(`${keyward.issuer}/token`, TEST_SERVICE_CLIENT, { grant_type: 'client_credentials', resource: REPORTS_API.identifier });
    expect((await issue()).status).toBe(200);
    const intruder = new DatabaseSync(keyward.databaseFile, { timeout: 1000 });
    intruder.exec('BEGIN EXCLUSIVE');
    try {
      const blocked = await issue();
      expect(blocked.status).toBe(503);
      expect(blocked.json).toMatchObject({ error: 'temporarily_unavailable' });
      expect(blocked.headers.get('retry-after')).toBe('5');
    } finally {
      intruder.exec('ROLLBACK');
      intruder.close();
    }
    expect((await issue()).status).toBe(200);
  });

  describe('on a small disk of its own (tmpfs)', () => {
    const mountPoint = join(tempDir(), 'disk');
    mkdirSync(mountPoint);
    const mount = (options: string) => execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', mountPoint]);
    const remount = (options: string) => execFileSync('mount', ['-o', `remount,${options}`, mountPoint]);
    afterAll(() => {
      try {
        execFileSync('umount', [mountPoint]);
      } catch {
        // not mounted
      }
    });

    it('refuses to start on a read-only data directory with one line, and leaves the database intact', async () => {
      mount('size=4m');
      const file = join(mountPoint, 'ro.sqlite');
      expect((await runCli(['migrate'], { DATABASE_URL: `sqlite:${file}` })).code).toBe(0);
      remount('ro');
      const result = await runCli(['start'], { PORT: String(await freePort()), DATABASE_URL: `sqlite:${file}` });
      expect(result.code).toBe(1);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toMatch(/^keyward: The data directory .* is not writable: read-only file system$/m);
      remount('rw');
      expect(integrity(file)).toBe('ok');
      execFileSync('umount', [mountPoint]);
    });

    it('answers 503 when the disk is full, recovers when space returns, and keeps the database intact', async () => {
      mount('size=3m');
      const file = join(mountPoint, 'full.sqlite');
      const keyward = await startTestKeyward({ databaseFile: file, registry, env: { LOG_LEVEL: 'warn' } });
      cleanups.push(() => keyward.stop());
      const issue = () => postAsClient(`${keyward.issuer}/token`, TEST_SERVICE_CLIENT, { grant_type: 'client_credentials', resource: REPORTS_API.identifier });
      expect((await issue()).status).toBe(200);
      const filler = join(mountPoint, 'filler');
      try {
        execFileSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=64k', 'count=200'], { stdio: 'ignore' });
      } catch {
        // dd stops when the disk is full: that is the point
      }
      let answer = await issue();
      for (let i = 0; i < 200 && answer.status === 200; i += 1) answer = await issue(); // until the WAL cannot grow
      expect(answer.status).toBe(503);
      expect(answer.json).toMatchObject({ error: 'temporarily_unavailable' });
      rmSync(filler);
      expect((await issue()).status).toBe(200);
      await keyward.stop();
      expect(integrity(file)).toBe('ok');
    });
  });
});
