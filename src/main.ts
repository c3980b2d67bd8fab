import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createApp, createMetricsApp } from './app.ts';
import type { Config } from './config/schema.ts';
import { buildContainer, type Container, type ContainerOptions } from './container.ts';
import { StartupError, StoreUnavailableError } from './errors/app-error.ts';
import { createRootLogger } from './logger/logger.ts';
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

/** loadConfig → buildContainer → createApp → listen (DESIGN.md, Layout). */
export async function startServer(config: Config, overrides: Pick<ContainerOptions, 'logger' | 'clock'> = {}): Promise<RunningServer> {
  // SQLite is migrated by start itself, so `npm start` is one command (DESIGN.md, Storage).
  const container = await buildContainer(config, { ...overrides, migrate: config.database.kind === 'sqlite' });
  const handle = createApp(container).callback();
  let draining = false;
  const server = createServer({ maxHeaderSize: 16 * 1024 }, (req, res) => {
    // While draining, close each keep-alive connection as soon as its response is done.
    res.once('finish', () => draining && setImmediate(() => server.closeIdleConnections()));
    if (draining) res.setHeader('Connection', 'close');
    void handle(req, res);
  });
  try {
    await listen(server, config.http.port, config.http.host);
  } catch (error) {
    await container.close();
    throw error;
  }
  const port = (server.address() as { port: number }).port;
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
  container.logger.info({ issuer: config.issuer, port, env: config.env, pid: process.pid }, 'Keyward is listening');

  let stopping: Promise<void> | undefined;
  const stop = () => {
    draining = true;
    metricsServer?.close();
    return (stopping ??= shutdown(server, container, config.http.shutdownTimeoutMs));
  };
  return { server, container, port, metricsPort: metricsServer ? (metricsServer.address() as { port: number }).port : undefined, stop };
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

/** Runs until SIGTERM or SIGINT, then shuts down gracefully and exits 0. */
export async function runUntilSignalled(config: Config): Promise<void> {
  if (config.database.kind === 'mongo') return runWhenDatabaseReachable(config);
  const running = await startServer(config);
  // Printed, not logged: the demo password is public, but logs never carry a password.
  if (config.demoData) process.stdout.write(`\n${demoSignInInstructions(config.issuer)}\n\n`);
  const onSignal = (signal: NodeJS.Signals) => {
    running.container.logger.info({ signal }, 'signal received');
    running.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}

const RETRY_FIRST_MS = 1000;
const RETRY_MAX_MS = 30_000;

/**
 * MongoDB may not be reachable yet (a replica set still electing, a network not up): listen
 * at once — /healthz 200, /readyz and everything else 503 — and retry with exponential
 * backoff, logging why, until the store answers; then serve. A missing index or another
 * start-up problem still stops Keyward with one message.
 */
async function runWhenDatabaseReachable(config: Config): Promise<void> {
  const logger = createRootLogger(config.log);
  const serving: { handle?: (req: IncomingMessage, res: ServerResponse) => void } = {};
  const server = createServer({ maxHeaderSize: 16 * 1024 }, (req, res) => (serving.handle ? serving.handle(req, res) : answerWhileStarting(req, res)));
  await listen(server, config.http.port, config.http.host);
  logger.info({ issuer: config.issuer, port: config.http.port }, 'Keyward is listening; connecting to the database');
  let stopped = false;
  let container: Container | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    stopped = true;
    logger.info({ signal }, 'signal received');
    const stopping = container ? shutdown(server, container, config.http.shutdownTimeoutMs) : new Promise<void>((resolve) => server.close(() => resolve()));
    stopping.then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  for (let attempt = 1, delay = RETRY_FIRST_MS; !stopped; attempt += 1, delay = Math.min(delay * 2, RETRY_MAX_MS)) {
    try {
      container = await buildContainer(config, { migrate: false, logger });
      break;
    } catch (error) {
      if (!(error instanceof StoreUnavailableError) && !isMongoUnavailable(error)) throw error;
      logger.warn({ attempt, retryInMs: delay, reason: (error as Error).message.split('\n')[0] }, 'the database is not reachable; retrying');
      await new Promise((resolve) => setTimeout(resolve, delay).unref());
    }
  }
  if (!container || stopped) return;
  serving.handle = createApp(container).callback();
  logger.info('connected to the database; serving');
}

function answerWhileStarting(req: IncomingMessage, res: ServerResponse): void {
  const body = req.url === '/healthz'
    ? { status: 'ok' }
    : req.url === '/readyz' ? { status: 'starting', reason: 'waiting for the database' } : { error: 'temporarily_unavailable', error_description: 'Keyward is starting. Try again in a moment.' };
  res.writeHead(req.url === '/healthz' ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store', 'retry-after': '5' });
  res.end(JSON.stringify(body));
}
