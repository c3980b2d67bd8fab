import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';
import type { RelyingPartyContext, RelyingPartyDriver, Revoked, SignedIn } from './relying-party-suite.ts';

/** How long one step of a client script may take (interpreter start-up, token calls). */
const STEP_TIMEOUT_MS = 30_000;

/**
 * Fails — never skips — when a tool the interop tests need is missing, saying what to install.
 * `.ci/run` installs them; a developer machine may not have them yet.
 */
export function requireTool(command: string[], install: string): void {
  const result = spawnSync(command[0]!, command.slice(1), { encoding: 'utf8', timeout: 20_000 });
  if (result.error || result.status !== 0) {
    const reason = result.error ? result.error.message : (result.stderr || result.stdout).trim().split('\n').slice(-3).join(' ');
    throw new Error(`interop test prerequisite missing: \`${command.join(' ')}\` failed (${reason}). Install it with: ${install} (as .ci/run does)`);
  }
}

/**
 * A relying party written in another language, as a script that speaks JSON lines:
 *   prints {"authorization_url"}            → reads the callback URL the test reached
 *   prints {"signed_in": SignedIn}          → reads "revoke"
 *   prints {"revoked": Revoked} and exits 0.
 * Any failure is a line {"error": "..."} and a non-zero exit. Configuration comes in the
 * environment (KEYWARD_ISSUER, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, SCOPE). Every wait is bounded.
 */
export class ScriptDriver implements RelyingPartyDriver {
  private child?: ChildProcessWithoutNullStreams;

  private lines?: AsyncIterator<string>;

  private reader?: Interface;

  private stderr = '';

  private readonly command: string[];

  private readonly context: RelyingPartyContext;

  private readonly env: Record<string, string>;

  constructor(command: string[], context: RelyingPartyContext, env: Record<string, string> = {}) {
    this.command = command;
    this.context = context;
    this.env = env;
  }

  async start(): Promise<URL> {
    const child = spawn(this.command[0]!, this.command.slice(1), {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: process.env.HOME ?? '/tmp',
        LANG: 'C.UTF-8',
        // Only loopback is ever contacted; no proxy may be in the way.
        NO_PROXY: '127.0.0.1,localhost',
        no_proxy: '127.0.0.1,localhost',
        KEYWARD_ISSUER: this.context.issuer,
        CLIENT_ID: this.context.clientId,
        CLIENT_SECRET: this.context.clientSecret ?? '',
        REDIRECT_URI: this.context.redirectUri,
        SCOPE: this.context.scope,
        ...this.env,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-8_000);
    });
    this.reader = createInterface({ input: child.stdout });
    this.lines = this.reader[Symbol.asyncIterator]();
    const { authorization_url: url } = await this.next<{ authorization_url: string }>('authorization_url');
    return new URL(url);
  }

  async finish(callback: URL): Promise<SignedIn> {
    this.child!.stdin.write(`${callback.href}\n`);
    return (await this.next<{ signed_in: SignedIn }>('signed_in')).signed_in;
  }

  async revoke(): Promise<Revoked> {
    this.child!.stdin.write('revoke\n');
    const { revoked } = await this.next<{ revoked: Revoked }>('revoked');
    this.child!.stdin.end();
    return revoked;
  }

  async close(): Promise<void> {
    this.reader?.close();
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }

  /** Waits (bounded) for the script to exit, so that its stderr is complete for the message. */
  private async exited(withinMs: number): Promise<void> {
    const child = this.child!;
    if (child.exitCode !== null || child.signalCode !== null) return;
    await Promise.race([new Promise((resolve) => child.once('exit', resolve)), new Promise((resolve) => setTimeout(resolve, withinMs).unref())]);
  }

  /** The script's next JSON line, which must carry `key`; its error or silence fails the step. */
  private async next<T>(key: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${this.command.join(' ')} printed no "${key}" line within ${STEP_TIMEOUT_MS} ms; stderr:\n${this.stderr}`)), STEP_TIMEOUT_MS);
    });
    try {
      const line = await Promise.race([this.lines!.next(), timeout]);
      if (line.done) await this.exited(2_000);
      if (line.done) throw new Error(`${this.command.join(' ')} exited (code ${this.child!.exitCode}) before printing "${key}"; stderr:\n${this.stderr}`);
      let message: Record<string, unknown>;
      try {
        message = JSON.parse(line.value) as Record<string, unknown>;
      } catch {
        throw new Error(`${this.command.join(' ')} printed a line that is not JSON: ${line.value.slice(0, 300)}; stderr:\n${this.stderr}`);
      }
      if ('error' in message) {
        await this.exited(2_000);
        throw new Error(`${this.command.join(' ')} failed: ${String(message.error)}\nstderr:\n${this.stderr}`);
      }
      if (!(key in message)) throw new Error(`${this.command.join(' ')} printed ${line.value.slice(0, 300)}, expected "${key}"`);
      return message as T;
    } finally {
      clearTimeout(timer);
    }
  }
}
