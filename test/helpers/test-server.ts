import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.ts';
import type { Clock } from '../../src/lib/clock.ts';
import { startServer, type RunningServer } from '../../src/main.ts';
import { captureLogger, type CapturedLogs } from './capture-logger.ts';
import { freePort } from './free-port.ts';
import { tempDir } from './temp-dir.ts';

/** A confidential web client declared in the test clients file. */
export const TEST_WEB_CLIENT = {
  client_id: 'test-web',
  kind: 'web',
  client_secret: 'test-web-secret-0123456789abcdef0123456789',
  client_name: 'Test Web App',
  redirect_uris: ['http://localhost:8080/callback'],
  post_logout_redirect_uris: ['http://localhost:8080/signed-out'],
  grant_types: ['authorization_code', 'refresh_token'],
  token_endpoint_auth_method: 'client_secret_basic',
} as const;

export interface TestKeyward {
  readonly issuer: string;
  readonly port: number;
  readonly databaseFile: string;
  readonly running: RunningServer;
  readonly logs: CapturedLogs;
  /** Delivers every mail waiting in the outbox now (requests only store mail). */
  flushMail(): Promise<void>;
  stop(): Promise<void>;
}

export { freePort };

export interface TestKeywardOptions {
  /** Reuse a database file (restart tests); a fresh one in a temp dir otherwise. */
  databaseFile?: string;
  /** Reuse a port (restart tests: the issuer URL includes it). */
  port?: number;
  env?: Record<string, string>;
  /** The clock Keyward's stores and adapter use (oidc-provider itself keeps the system clock). */
  clock?: Clock;
  /** More clients and APIs for the clients file (the test web client is always there; one with its client_id replaces it). */
  registry?: { clients?: object[]; apis?: object[] };
  /**
   * The issuer's host name (it still listens on 127.0.0.1): `localhost` for WebAuthn in a browser,
   * which refuses an IP address as relying party id (WebAuthn §5.1.3).
   */
  issuerHost?: 'localhost' | '127.0.0.1';
}

/** Starts the whole app on 127.0.0.1 with test settings: cheap argon2, demo data, a test client. */
export async function startTestKeyward(options: TestKeywardOptions = {}): Promise<TestKeyward> {
  const dir = tempDir();
  const databaseFile = options.databaseFile ?? join(dir, 'keyward.sqlite');
  const clientsFile = join(dir, 'clients.json');
  const clients = options.registry?.clients ?? [];
  const replacesWebClient = clients.some((client) => (client as { client_id?: string }).client_id === TEST_WEB_CLIENT.client_id);
  writeFileSync(clientsFile, JSON.stringify({
    clients: [...(replacesWebClient ? [] : [TEST_WEB_CLIENT]), ...clients],
    apis: options.registry?.apis ?? [],
  }));
  const port = options.port ?? (await freePort());
  const issuer = `http://${options.issuerHost ?? '127.0.0.1'}:${port}`;
  const config = loadConfig({
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: String(port),
    ISSUER: issuer,
    DATABASE_URL: `sqlite:${databaseFile}`,
    CLIENTS_FILE: clientsFile,
    DEMO_DATA: 'true',
    ARGON2_MEMORY_KIB: '1024',
    ARGON2_TIME_COST: '1',
    SHUTDOWN_TIMEOUT_MS: '2000',
    ...options.env,
  }, false);
  const logs = captureLogger();
  const running = await startServer(config, { logger: logs.logger, ...(options.clock ? { clock: options.clock } : {}) });
  return { issuer, port, databaseFile, running, logs, flushMail: () => running.container.mailOutbox.drain(), stop: () => running.stop() };
}

/** An API issuing JWT access tokens with account claims, and the clients that go with it. */
export const TEST_API = {
  identifier: 'https://orders.test',
  name: 'Orders API',
  scopes: { 'orders:read': 'See your orders', 'orders:write': 'Place orders for you' },
  claims: ['email', 'roles'],
} as const;

export const TEST_RESOURCE_SERVER = {
  client_id: 'orders-api',
  kind: 'resource_server',
  api: TEST_API.identifier,
  client_secret: 'orders-api-secret-0123456789abcdef0123456789',
} as const;

export const TEST_SERVICE_CLIENT = {
  client_id: 'nightly-job',
  kind: 'service',
  client_secret: 'nightly-job-secret-0123456789abcdef0123456789',
} as const;

/** `client` granted every scope of each API (the clients file's `api_scopes`). */
export function grantAll<C extends object>(client: C, ...apis: { identifier: string; scopes: Record<string, string> }[]): C & { api_scopes: Record<string, string[]> } {
  return { ...client, api_scopes: Object.fromEntries(apis.map((api) => [api.identifier, Object.keys(api.scopes)])) };
}

export const basicAuthorization = (client: { client_id: string; client_secret: string }) =>
  `Basic ${Buffer.from(`${encodeURIComponent(client.client_id)}:${encodeURIComponent(client.client_secret)}`).toString('base64')}`;

/** POSTs a form to a protocol endpoint as `client` (client_secret_basic); returns status and JSON body. */
export async function postAsClient(url: string, client: { client_id: string; client_secret: string }, form: Record<string, string>) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { authorization: basicAuthorization(client), 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams(form),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: (text ? JSON.parse(text) : undefined) as Record<string, unknown> };
}
