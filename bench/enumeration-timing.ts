/**
 * Sign-in answers for a real account (wrong password) and an unknown email, 1,000 attempts
 * each, interleaved, at the production argon2 cost: bodies and statuses must be identical and
 * the median times within 10% (no user enumeration by content or timing). Part of
 * `npm run hardening`; prints its figures and exits non-zero when a property fails.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { csrfTokenIn, locationOf, UserAgent } from '../test/helpers/user-agent.ts';
import { intOption } from './lib/options.ts';
import { freePort, startNode } from './lib/processes.ts';

const { values } = parseArgs({ options: { attempts: { type: 'string', default: '1000' } } });
const ATTEMPTS = intOption('attempts', values.attempts, 10, 5000);
const REAL = 'real.person@keyward.test';

const dir = mkdtempSync(join(tmpdir(), 'keyward-timing-'));
const port = await freePort();
const issuer = `http://127.0.0.1:${port}`;
const clientsFile = join(dir, 'clients.json');
writeFileSync(clientsFile, JSON.stringify({ clients: [{ client_id: 'timing-app', kind: 'public', redirect_uris: ['http://127.0.0.1:9/cb'] }] }));
const env = {
  NODE_ENV: 'test', HOST: '127.0.0.1', PORT: String(port), ISSUER: issuer, DATABASE_URL: `sqlite:${join(dir, 'k.sqlite')}`, CLIENTS_FILE: clientsFile,
  DEMO_DATA: 'false', LOG_LEVEL: 'warn', THROTTLE_SIGN_IN_PER_ACCOUNT: '1000', THROTTLE_SIGN_IN_PER_IP: '100000',
};
const cli = (args: string[], input = '') => {
  const result = spawnSync(process.execPath, ['bin/keyward.js', ...args], { env: { PATH: process.env.PATH ?? '', ...env }, input });
  if (result.status !== 0) throw new Error(`keyward ${args.join(' ')}: ${result.stderr}`);
};
cli(['migrate']);
cli(['users', 'add', '--email', REAL, '--password-stdin'], 'the real account passphrase\n');
const server = await startNode(['bin/keyward.js', 'start'], { ...env, LOG_LEVEL: 'info' }, join(dir, 'keyward.log'), /Keyward is listening/);

try {
  const agent = new UserAgent();
  const auth = `${issuer}/auth?client_id=timing-app&response_type=code&scope=openid&redirect_uri=${encodeURIComponent('http://127.0.0.1:9/cb')}&code_challenge=${'a'.repeat(43)}&code_challenge_method=S256`;
  const login = locationOf(await agent.get(auth), issuer);
  const csrf = csrfTokenIn(await (await agent.get(login)).text());
  const normalise = (html: string) => html.replace(/<code>[^<]*<\/code>/g, '').replace(/value="[^"]*"/g, '');
  const samples: Record<'real' | 'unknown', { ms: number[]; statuses: Set<number>; bodies: Set<string> }> = {
    real: { ms: [], statuses: new Set(), bodies: new Set() },
    unknown: { ms: [], statuses: new Set(), bodies: new Set() },
  };
  const email = { real: REAL, unknown: 'nobody.here@keyward.test' };
  for (let i = 0; i < ATTEMPTS; i += 1) {
    for (const kind of (i % 2 === 0 ? ['real', 'unknown'] : ['unknown', 'real']) as ('real' | 'unknown')[]) {
      const started = performance.now();
      const response = await agent.postForm(`${login}/login`, { _csrf: csrf, email: email[kind], password: `wrong password ${i}` });
      const body = await response.text();
      samples[kind].ms.push(performance.now() - started);
      samples[kind].statuses.add(response.status);
      samples[kind].bodies.add(normalise(body).replace(email[kind], 'EMAIL'));
    }
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const real = median(samples.real.ms);
  const unknown = median(samples.unknown.ms);
  const difference = Math.abs(real - unknown) / Math.max(real, unknown);
  const sameStatus = samples.real.statuses.size === 1 && [...samples.real.statuses].join() === [...samples.unknown.statuses].join();
  const sameBody = samples.real.bodies.size === 1 && [...samples.real.bodies].join() === [...samples.unknown.bodies].join();
  const result = {
    attemptsEach: ATTEMPTS,
    statuses: { real: [...samples.real.statuses], unknown: [...samples.unknown.statuses] },
    identicalStatus: sameStatus,
    identicalBody: sameBody,
    medianMs: { real: Math.round(real * 10) / 10, unknown: Math.round(unknown * 10) / 10 },
    medianDifference: `${(difference * 100).toFixed(1)}%`,
    met: sameStatus && sameBody && difference < 0.1,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exitCode = result.met ? 0 : 1;
} finally {
  await server.stop();
}
