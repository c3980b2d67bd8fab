/**
 * npm run bench [-- --duration 15 --rounds 3 --connections 32 --users 16 --backend sqlite|mongo]
 *
 * Starts Keyward (embedded store, or with --backend mongo the MongoDB backend: the replica set in
 * MONGODB_URI, else the wire emulator as a smoke check only; production argon2 cost, info logs) and bare oidc-provider
 * configured the same way, loads each in turn with the same connections and duration — traffic
 * to 127.0.0.1 only, every loop bounded in time — and prints Keyward/bare ratios, side by side
 * in one run because the machine is noisy. Then sign-in flows: the password flow against the
 * argon2 limit and bare oidc-provider, and, Keyward only, the password, password + authenticator
 * app and passkey flows side by side in alternating rounds (bench/lib/mfa-flows.ts). Writes the
 * table as JSON to bench/results/.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { API, APP, basic, ES256_API, OPAQUE_API, RESOURCE_SERVER, SERVICE } from './lib/fixtures.ts';
import { alternateFlows, argon2Limit, codeFlow, loadFlows, type AlternatedFlow } from './lib/flows.ts';
import { seedAccounts, startKeyward, type KeywardTarget } from './lib/keyward-process.ts';
import { passkeyFlow, registerPasskey, TotpPool } from './lib/mfa-flows.ts';
import { httpFetch } from './lib/http-fetch.ts';
import { load, type LoadResult } from './lib/load.ts';
import { BACKENDS, prepareBackend, type BenchBackend } from './lib/backend.ts';
import { intOption } from './lib/options.ts';
import { freePort, startNode, type Started } from './lib/processes.ts';

const { values } = parseArgs({ options: { duration: { type: 'string', default: '15' }, rounds: { type: 'string', default: '3' }, connections: { type: 'string', default: '32' }, users: { type: 'string', default: '16' }, backend: { type: 'string', default: 'sqlite' } } });
if (!(BACKENDS as readonly string[]).includes(values.backend)) {
  process.stderr.write(`--backend must be one of ${BACKENDS.join(', ')}, not "${values.backend}"\n`);
  process.exit(2);
}
const BACKEND = values.backend as (typeof BACKENDS)[number];
const DURATION = intOption('duration', values.duration, 1, 60);
const ROUNDS = intOption('rounds', values.rounds, 1, DURATION);
const ROUND_SECONDS = Math.max(1, Math.round(DURATION / ROUNDS));
const CONNECTIONS = intOption('connections', values.connections, 1, 256);
const FLOW_USERS = intOption('users', values.users, 1, 64);
const TOKENS_FOR_MEMORY = 10_000;
const ARGON2 = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

interface Target {
  server: Started;
  issuer: string;
}

async function startBare(dir: string): Promise<Target> {
  const port = await freePort();
  const server = await startNode(['bench/bare-provider.ts'], { PORT: String(port), NODE_ENV: 'production' }, join(dir, 'bare.log'), /listening/);
  return { server, issuer: `http://127.0.0.1:${port}` };
}

async function token(issuer: string, resource: string): Promise<string> {
  const response = await fetch(`${issuer}/token`, { method: 'POST', headers: { ...FORM, authorization: basic(SERVICE) }, body: form({ grant_type: 'client_credentials', resource, scope: 'read' }) });
  if (response.status !== 200) throw new Error(`client_credentials at ${issuer}: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

/**
 * Refresh chains: a pool of one refresh token per connection; each request takes one, each
 * response puts the rotated one back (autocannon resets a connection's context between
 * requests, so the pool, not the context, carries the chains).
 */
async function refreshLoad({ issuer, server }: Target, seconds: number): Promise<LoadResult> {
  const pool: string[] = [];
  // One browser session: the first flow signs in and consents, the next ones reuse them.
  const { UserAgent } = await import('../test/helpers/user-agent.ts');
  const agent = new UserAgent(httpFetch);
  for (let i = 0; i < CONNECTIONS; i += 1) pool.push((await codeFlow(issuer, agent)).refresh_token);
  return load({
    url: `${issuer}/token`, connections: CONNECTIONS, durationSeconds: seconds, cpuMicros: server.cpuMicros,
    requests: [{
      method: 'POST',
      setupRequest: (request) => ({ ...request, headers: { ...FORM, authorization: basic(APP) }, body: form({ grant_type: 'refresh_token', refresh_token: String(pool.shift()) }) }),
      onResponse: (status, body) => {
        if (status === 200) pool.push((JSON.parse(body) as { refresh_token: string }).refresh_token);
      },
    }],
  });
}

