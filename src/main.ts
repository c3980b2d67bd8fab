import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { createApp, createMetricsApp } from './app.ts';
import type { Config } from './config/schema.ts';
import { buildContainer, type Container, type ContainerOptions } from './container.ts';
import { StartupError } from './errors/app-error.ts';
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
  container.logger.info({ issuer: config.issuer, port, env: config.env }, 'Keyward is listening');

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
