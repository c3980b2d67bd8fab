import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createApp, createMetricsApp } from './app.ts';
import type { Config } from './config/schema.ts';
import { buildContainer, type Container, type ContainerOptions } from './container.ts';
import { StartupError, StoreUnavailableError } from './errors/app-error.ts';
import { createRootLogger, type Logger } from './logger/logger.ts';
import { isMongoUnavailable } from './stores/mongo/driver-errors.ts';
import { demoSignInInstructions } from './services/demo-data.service.ts';

export interface RunningServer {
  readonly server: Server;
  readonly container: Container;
  readonly port: number;
  /** The separate metrics listener's port, when METRICS_PORT is set. */
  readonly metricsPort: number | undefined;
  /** Stops accepting, lets in-flight requests finish within the bound, closes the store. */
  stop(): Promise<void>;
}

const RETRY_FIRST_MS = 1000;
const RETRY_MAX_MS = 30_000;

/** Raised by startServer when it was stopped before the store became reachable. */
export class StoppedBeforeReadyError extends Error {}

/**
 * loadConfig → buildContainer → createApp → listen (DESIGN.md, Layout), one lifecycle for
 * every backend: the port is taken at once (/healthz 200, everything else 503 while starting);
 * a store that is not reachable yet (a replica set still electing, a locked file) is retried
 * with exponential backoff, logging why; then the app serves, the metrics listener opens, and
 * stop() drains keep-alive connections whichever way it started. Any other start-up problem
 * stops with one message.
 */
export async function startServer(config: Config, overrides: Pick<ContainerOptions, 'logger' | 'clock'> = {}, abort?: AbortSignal): Promise<RunningServer> {
  const logger = overrides.logger ?? createRootLogger(config.log);
  const serving: { handle?: (req: IncomingMessage, res: ServerResponse) => void } = {};
  let draining = false;
  const server = createServer({ maxHeaderSize: 16 * 1024 }, (req, res) => {
    // While draining, close each keep-alive connection as soon as its response is done.
    res.once('finish', () => draining && setImmediate(() => server.closeIdleConnections()));
    if (draining) res.setHeader('Connection', 'close');
    (serving.handle ?? answerWhileStarting)(req, res);
  });
  await listen(server, config.http.port, config.http.host);
  const port = (server.address() as { port: number }).port;
  let container: Container;
  try {
    container = await buildWhenStoreReachable(config, { ...overrides, logger }, logger, abort);
  } catch (error) {
    server.close();
    throw error;
  }
  serving.handle = createApp(container).callback();
  const metricsServer = config.metrics.enabled && config.metrics.port ? createServer(createMetricsApp(container).callback()) : undefined;
  if (metricsServer) {
    try {
      await listen(metricsServer, config.metrics.port!, config.metrics.host);
    } catch (error) {
      server.close();
      await container.close();
      throw error;
    }
  }
  logger.info({ issuer: config.issuer, port, env: config.env, pid: process.pid }, 'Keyward is listening');

  let stopping: Promise<void> | undefined;
  const stop = () => {
    draining = true;
    metricsServer?.close();
    return (stopping ??= shutdown(server, container, config.http.shutdownTimeoutMs));
  };
  return { server, container, port, metricsPort: metricsServer ? (metricsServer.address() as { port: number }).port : undefined, stop };
}

/** SQLite is migrated by start itself, so `npm start` is one command; MongoDB needs `keyward migrate` (DESIGN.md, Storage). */
async function buildWhenStoreReachable(config: Config, options: Pick<ContainerOptions, 'logger' | 'clock'>, logger: Logger, abort: AbortSignal | undefined): Promise<Container> {
  for (let attempt = 1, delay = RETRY_FIRST_MS; ; attempt += 1, delay = Math.min(delay * 2, RETRY_MAX_MS)) {
    if (abort?.aborted) throw new StoppedBeforeReadyError('stopped before the database was reachable');
    try {
      return await buildContainer(config, { ...options, migrate: config.database.kind === 'sqlite' });
    } catch (error) {
      if (!(error instanceof StoreUnavailableError) && !isMongoUnavailable(error)) throw error;
      logger.warn({ attempt, retryInMs: delay, reason: (error as Error).message.split('\n')[0] }, 'the database is not reachable; retrying');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        timer.unref();
        abort?.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve();
        }, { once: true });
      });
    }
  }
}

async function listen(server: Server, port: number, host: string): Promise<void> {
  try {
    server.listen(port, host);
    await once(server, 'listening');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new StartupError(`Port ${port} is already in use on ${host}: stop the other process or set PORT`);
    if (code === 'EACCES') throw new StartupError(`Not allowed to listen on port ${port}: choose a port above 1023 with PORT`);
    throw new StartupError(`Cannot listen on ${host}:${port}: ${(error as Error).message}`, error);
  }
}

async function shutdown(server: Server, container: Container, timeoutMs: number): Promise<void> {
  container.logger.info('shutting down: no new connections, finishing in-flight requests');
  const closed = once(server, 'close');
  server.close();
  server.closeIdleConnections();
  const deadline = setTimeout(() => {
    container.logger.warn({ timeoutMs }, 'in-flight requests did not finish in time; closing their connections');
    server.closeAllConnections();
  }, timeoutMs);
  deadline.unref();
  await closed;
  clearTimeout(deadline);
  await container.close();
  container.logger.info('stopped');
}

/** Runs until SIGTERM or SIGINT, then shuts down gracefully and exits 0 — also while still waiting for the store. */
export async function runUntilSignalled(config: Config): Promise<void> {
  const logger = createRootLogger(config.log);
  const abort = new AbortController();
  let running: RunningServer | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'signal received');
    abort.abort();
    (running ? running.stop() : Promise.resolve()).then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  try {
    running = await startServer(config, { logger }, abort.signal);
  } catch (error) {
    if (error instanceof StoppedBeforeReadyError) return;
    throw error;
  }
  // Printed, not logged: the demo password is public, but logs never carry a password.
  if (config.demoData) process.stdout.write(`\n${demoSignInInstructions(config.issuer)}\n\n`);
}

function answerWhileStarting(req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? '').split('?')[0];
  const body = path === '/healthz'
    ? { status: 'ok' }
    : path === '/readyz' ? { status: 'starting', reason: 'waiting for the database' } : { error: 'temporarily_unavailable', error_description: 'Keyward is starting. Try again in a moment.' };
  res.writeHead(path === '/healthz' ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store', 'retry-after': '5' });
  res.end(JSON.stringify(body));
}
