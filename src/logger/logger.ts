import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * Keys whose values are secrets wherever they appear in a log object (DESIGN.md, Conventions
 * 6), compared case-insensitively. `code` is an authorization code only inside request
 * parameters (query, body, params); elsewhere (err.code) it is a useful error code.
 */
const SECRET_KEYS = new Set([
  'password', 'newpassword', 'currentpassword', 'passwordhash', 'password_hash',
  'client_secret', 'clientsecret', 'secret', 'secrets', 'cookiesecrets',
  'code_verifier', 'access_token', 'refresh_token', 'id_token', 'token', 'assertion', 'logout_token',
  'authorization', 'cookie', 'set-cookie', 'privatejwk', 'privatekey', 'csrf', '_csrf',
]);
const PARAMETER_HOLDERS = new Set(['query', 'body', 'params']);
const CENSOR = '[redacted]';
const MAX_DEPTH = 6;

const isPlainContainer = (value: unknown): value is Record<string, unknown> => {
  if (value === null || typeof value !== 'object') return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return Array.isArray(value) || prototype === Object.prototype || prototype === null;
};

/**
 * A copy of `value` with secrets replaced, or `value` itself when it holds none. Only plain
 * objects and arrays are walked (errors go through pino's own serializer), so the common log
 * line — a flat object of primitives — costs one pass over its keys.
 */
export function redactSecrets<T>(value: T, parentKey = '', depth = 0): T {
  if (!isPlainContainer(value) || depth > MAX_DEPTH) return value;
  let copy: Record<string, unknown> | unknown[] | undefined;
  const entries = Array.isArray(value) ? value.entries() : Object.entries(value);
  for (const [key, inner] of entries) {
    const name = String(key).toLowerCase();
    const secret = SECRET_KEYS.has(name) || (name === 'code' && PARAMETER_HOLDERS.has(parentKey));
    const replaced = secret ? CENSOR : redactSecrets(inner, name, depth + 1);
    if (replaced !== inner) {
      copy ??= Array.isArray(value) ? [...value] : { ...value };
      (copy as Record<string, unknown>)[key as string] = replaced;
    }
  }
  return (copy ?? value) as T;
}

export interface LoggerOptions {
  level: string;
  pretty: boolean;
}

/** The one pino root; modules get `root.child({ module })`, requests `child({ reqId })`. */
export function createRootLogger(options: LoggerOptions, destination?: DestinationStream): Logger {
  const base = {
    level: options.level,
    base: { service: 'keyward' },
    formatters: { log: (object: Record<string, unknown>) => redactSecrets(object) },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (destination) return pino(base, destination);
  if (options.pretty) {
    return pino({ ...base, transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss', ignore: 'service' } } });
  }
  // Buffered writes to stdout: under load one write per 4 KiB instead of per line; otherwise
  // within 200 ms; and whatever is left when the process exits.
  // periodicFlush writes what is buffered; flush(callback) would also fsync stdout each time.
  const stdout = pino.destination({ dest: 1, sync: false, minLength: 4096, periodicFlush: 200 });
  flushAtExit(stdout);
  return pino(base, stdout);
}

type BufferedDestination = ReturnType<typeof pino.destination>;
const flushedAtExit = new Set<BufferedDestination>();

/** One exit listener for every buffered destination (a process that builds several loggers, such as the tests, adds no more). */
function flushAtExit(destination: BufferedDestination): void {
  if (flushedAtExit.size === 0) {
    process.once('exit', () => {
      for (const pending of flushedAtExit) {
        try {
          pending.flushSync();
        } catch {
          // an asynchronous write is still in flight: it completes on its own
        }
      }
    });
  }
  flushedAtExit.add(destination);
}
