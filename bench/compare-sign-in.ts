/**
 * node bench/compare-sign-in.ts --before <checkout> [--rounds 6 --seconds 8 --users 16]
 *
 * The password sign-in flow (bench/lib/flows.ts, the one `npm run bench` reports) of this
 * checkout against another checkout of Keyward — e.g. a git worktree of the commit before a
 * change, with node_modules linked — each started from its own bin/keyward.js on its own SQLite
 * file with the production argon2 cost, in alternating rounds (after, before; before, after; …)
 * after an uncounted warm-up, because this machine's speed drifts over seconds. Prints each
 * round, then the medians and the after/before ratios (median of the rounds' ratios) of flows/s
 * and of server CPU per flow (the steadier figure). Traffic to 127.0.0.1 only, bounded in time.
 */
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { prepareBackend } from './lib/backend.ts';
import { loadFlows } from './lib/flows.ts';
import { startKeyward, type KeywardTarget } from './lib/keyward-process.ts';
import { intOption } from './lib/options.ts';

const { values } = parseArgs({ options: { before: { type: 'string' }, rounds: { type: 'string', default: '6' }, seconds: { type: 'string', default: '8' }, users: { type: 'string', default: '16' } } });
if (!values.before || !existsSync(join(values.before, 'bin/keyward.js')) || !existsSync(join(values.before, 'node_modules'))) {
  process.stderr.write('--before must be a Keyward checkout with bin/keyward.js and node_modules (e.g. git worktree add /tmp/kw-before <commit> && ln -s "$PWD/node_modules" /tmp/kw-before/node_modules)\n');
  process.exit(2);
}
const ROUNDS = intOption('rounds', values.rounds, 1, 20);
const SECONDS = intOption('seconds', values.seconds, 1, 60);
const USERS = intOption('users', values.users, 1, 64);

interface Measured { flowsPerSecond: number; p50: number; p99: number; errors: number; cpuMsPerFlow: number }

async function round(target: KeywardTarget, seconds: number): Promise<Measured> {
  const cpu = target.server.cpuMicros();
  const result = await loadFlows(target.issuer, USERS, seconds);
  if (result.firstError) process.stderr.write(`  error: ${result.firstError}\n`);
  return { flowsPerSecond: result.flowsPerSecond, p50: result.p50, p99: result.p99, errors: result.errors, cpuMsPerFlow: (target.server.cpuMicros() - cpu) / 1000 / Math.max(1, result.flows) };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fixed = (x: number, digits = 1) => x.toFixed(digits);

const dir = mkdtempSync(join(tmpdir(), 'keyward-compare-'));
const start = async (name: string, root: string) => {
  const sub = join(dir, name);
  mkdirSync(sub);
  return startKeyward(sub, await prepareBackend('sqlite', sub, process.env), root, name);
};
const targets: Partial<Record<'after' | 'before', KeywardTarget>> = {};
try {
  targets.after = await start('after', '.');
  targets.before = await start('before', resolve(values.before));
  const sides = { after: targets.after, before: targets.before };
  process.stderr.write(`after: ${resolve('.')}, before: ${resolve(values.before)}; ${USERS} users, ${ROUNDS} rounds of ${SECONDS} s each; warm-up …\n`);
  for (const target of Object.values(sides)) await loadFlows(target.issuer, USERS, 2);
  const results: Record<'after' | 'before', Measured[]> = { after: [], before: [] };
  const lines = ['| round | tree | flows/s | p50 / p99 ms | server CPU ms/flow | errors |', '| ---: | --- | ---: | ---: | ---: | ---: |'];
  for (let r = 0; r < ROUNDS; r += 1) {
    for (const side of r % 2 === 0 ? (['after', 'before'] as const) : (['before', 'after'] as const)) {
      const m = await round(sides[side], SECONDS);
      results[side].push(m);
      lines.push(`| ${r + 1} | ${side} | ${fixed(m.flowsPerSecond)} | ${Math.round(m.p50)} / ${Math.round(m.p99)} | ${fixed(m.cpuMsPerFlow)} | ${m.errors} |`);
      process.stderr.write(`${lines.at(-1)}\n`);
    }
  }
  const summary = (side: 'after' | 'before') => ({
    flowsPerSecond: Number(fixed(median(results[side].map((m) => m.flowsPerSecond)))), p50: Math.round(median(results[side].map((m) => m.p50))),
    p99: Math.round(median(results[side].map((m) => m.p99))), cpuMsPerFlow: Number(fixed(median(results[side].map((m) => m.cpuMsPerFlow)))),
    errors: results[side].reduce((sum, m) => sum + m.errors, 0),
  });
  const ratios = results.after.map((m, i) => ({ flows: m.flowsPerSecond / results.before[i]!.flowsPerSecond, cpu: results.before[i]!.cpuMsPerFlow / m.cpuMsPerFlow }));
  const report = {
    after: summary('after'), before: summary('before'),
    // Above 1: this checkout is faster (more flows/s; less CPU per flow).
    flowsRatio: Number(fixed(median(ratios.map((x) => x.flows)), 2)), flowsRatioRounds: ratios.map((x) => Number(fixed(x.flows, 2))),
    cpuRatio: Number(fixed(median(ratios.map((x) => x.cpu)), 2)), cpuRatioRounds: ratios.map((x) => Number(fixed(x.cpu, 2))),
  };
  process.stdout.write(`${lines.join('\n')}\n\nmedians (p99: median of the rounds' p99), after/before ratios (median of the rounds'; above 1 is faster):\n${JSON.stringify(report, null, 2)}\n`);
} finally {
  await targets.after?.server.stop();
  await targets.before?.server.stop();
}
