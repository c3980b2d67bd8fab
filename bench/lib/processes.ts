import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync, readFileSync } from 'node:fs';

export { freePort } from '../../test/helpers/free-port.ts';

export interface Started {
  child: ChildProcess;
  stop(): Promise<void>;
  /** Resident set size of the process, from /proc (bytes). */
  rss(): number;
  /** CPU time the process has used, all threads, user + system, from /proc (µs). */
  cpuMicros(): number;
}

// /proc reports CPU times in USER_HZ ticks, which Linux fixes at 100 per second for user space.
const MICROS_PER_TICK = 10_000;

/**
 * Starts a Node script with `env`, its output straight into `logFile` (so the benchmark process,
 * which also runs the load generator, does not relay the server's logs), and waits until
 * `ready` appears there (at most 30 s). `cwd`: another checkout (bench/compare-sign-in.ts).
 */
export async function startNode(args: string[], env: Record<string, string>, logFile: string, ready: RegExp, cwd?: string): Promise<Started> {
  const log = openSync(logFile, 'w');
  const child = spawn(process.execPath, args, { cwd, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', log, log] });
  closeSync(log);
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${args.join(' ')} exited with ${child.exitCode}; see ${logFile}`);
    if (ready.test(readFileSync(logFile, 'utf8').slice(0, 100_000))) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${args.join(' ')} did not start within 30 s; see ${logFile}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    child,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
    rss() {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
    },
    cpuMicros() {
      // Fields after the parenthesised command name: utime and stime are the 12th and 13th (proc(5)).
      const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return (Number(fields[11]) + Number(fields[12])) * MICROS_PER_TICK;
    },
  };
}
