/**
 * npm run hardening: the hardening suites (fuzzing with more cases, races, faults, abuse),
 * then the answer-timing comparison (sign-in, registration, reset), and a summary of the figures.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const run = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });

process.stderr.write('hardening suites …\n');
const suites = run(['--experimental-vm-modules', 'node_modules/jest/bin/jest.js', 'test/hardening'], { FUZZ_RUNS: process.env.FUZZ_RUNS ?? '300' });
process.stderr.write('answer timing: sign-in (1,000 attempts each), registration and reset (300 each) …\n');
const timing = run(['bench/enumeration-timing.ts']);

const fuzz = JSON.parse(readFileSync('test-artifacts/hardening/fuzz.json', 'utf8')) as { runsPerProperty: number; endpoints: Record<string, Record<string, number>> };
const rows = Object.entries(fuzz.endpoints).map(([endpoint, c]) => `| ${endpoint} | ${c.requests} | ${c['2xx']} | ${c['3xx']} | ${c['4xx']} | ${c['5xx']} |`);
const total = Object.values(fuzz.endpoints).reduce((sum, c) => sum + (c.requests ?? 0), 0);
const fiveHundreds = Object.values(fuzz.endpoints).reduce((sum, c) => sum + (c['5xx'] ?? 0), 0);
process.stdout.write([
  `Fuzzing (${fuzz.runsPerProperty} cases per property): ${total} requests, ${fiveHundreds} answers 5xx; no stack trace and no unescaped echo (asserted per request).`,
  '| endpoint | requests | 2xx | 3xx | 4xx | 5xx |', '| --- | ---: | ---: | ---: | ---: | ---: |', ...rows,
  '',
  `Hardening suites (fuzzing, races, faults, abuse): ${suites.status === 0 ? 'passed' : 'FAILED'}`,
  `Answer timing (sign-in, registration, reset): ${timing.stdout.trim()}`,
].join('\n'));
process.stdout.write('\n');
process.exitCode = suites.status === 0 && timing.status === 0 ? 0 : 1;