interface Row {
  scenario: string;
  keyward: { rps: number; p50: number; p99: number; errors: number };
  bare: { rps: number; p50: number; p99: number; errors: number };
  /** Median of the rounds' ratios (below). */
  ratio: number;
  rounds: number[];
  /** Server CPU per request (median over rounds, µs) and bare/Keyward, the capacity ratio that CPU implies. */
  cpuMicrosPerRequest: { keyward: number; bare: number };
  cpuRatio: number;
  target: string;
  met: boolean;
}

const summary = (r: LoadResult) => ({ rps: Math.round(r.requestsPerSecond), p50: r.p50, p99: r.p99, errors: r.errors });
const round2 = (value: number) => Math.round(value * 100) / 100;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** Rounds of one target as one result: requests over time, the median p50, the worst p99, all errors. */
const combine = (results: LoadResult[]): LoadResult => {
  const requests = results.reduce((sum, r) => sum + r.requests, 0);
  const seconds = results.reduce((sum, r) => sum + r.requests / r.requestsPerSecond, 0);
  return { requestsPerSecond: requests / seconds, p50: median(results.map((r) => r.p50)), p99: Math.max(...results.map((r) => r.p99)), errors: results.reduce((sum, r) => sum + r.errors, 0), requests };
};

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'keyward-bench-'));
  const backend = await prepareBackend(BACKEND, dir, process.env);
  process.stderr.write(`backend: ${backend.label}\n`);
  let keyward: KeywardTarget | undefined;
  let bare: Target | undefined;
  try {
    keyward = await startKeyward(dir, backend);
    bare = await startBare(dir);
    await measure(keyward, bare, backend);
  } finally {
    await keyward?.server.stop();
    await bare?.server.stop();
    await backend.stop();
  }
}

