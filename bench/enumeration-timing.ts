/**
 * Answers for a real account and for an unknown address, interleaved, at the production argon2
 * cost, with mail delivered through a local SMTP server: sign-in (wrong password), registration
 * (a taken address against a new one) and password-reset requests. Each pair's bodies and
 * statuses must be identical and its median times within 10% (no user enumeration by content
 * or timing). Part of `npm run hardening`; prints its figures and exits non-zero when a property fails.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SMTPServer } from 'smtp-server';
import { csrfTokenIn, locationOf, UserAgent } from '../test/helpers/user-agent.ts';
import { intOption } from './lib/options.ts';
import { freePort, startNode } from './lib/processes.ts';

const { values } = parseArgs({ options: { attempts: { type: 'string', default: '1000' }, 'request-attempts': { type: 'string', default: '300' } } });
const SIGN_IN_ATTEMPTS = intOption('attempts', values.attempts, 10, 5000);
const REQUEST_ATTEMPTS = intOption('request-attempts', values['request-attempts'], 10, 2000);
const REAL = 'real.person@keyward.test';

// A mail sink on loopback: a real SMTP round trip for every mail, as in production.
const smtp = new SMTPServer({ authOptional: true, disabledCommands: ['STARTTLS'], logger: false, onData: (stream, _session, done) => stream.on('end', () => done()).resume() });
const smtpPort = await freePort();
await new Promise<void>((resolve) => smtp.listen(smtpPort, '127.0.0.1', resolve));

const dir = mkdtempSync(join(tmpdir(), 'keyward-timing-'));
const port = await freePort();
const issuer = `http://127.0.0.1:${port}`;
const clientsFile = join(dir, 'clients.json');
writeFileSync(clientsFile, JSON.stringify({ clients: [{ client_id: 'timing-app', kind: 'public', redirect_uris: ['http://127.0.0.1:9/cb'] }] }));
const env = {
  NODE_ENV: 'test', HOST: '127.0.0.1', PORT: String(port), ISSUER: issuer, DATABASE_URL: `sqlite:${join(dir, 'k.sqlite')}`, CLIENTS_FILE: clientsFile,
  DEMO_DATA: 'false', LOG_LEVEL: 'warn', SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
  THROTTLE_SIGN_IN_PER_ACCOUNT: '1000', THROTTLE_SIGN_IN_PER_IP: '100000', THROTTLE_REQUESTS_PER_EMAIL: '1000', THROTTLE_REQUESTS_PER_IP: '100000',
};
const cli = (args: string[], input = '') => {
  const result = spawnSync(process.execPath, ['bin/keyward.js', ...args], { env: { PATH: process.env.PATH ?? '', ...env }, input });
  if (result.status !== 0) throw new Error(`keyward ${args.join(' ')}: ${result.stderr}`);
};
cli(['migrate']);
cli(['users', 'add', '--email', REAL, '--password-stdin'], 'the real account passphrase\n');
const server = await startNode(['bin/keyward.js', 'start'], { ...env, LOG_LEVEL: 'info' }, join(dir, 'keyward.log'), /Keyward is listening/);

type Side = 'real' | 'unknown';
/** One request for `side`; returns its status and its body with what may differ (address, tokens) blanked. */
type Probe = (side: Side, i: number) => Promise<{ status: number; body: string }>;
const normalise = (html: string) => html.replace(/<code>[^<]*<\/code>/g, '').replace(/value="[^"]*"/g, '');
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const tenths = (ms: number) => Math.round(ms * 10) / 10;

async function compare(attempts: number, probe: Probe) {
  const samples = { real: { ms: [] as number[], statuses: new Set<number>(), bodies: new Set<string>() }, unknown: { ms: [] as number[], statuses: new Set<number>(), bodies: new Set<string>() } };
  for (let i = 0; i < attempts; i += 1) {
    for (const side of (i % 2 === 0 ? ['real', 'unknown'] : ['unknown', 'real']) as Side[]) {
      const started = performance.now();
      const { status, body } = await probe(side, i);
      samples[side].ms.push(performance.now() - started);
      samples[side].statuses.add(status);
      samples[side].bodies.add(body);
    }
  }
  const real = median(samples.real.ms);
  const unknown = median(samples.unknown.ms);
  const difference = Math.abs(real - unknown) / Math.max(real, unknown);
  const identicalStatus = samples.real.statuses.size === 1 && [...samples.real.statuses].join() === [...samples.unknown.statuses].join();
  const identicalBody = samples.real.bodies.size === 1 && [...samples.real.bodies].join() === [...samples.unknown.bodies].join();
  return {
    attemptsEach: attempts,
    statuses: { real: [...samples.real.statuses], unknown: [...samples.unknown.statuses] },
    identicalStatus, identicalBody,
    medianMs: { real: tenths(real), unknown: tenths(unknown) },
    medianDifference: `${(difference * 100).toFixed(1)}%`,
    met: identicalStatus && identicalBody && difference < 0.1,
  };
}

/** Posts a form from its page (CSRF token included) as `agent`. */
async function submit(agent: UserAgent, path: string, fields: Record<string, string>) {
  const csrf = csrfTokenIn(await (await agent.get(`${issuer}${path}`)).text());
  const response = await agent.postForm(`${issuer}${path}`, { _csrf: csrf, ...fields });
  return { status: response.status, body: await response.text() };
}

try {
  const agent = new UserAgent();
  const auth = `${issuer}/auth?client_id=timing-app&response_type=code&scope=openid&redirect_uri=${encodeURIComponent('http://127.0.0.1:9/cb')}&code_challenge=${'a'.repeat(43)}&code_challenge_method=S256`;
  const login = locationOf(await agent.get(auth), issuer);
  const csrf = csrfTokenIn(await (await agent.get(login)).text());
  const signInEmail = { real: REAL, unknown: 'nobody.here@keyward.test' };
  const signIn = await compare(SIGN_IN_ATTEMPTS, async (side, i) => {
    const response = await agent.postForm(`${login}/login`, { _csrf: csrf, email: signInEmail[side], password: `wrong password ${i}` });
    return { status: response.status, body: normalise(await response.text()).replace(signInEmail[side], 'EMAIL') };
  });
  // Registration: the real address is taken (its owner is mailed); the other is new every time.
  const registration = await compare(REQUEST_ATTEMPTS, async (side, i) => {
    const email = side === 'real' ? REAL : `new.person.${i}@keyward.test`;
    const { status, body } = await submit(new UserAgent(), '/register', { email, password: `a new passphrase ${i}`, name: '' });
    return { status, body: normalise(body).replace(email, 'EMAIL') };
  });
  const resetEmail = { real: REAL, unknown: 'nobody.here@keyward.test' };
  const reset = await compare(REQUEST_ATTEMPTS, async (side) => {
    const { status, body } = await submit(new UserAgent(), '/forgot-password', { email: resetEmail[side] });
    return { status, body: normalise(body).replace(resetEmail[side], 'EMAIL') };
  });
  const result = { signIn, registration, reset, met: signIn.met && registration.met && reset.met };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exitCode = result.met ? 0 : 1;
} finally {
  await server.stop();
  smtp.close();
}
