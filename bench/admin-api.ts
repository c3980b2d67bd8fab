/**
 * node bench/admin-api.ts [--users 100000] [--events 100000] [--requests 400]
 *
 * The admin API's list endpoints on the embedded store (SQLite) with many users (issue 18: under
 * 50 ms p99 with 100,000 users). Seeds the users and audit events through the stores, starts
 * `keyward start` as operators run it, takes a client_credentials token for the admin API, then
 * asks each list in turn (one request at a time: latency, not throughput), first page, a prefix
 * search, a page deep in the cursor walk and the audit log, with `GET /keys` (a few rows) as the
 * baseline measured in the same run: each p99 is also reported as a ratio to it.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config/load.ts';
import { openStores } from '../src/container.ts';
import { systemClock } from '../src/lib/clock.ts';
import { adminApiIdentifier } from '../src/services/apis.service.ts';
import { intOption } from './lib/options.ts';
import { freePort, startNode } from './lib/processes.ts';

const args = process.argv.slice(2);
const value = (name: string) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : undefined; };
const USERS = intOption('users', value('users') ?? '100000', 100, 1_000_000);
const EVENTS = intOption('events', value('events') ?? '100000', 0, 1_000_000);
const REQUESTS = intOption('requests', value('requests') ?? '400', 20, 10_000);
const BUDGET_MS = 50;

const dir = mkdtempSync(join(tmpdir(), 'keyward-admin-bench-'));
const port = await freePort();
const issuer = `http://127.0.0.1:${port}`;
const bot = { client_id: 'bench-admin', kind: 'service', client_secret: 'bench-admin-secret-0123456789abcdef0123456789', api_scopes: { [adminApiIdentifier(issuer)]: ['admin:read'] } };
writeFileSync(join(dir, 'clients.json'), JSON.stringify({ clients: [bot] }));
const env = {
  NODE_ENV: 'test', HOST: '127.0.0.1', PORT: String(port), ISSUER: issuer, DATABASE_URL: `sqlite:${join(dir, 'keyward.sqlite')}`,
  CLIENTS_FILE: join(dir, 'clients.json'), DEMO_DATA: 'false', LOG_LEVEL: 'info', LOG_FORMAT: 'json',
};

async function seed(): Promise<void> {
  const started = Date.now();
  const stores = await openStores(loadConfig(env), systemClock);
  await stores.migrate();
  for (let i = 0; i < USERS; i += 1) {
    await stores.accounts.create({ email: `user-${String(i).padStart(6, '0')}@bench.test`, emailVerified: true, name: `User ${i}`, passwordHash: undefined, roles: [] });
  }
  const now = Date.now();
  for (let i = 0; i < EVENTS; i += 1) {
    await stores.audit.record({ at: now - i * 500, event: i % 3 ? 'sign_in' : 'consent', outcome: i % 7 ? 'success' : 'failure', accountId: `acc-${i % 5000}`, clientId: `app-${i % 20}`, ip: '127.0.0.1', userAgent: 'bench' });
  }
  await stores.close();
  process.stdout.write(`seeded ${USERS} users and ${EVENTS} audit events in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

async function measure(token: string, path: () => Promise<string> | string): Promise<{ p50: number; p95: number; p99: number }> {
  const times: number[] = [];
  for (let i = 0; i < REQUESTS; i += 1) {
    const target = await path();
    const start = performance.now();
    const response = await fetch(`${issuer}/admin/api/v1${target}`, { headers: { authorization: `Bearer ${token}` } });
    await response.arrayBuffer();
    times.push(performance.now() - start);
    if (response.status !== 200) throw new Error(`${target}: ${response.status}`);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p95: percentile(times, 95), p99: percentile(times, 99) };
}

await seed();
const server = await startNode(['bin/keyward.js', 'start'], env, join(dir, 'keyward.log'), /Keyward is listening/);
try {
  const tokenResponse = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${bot.client_id}:${bot.client_secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'admin:read', resource: adminApiIdentifier(issuer) }),
  });
  const token = String(((await tokenResponse.json()) as { access_token: string }).access_token);
  // A cursor about half-way through the users, found by walking 200-row pages (not timed).
  let deepCursor = '';
  for (let page = 0, cursor = ''; page < Math.floor(USERS / 400); page += 1) {
    const body = (await (await fetch(`${issuer}/admin/api/v1/users?limit=200${cursor ? `&cursor=${cursor}` : ''}`, { headers: { authorization: `Bearer ${token}` } })).json()) as { next_cursor: string };
    cursor = body.next_cursor;
    deepCursor = cursor;
  }
  let prefix = 0;
  const scenarios: [string, () => string][] = [
    ['GET /keys (baseline)', () => '/keys'],
    ['users, first page (50)', () => '/users?limit=50'],
    ['users, email prefix search', () => `/users?limit=50&email_prefix=user-0${String((prefix += 7) % 1000).padStart(3, '0')}`],
    ['users, page half-way through', () => `/users?limit=50&cursor=${deepCursor}`],
    ['users, 200 per page', () => '/users?limit=200'],
    ['audit events, first page', () => '/audit-events?limit=50'],
    ['audit events, by event and client', () => '/audit-events?limit=50&event=sign_in&client_id=app-7'],
    ['audit events, by account', () => '/audit-events?limit=50&account_id=acc-42'],
  ];
  const results: { scenario: string; p50: number; p95: number; p99: number }[] = [];
  for (const [scenario, path] of scenarios) results.push({ scenario, ...(await measure(token, path)) });
  const baseline = results[0]!.p99;
  process.stdout.write(`\n${USERS} users, ${EVENTS} audit events, SQLite; ${REQUESTS} sequential requests each\n`);
  process.stdout.write(`${'scenario'.padEnd(36)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'p99/baseline'.padStart(13)}\n`);
  for (const r of results) {
    process.stdout.write(`${r.scenario.padEnd(36)} ${r.p50.toFixed(2).padStart(8)} ${r.p95.toFixed(2).padStart(8)} ${r.p99.toFixed(2).padStart(8)} ${(r.p99 / baseline).toFixed(2).padStart(13)}\n`);
  }
  const over = results.filter((r) => r.p99 >= BUDGET_MS);
  process.stdout.write(over.length === 0 ? `\nevery list endpoint under ${BUDGET_MS} ms p99\n` : `\nOVER ${BUDGET_MS} ms p99: ${over.map((r) => r.scenario).join(', ')}\n`);
  process.exitCode = over.length === 0 ? 0 : 1;
} finally {
  await server.stop();
}