async function measure(keyward: KeywardTarget, bare: Target, backend: BenchBackend): Promise<void> {
  const rows: Row[] = [];
  {
    // Resident memory after 10,000 issued tokens (32 at a time), before the load runs; bare
    // oidc-provider gets the same tokens so the figure has a baseline from the same run.
    const issueTokens = async (issuer: string) => {
      let issued = 0;
      await Promise.all(Array.from({ length: 32 }, async () => {
        while (issued < TOKENS_FOR_MEMORY) {
          issued += 1;
          await token(issuer, API.identifier);
        }
      }));
      return issued;
    };
    process.stderr.write(`${TOKENS_FOR_MEMORY} tokens …\n`);
    const issued = await issueTokens(keyward.issuer);
    const rssAfterTokens = keyward.server.rss();
    await issueTokens(bare.issuer);
    const bareRssAfterTokens = bare.server.rss();
    // The machine's speed drifts over seconds, so each scenario alternates short rounds (after an
    // uncounted warm-up each) and its ratio is the median of the rounds' Keyward/bare ratios.
    const side = async (scenario: string, run: (target: Target, seconds: number) => Promise<LoadResult>, target: { ratio: number; label: string }) => {
      process.stderr.write(`${scenario} …\n`);
      await run(keyward, 1);
      await run(bare, 1);
      const k: LoadResult[] = [];
      const b: LoadResult[] = [];
      for (let round = 0; round < ROUNDS; round += 1) {
        const order = round % 2 === 0 ? [keyward, bare] : [bare, keyward];
        for (const server of order) (server === keyward ? k : b).push(await run(server, ROUND_SECONDS));
      }
      const ratio = median(k.map((result, round) => result.requestsPerSecond / b[round]!.requestsPerSecond));
      // CPU per request varies far less than requests/s here, and is not capped by the load generator.
      const cpuRatio = median(k.map((result, round) => b[round]!.cpuMicrosPerRequest! / result.cpuMicrosPerRequest!));
      const keywardTotal = combine(k);
      rows.push({
        scenario, keyward: summary(keywardTotal), bare: summary(combine(b)), ratio: round2(ratio), rounds: k.map((result, i) => round2(result.requestsPerSecond / b[i]!.requestsPerSecond)),
        cpuMicrosPerRequest: { keyward: Math.round(median(k.map((r) => r.cpuMicrosPerRequest!))), bare: Math.round(median(b.map((r) => r.cpuMicrosPerRequest!))) }, cpuRatio: round2(cpuRatio),
        target: target.label, met: ratio >= target.ratio && keywardTotal.p99 < 50 && keywardTotal.errors === 0,
      });
    };
    const get = (path: string) => ({ issuer, server }: Target, seconds: number) => load({ url: `${issuer}${path}`, connections: CONNECTIONS, durationSeconds: seconds, cpuMicros: server.cpuMicros });

    await side('discovery', get('/.well-known/openid-configuration'), { ratio: 2, label: '≥ 2× bare' });
    await side('jwks', get('/jwks'), { ratio: 2, label: '≥ 2× bare' });
    // Both signing algorithms, each against bare oidc-provider signing the same way.
    for (const [alg, api] of [['RS256', API], ['ES256', ES256_API]] as const) {
      await side(`client_credentials (JWT ${alg})`, ({ issuer, server }, seconds) => load({
        url: `${issuer}/token`, method: 'POST', connections: CONNECTIONS, durationSeconds: seconds, cpuMicros: server.cpuMicros,
        headers: { ...FORM, authorization: basic(SERVICE) }, body: form({ grant_type: 'client_credentials', resource: api.identifier, scope: 'read' }),
      }), { ratio: 0.8, label: '≥ 0.8× bare' });
    }
    await side('introspection (opaque)', async ({ issuer, server }, seconds) => load({
      url: `${issuer}/token/introspection`, method: 'POST', connections: CONNECTIONS, durationSeconds: seconds, cpuMicros: server.cpuMicros,
      headers: { ...FORM, authorization: basic(RESOURCE_SERVER) }, body: form({ token: await token(issuer, OPAQUE_API.identifier) }),
    }), { ratio: 0.8, label: '≥ 0.8× bare' });
    await side('refresh rotation', refreshLoad, { ratio: 0.8, label: '≥ 0.8× bare' });

    process.stderr.write('argon2 limit …\n');
    const hashesPerSecond = await argon2Limit(ARGON2, Math.min(DURATION, 5));
    process.stderr.write('sign-in flows …\n');
    const flows = await loadFlows(keyward.issuer, FLOW_USERS, DURATION);
    const bareFlows = await loadFlows(bare.issuer, FLOW_USERS, DURATION);
    const flowRatio = flows.flowsPerSecond / hashesPerSecond;
    // Accounts and credentials of the MFA flows, before any of them is timed: authenticator-app
    // accounts leased one per flow (TotpPool says why), enough for the argon2 limit over the
    // warm-up and rounds with a quarter to spare; one account with its own passkey per virtual
    // user, registered over HTTP. Keyward only: bare oidc-provider has no second factor or passkeys.
    process.stderr.write('sign-in flows with a second factor and with passkeys: accounts, authenticator apps and passkeys …\n');
    const totpAccounts = Math.ceil((hashesPerSecond * (DURATION + 1) * 1.25) / TotpPool.codesPerAccount(DURATION)) + FLOW_USERS;
    const totpPool = new TotpPool(seedAccounts(keyward, 'bench-totp', totpAccounts, true));
    const passkeys = await Promise.all(seedAccounts(keyward, 'bench-passkey', FLOW_USERS, false).map((account) => registerPasskey(keyward.issuer, account)));
    process.stderr.write('sign-in flows: password, password + authenticator app, passkey …\n');
    const signInFlows = await alternateFlows(keyward.issuer, FLOW_USERS, ROUNDS, ROUND_SECONDS, {
      password: () => codeFlow(keyward.issuer),
      passwordTotp: () => totpPool.flow(keyward.issuer),
      passkey: (user) => passkeyFlow(keyward.issuer, passkeys[user]!),
    }, keyward.server.cpuMicros);
    const flowSummary = (f: AlternatedFlow) => ({
      ...f, flowsPerSecond: Math.round(f.flowsPerSecond * 10) / 10, p50: Math.round(f.p50), p99: Math.round(f.p99), serverCpuMsPerFlow: Math.round(f.serverCpuMsPerFlow * 10) / 10,
    });

    const result = {
      date: new Date().toISOString(),
      // The emulator's figures only show the benchmark runs on the MongoDB backend (not measured).
      backend: { kind: backend.kind, label: backend.label, measured: backend.measured },
      machine: { cpus: cpus().length, model: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
      settings: { durationSeconds: DURATION, rounds: ROUNDS, roundSeconds: ROUND_SECONDS, connections: CONNECTIONS, flowUsers: FLOW_USERS, argon2: ARGON2 },
      rows,
      signInFlow: {
        keyward: { flowsPerSecond: Math.round(flows.flowsPerSecond * 10) / 10, p50: Math.round(flows.p50), p99: Math.round(flows.p99), errors: flows.errors },
        bare: { flowsPerSecond: Math.round(bareFlows.flowsPerSecond * 10) / 10, p50: Math.round(bareFlows.p50), p99: Math.round(bareFlows.p99), errors: bareFlows.errors },
        argon2HashesPerSecond: Math.round(hashesPerSecond * 10) / 10,
        ratioToArgon2Limit: Math.round(flowRatio * 100) / 100,
        target: '≥ 0.7× the argon2 limit',
        met: flowRatio >= 0.7 && flows.errors === 0,
      },
      // Keyward only (bare oidc-provider has no second factor or passkeys), in alternating rounds;
      // `ratio`: to the password flow of the same rounds.
      signInFlows: {
        password: flowSummary(signInFlows.password), passwordTotp: flowSummary(signInFlows.passwordTotp), passkey: flowSummary(signInFlows.passkey),
        totpAccounts, totpWaitedMs: Math.round(totpPool.waitedMs), passkeyAccounts: passkeys.length,
      },
      memory: { keywardRssMiBAfterTokens: Math.round(rssAfterTokens / 2 ** 20), bareRssMiBAfterTokens: Math.round(bareRssAfterTokens / 2 ** 20), tokensIssued: issued, target: '< 200 MiB', met: rssAfterTokens < 200 * 2 ** 20 },
    };
    print(result);
    mkdirSync('bench/results', { recursive: true });
    const json = `${JSON.stringify(result, null, 2)}\n`;
    writeFileSync(join('bench/results', `${result.date.replaceAll(':', '-')}${backend.suffix}.json`), json);
    writeFileSync(join('bench/results', `latest${backend.suffix}.json`), json);
  }
}

function print(result: { backend: { label: string; measured: boolean }; rows: Row[]; signInFlows: { password: AlternatedFlow; passwordTotp: AlternatedFlow; passkey: AlternatedFlow; totpWaitedMs: number }; signInFlow: Record<string, unknown> & { keyward: { flowsPerSecond: number; p50: number; p99: number; errors: number }; argon2HashesPerSecond: number; ratioToArgon2Limit: number; met: boolean }; memory: { keywardRssMiBAfterTokens: number; bareRssMiBAfterTokens: number; tokensIssued: number; met: boolean }; machine: Record<string, unknown> }): void {
  const line = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
  const out = [
    `backend: ${result.backend.label}`,
    ...(result.backend.measured ? [] : ['NOT A MEASUREMENT: the figures below only show that the benchmark runs on this backend.']),
    '',
    line(['scenario', 'Keyward req/s', 'bare req/s', 'Keyward/bare (rounds)', 'Keyward p50 / p99 ms', 'bare p50 / p99 ms', 'errors (K/b)', 'CPU µs/req K / b (b/K)', 'target', 'met']),
    line(['---', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---', '---']),
    ...result.rows.map((r) => line([
      r.scenario, r.keyward.rps, r.bare.rps, `${r.ratio.toFixed(2)} (${r.rounds.map((x) => x.toFixed(2)).join(', ')})`, `${r.keyward.p50} / ${r.keyward.p99}`, `${r.bare.p50} / ${r.bare.p99}`,
      `${r.keyward.errors}/${r.bare.errors}`, `${r.cpuMicrosPerRequest.keyward} / ${r.cpuMicrosPerRequest.bare} (${r.cpuRatio.toFixed(2)})`, `${r.target}, p99 < 50 ms, 0 errors`, r.met ? 'yes' : 'NO',
    ])),
    '',
    `sign-in flow (authorization code + PKCE + password at argon2id 19 MiB/t=2): ${result.signInFlow.keyward.flowsPerSecond} flows/s, p50 ${result.signInFlow.keyward.p50} ms, p99 ${result.signInFlow.keyward.p99} ms, ${result.signInFlow.keyward.errors} errors; argon2 limit ${result.signInFlow.argon2HashesPerSecond} verifications/s → ${result.signInFlow.ratioToArgon2Limit} of the limit (target ≥ 0.7): ${result.signInFlow.met ? 'met' : 'NOT met'}`,
    '',
    'sign-in flows side by side (Keyward only: bare oidc-provider has no second factor or passkeys; the same virtual users, alternating rounds):',
    line(['sign-in flow', 'flows/s', '× password (rounds)', 'p50 / p99 ms', 'server CPU ms/flow', 'errors']),
    line(['---', '---:', '---:', '---:', '---:', '---:']),
    ...([['password', result.signInFlows.password], ['password + authenticator app', result.signInFlows.passwordTotp], ['passkey (no password)', result.signInFlows.passkey]] as const).map(([name, f]) => line([
      name, f.flowsPerSecond, `${f.ratio.toFixed(2)} (${f.rounds.map((x) => x.toFixed(2)).join(', ')})`, `${f.p50} / ${f.p99}`, f.serverCpuMsPerFlow, f.errors ? `${f.errors} (${f.firstError})` : 0,
    ])),
    ...(result.signInFlows.totpWaitedMs ? [`(authenticator-app flows waited ${result.signInFlows.totpWaitedMs} ms for an account with a fresh code: that flow rate is understated)`] : []),
    '',
    `memory: Keyward RSS ${result.memory.keywardRssMiBAfterTokens} MiB after ${result.memory.tokensIssued} issued tokens (bare oidc-provider after the same: ${result.memory.bareRssMiBAfterTokens} MiB; target < 200 MiB): ${result.memory.met ? 'met' : 'NOT met'}`,
    `machine: ${JSON.stringify(result.machine)}`,
    ...(result.backend.measured ? [] : [`backend: ${result.backend.label}`]),
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}

await main();
