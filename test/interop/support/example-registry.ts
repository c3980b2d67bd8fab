import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestKeyward, type TestKeyward } from '../../helpers/test-server.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

/**
 * The example configuration as shipped (config/clients.example.json): the default API, the four
 * kinds and their api_scopes, read from the file at run time so the tests follow the example.
 * The copy the tests write changes only what cannot work here: each redirect, logout and
 * back-channel URI keeps its path but gets a loopback origin, and each client gets a test secret.
 */
export const EXAMPLE_FILE = 'config/clients.example.json';

interface ExampleClient {
  client_id: string;
  kind: string;
  client_secret?: string;
  redirect_uris?: string[];
  post_logout_redirect_uris?: string[];
  backchannel_logout_uri?: string;
  api_scopes?: Record<string, string[]>;
  api?: string;
  [field: string]: unknown;
}

interface ExampleApi {
  identifier: string;
  scopes: Record<string, string>;
  default?: boolean;
  [field: string]: unknown;
}

export interface ExampleRegistry {
  clients: ExampleClient[];
  apis: ExampleApi[];
}

export function readExample(): ExampleRegistry {
  return JSON.parse(readFileSync(EXAMPLE_FILE, 'utf8')) as ExampleRegistry;
}

/** A test secret per client (≥ 32 characters, as Keyward requires). */
export const interopSecret = (clientId: string) => `${clientId}-interop-secret-0123456789abcdef`;

/** The example with loopback URIs on `rpOrigin` and test secrets; extra clients are appended. */
export function exampleRegistry(rpOrigin: string, extraClients: ExampleClient[] = []): ExampleRegistry {
  const example = readExample();
  const loopback = (uri: string) => {
    const url = new URL(uri);
    return `${rpOrigin}${url.pathname}${url.search}`;
  };
  const clients = example.clients.map((client) => ({
    ...client,
    ...(client.client_secret ? { client_secret: interopSecret(client.client_id) } : {}),
    ...(client.redirect_uris ? { redirect_uris: client.redirect_uris.map(loopback) } : {}),
    ...(client.post_logout_redirect_uris ? { post_logout_redirect_uris: client.post_logout_redirect_uris.map(loopback) } : {}),
    ...(client.backchannel_logout_uri ? { backchannel_logout_uri: loopback(client.backchannel_logout_uri) } : {}),
  }));
  return { apis: example.apis, clients: [...clients, ...extraClients] };
}

/** The example's client of `kind` (the tests find clients by kind, not by name). */
export function exampleClient(registry: ExampleRegistry, kind: string): ExampleClient & { client_secret?: string } {
  const client = registry.clients.find((candidate) => candidate.kind === kind);
  if (!client) throw new Error(`${EXAMPLE_FILE} has no ${kind} client any more; the interop tests use one`);
  return client;
}

export function defaultApi(registry: ExampleRegistry): ExampleApi {
  const api = registry.apis.find((candidate) => candidate.default);
  if (!api) throw new Error(`${EXAMPLE_FILE} declares no default API any more; the interop tests rely on it`);
  return api;
}

/** Keyward on 127.0.0.1 with exactly `registry` as its clients file (and the demo user). */
export async function startKeywardWith(registry: ExampleRegistry): Promise<TestKeyward> {
  const file = join(tempDir('keyward-interop-'), 'clients.json');
  writeFileSync(file, JSON.stringify(registry, null, 2));
  return startTestKeyward({ env: { CLIENTS_FILE: file } });
}
