import { runCli } from '../../src/cli/main.ts';
import type { Clock } from '../../src/lib/clock.ts';

export interface CliRun {
  code: number;
  out: string;
  err: string;
  /** stdout parsed as JSON (for --json runs). */
  json<T = Record<string, unknown>>(): T;
}

/** Runs the keyward CLI in-process against the given environment, with buffers for its output. */
export async function keyward(env: Record<string, string>, argv: string[], options: { stdin?: string; clock?: Clock } = {}): Promise<CliRun> {
  let out = '';
  let err = '';
  const io = {
    env: { NODE_ENV: 'test', ARGON2_MEMORY_KIB: '1024', ARGON2_TIME_COST: '1', ...env },
    out: (text: string) => (out += text.endsWith('\n') ? text : `${text}\n`),
    err: (text: string) => (err += text.endsWith('\n') ? text : `${text}\n`),
    readStdin: async () => options.stdin ?? '',
  };
  const code = await runCli(argv, io, options.clock ? { clock: options.clock } : {});
  return { code, out, err, json: <T>() => JSON.parse(out) as T };
}
