import { createHash, randomBytes } from 'node:crypto';
import argon2 from 'argon2';
import { signInAndConsent, UserAgent } from '../../test/helpers/user-agent.ts';
import { APP, basic, USER } from './fixtures.ts';
import { httpFetch } from './http-fetch.ts';

/** Drives the browser from an authorization URL to the redirect back to the client (with its code). */
export type SignIn = (agent: UserAgent, authorizationUrl: URL) => Promise<URL>;

/** The password sign-in (and consent) of the bench user, or of `credentials`. */
export const passwordSignIn = (credentials: { email: string; password: string } = USER): SignIn => (agent, url) => signInAndConsent(agent, url, credentials);

/** One authorization code + PKCE flow (sign-in and consent as the server asks), then the code exchange. */
export async function codeFlow(issuer: string, agent = new UserAgent(httpFetch), signIn: SignIn = passwordSignIn()): Promise<{ access_token: string; refresh_token: string }> {
  const verifier = randomBytes(32).toString('base64url');
  const url = new URL(`${issuer}/auth`);
  url.search = new URLSearchParams({
    client_id: APP.client_id, response_type: 'code', scope: 'openid read', redirect_uri: APP.redirect_uri, state: randomBytes(8).toString('hex'),
    code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256',
  }).toString();
  const callback = await signIn(agent, url);
  const code = callback.searchParams.get('code');
  if (!code) throw new Error(`no code: ${callback.href}`);
  const response = await httpFetch(`${issuer}/token`, {
    method: 'POST',
    headers: { authorization: basic(APP), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: APP.redirect_uri, code_verifier: verifier }),
  });
  if (response.status !== 200) throw new Error(`token endpoint answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as { access_token: string; refresh_token: string };
}

export interface FlowResult {
  flowsPerSecond: number;
  p50: number;
  p99: number;
  errors: number;
  flows: number;
  /** The first error's message, to say why when there are errors. */
  firstError?: string;
}

const percentile = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : 0);

/**
 * `users` virtual users each run complete flows, every one with a new browser, for
 * `durationSeconds`: the bench user's password flow, or `flow(user)` (bench/lib/mfa-flows.ts).
 */
export async function loadFlows(issuer: string, users: number, durationSeconds: number, flow: (user: number) => Promise<unknown> = () => codeFlow(issuer)): Promise<FlowResult> {
  const deadline = Date.now() + durationSeconds * 1000;
  const durations: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const started = Date.now();
  await Promise.all(Array.from({ length: users }, async (_, user) => {
    while (Date.now() < deadline) {
      const begin = performance.now();
      try {
        await flow(user);
        durations.push(performance.now() - begin);
      } catch (error) {
        errors += 1;
        firstError ??= (error as Error).message;
      }
    }
  }));
  const elapsed = (Date.now() - started) / 1000;
  durations.sort((a, b) => a - b);
  return { flowsPerSecond: durations.length / elapsed, p50: percentile(durations, 50), p99: percentile(durations, 99), errors, flows: durations.length, ...(firstError ? { firstError } : {}) };
}

/** argon2id verifications per second at the given cost, with enough concurrency to fill every core. */
export async function argon2Limit(cost: { memoryCost: number; timeCost: number; parallelism: number }, durationSeconds: number): Promise<number> {
  const hash = await argon2.hash(USER.password, { type: argon2.argon2id, ...cost });
  const deadline = Date.now() + durationSeconds * 1000;
  let done = 0;
  const started = Date.now();
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (Date.now() < deadline) {
      await argon2.verify(hash, USER.password);
      done += 1;
    }
  }));
  return done / ((Date.now() - started) / 1000);
}

export interface AlternatedFlow {
  flowsPerSecond: number;
  /** Median of the rounds' ratios of this flow's flows/s to the first flow's. */
  ratio: number;
  rounds: number[];
  /** Median of the rounds' p50; the worst round's p99. */
  p50: number;
  p99: number;
  errors: number;
  firstError?: string;
  /** Server CPU (all threads) per flow over all rounds (ms). */
  serverCpuMsPerFlow: number;
}

/**
 * Several kinds of flow against one server, like the scenarios of bench/run.ts: an uncounted
 * 1-s warm-up of each, then `rounds` rounds of `roundSeconds` per kind, the order rotating each
 * round, since this machine's speed drifts over seconds; ratios are to the first kind.
 */
export async function alternateFlows<K extends string>(
  issuer: string, users: number, rounds: number, roundSeconds: number, kinds: Record<K, (user: number) => Promise<unknown>>, serverCpuMicros: () => number,
): Promise<Record<K, AlternatedFlow>> {
  const names = Object.keys(kinds) as K[];
  for (const name of names) await loadFlows(issuer, users, 1, kinds[name]);
  const results = new Map<K, (FlowResult & { cpuMicros: number })[]>(names.map((name) => [name, []]));
  for (let round = 0; round < rounds; round += 1) {
    for (let i = 0; i < names.length; i += 1) {
      const name = names[(round + i) % names.length]!;
      const before = serverCpuMicros();
      const result = await loadFlows(issuer, users, roundSeconds, kinds[name]);
      results.get(name)!.push({ ...result, cpuMicros: serverCpuMicros() - before });
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  const first = results.get(names[0]!)!;
  return Object.fromEntries(names.map((name) => {
    const rs = results.get(name)!;
    const flows = rs.reduce((sum, r) => sum + r.flows, 0);
    const seconds = rs.reduce((sum, r) => sum + (r.flows ? r.flows / r.flowsPerSecond : roundSeconds), 0);
    const ratios = rs.map((r, i) => Math.round((r.flowsPerSecond / first[i]!.flowsPerSecond) * 100) / 100);
    const firstError = rs.find((r) => r.firstError)?.firstError;
    return [name, {
      flowsPerSecond: flows / seconds, ratio: median(ratios), rounds: ratios, p50: median(rs.map((r) => r.p50)), p99: Math.max(...rs.map((r) => r.p99)),
      errors: rs.reduce((sum, r) => sum + r.errors, 0), ...(firstError ? { firstError } : {}), serverCpuMsPerFlow: rs.reduce((sum, r) => sum + r.cpuMicros, 0) / 1000 / Math.max(1, flows),
    }];
  })) as Record<K, AlternatedFlow>;
}
