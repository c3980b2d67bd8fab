import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, readFileSync } from 'node:fs';

export { freePort } from '../../test/helpers/free-port.ts';

export interface Started {
  child: ChildProcess;
  stop(): Promise<void>;
  /** Resident set size of the process, from /proc (bytes). */
  rss(): number;
}

/** Starts a Node script with `env`, its output into `logFile`, and waits until `ready` is printed (at most 30 s). */
export async function startNode(args: string[], env: Record<string, string>, logFile: string, ready: RegExp): Promise<Started> {
  const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = createWriteStream(logFile);
  let seen = '';
  const isReady = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args.join(' ')} did not start within 30 s; see ${logFile}`)), 30_000);
    const watch = (chunk: Buffer) => {
      if (seen.length < 100_000) seen += chunk.toString();
      if (ready.test(seen)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', watch);
    child.stderr!.on('data', watch);
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}; see ${logFile}`)));
  });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  await isReady;
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
  };
}
