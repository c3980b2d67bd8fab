import type { Logger } from '../../logger/logger.ts';
import type { ApiStore, ClientStore } from '../../stores/types.ts';
import { createLiveApiRegistry, parseStoredApi, type LiveApiRegistry, type StoredApiEntry } from '../api-registry.service.ts';
import { apiSchema, builtInApis, type ApiDefinition } from '../apis.service.ts';
import type { AuditTrail } from '../audit.service.ts';
import type { Registry } from '../clients.service.ts';
import { onOrigin, sameResource } from '../resource-identifiers.ts';
import type { TokenLifetimeMemory } from '../token-lifetime-memory.ts';
import { AdminError, auditAdminAction, etagOf, parseOrThrow, type AdminCall } from './admin-context.ts';

/** The input schema of an API (what the REST API publishes): the clients file's "apis" entries. */
export { apiSchema };
/** Keyward's own APIs, which the clients file may grant but not declare (container.ts passes them to it). */
export { builtInApis };

export type ApiSource = 'file' | 'store' | 'built-in';

/** More APIs than any deployment declares; the store keeps at most this many. */
export const MAX_STORE_APIS = 1000;

/** One API as administrators see it. */
export interface ApiView {
  identifier: string;
  source: ApiSource;
  /** A store API not served because the file declares its identifier (the file wins), or Keyward reserves it. */
  shadowed: boolean;
  /** Store APIs: the compare-and-set revision, its entity tag and dates (epoch ms). */
  revision?: number;
  etag?: string;
  createdAt?: number;
  updatedAt?: number;
  /** As served; for a store entry that fails validation, as stored. */
  definition: ApiDefinition | Record<string, unknown>;
  /** Why a store entry is not served ("field: message"); empty when it is valid. */
  problems: string[];
}

export interface ApisAdmin {
  /** Built-in, then the file's, then the store's (identifier order), shadowed ones included. */
  list(): Promise<ApiView[]>;
  /** The API served under `identifier` (the file's when both have it). */
  show(identifier: string): Promise<ApiView>;
  create(call: AdminCall, input: unknown): Promise<ApiView>;
  /** Replaces a store API's definition whole, while it is at `expectedRevision`. */
  update(call: AdminCall, identifier: string, input: unknown, expectedRevision: number): Promise<ApiView>;
  remove(call: AdminCall, identifier: string, expectedRevision?: number): Promise<void>;
}

interface FileClient {
  client_id: string;
  api?: string | undefined;
  api_scopes?: Record<string, readonly string[]> | undefined;
}

export interface ApisAdminDeps {
  store: ApiStore;
  /** Store clients, read to refuse removing an API one is granted. */
  clients: Pick<ClientStore, 'list'>;
  /** Re-read after every change, so this process serves it at once (others within API_REFRESH_SECONDS). */
  registry: Pick<LiveApiRegistry, 'refresh'>;
  fileApis: readonly ApiDefinition[];
  fileClients: readonly FileClient[];
  builtIn: readonly ApiDefinition[];
  audit: AuditTrail;
  logger: Logger;
  /** Keeps signing keys published for the JWTs an API issued before it was shortened or removed. */
  lifetimes?: Pick<TokenLifetimeMemory, 'remember'> | undefined;
  /** ACCESS_TOKEN_TTL: the lifetime of an API's tokens when it sets none. */
  defaultAccessTokenTtl?: number | undefined;
}

const validated = (input: unknown): ApiDefinition => parseOrThrow(apiSchema, input, { whole: '(definition)', message: 'the API definition is invalid' });

/** A client that gets tokens for the API (`api_scopes`) or introspects them (`api`). */
const uses = (client: FileClient, identifier: string) =>
  client.api === identifier || (client.api_scopes !== undefined && Object.hasOwn(client.api_scopes, identifier));

export function createApisAdmin(deps: ApisAdminDeps): ApisAdmin {
  const log = deps.logger.child({ module: 'apis-admin' });
  /** The lifetime of the JWTs a (stored) definition issues; 0 for opaque tokens or an invalid entry. */
  const jwtLifetime = (definition: unknown) => {
    const api = apiSchema.safeParse(definition).data;
    return api?.token_format === 'jwt' ? (api.access_token_ttl ?? deps.defaultAccessTokenTtl ?? 0) : 0;
  };
  /** Its former tokens outlive a change that shortens them: their keys must stay published (key-rotation.service.ts). */
  const rememberLifetime = async (before: unknown, after: unknown) => {
    const former = jwtLifetime(before);
    if (former > jwtLifetime(after)) await deps.lifetimes?.remember(former);
  };
  const fromFile = new Map(deps.fileApis.map((api) => [api.identifier, api]));
  const builtIn = new Map(deps.builtIn.map((api) => [api.identifier, api]));

  const fixedView = (api: ApiDefinition, source: ApiSource): ApiView => ({ identifier: api.identifier, source, shadowed: false, definition: api, problems: [] });
  const storeView = (entry: StoredApiEntry): ApiView => {
    const parsed = parseStoredApi(entry);
    return {
      identifier: entry.identifier,
      source: 'store',
      shadowed: fromFile.has(entry.identifier) || builtIn.has(entry.identifier),
      revision: entry.revision,
      etag: etagOf(entry.revision),
      createdAt: entry.createdAt,
      updatedAt: entry.updatedAt,
      definition: 'definition' in parsed ? parsed.definition : entry.definition,
      problems: 'problems' in parsed ? parsed.problems : [],
    };
  };
  /** The file's and Keyward's own are changed in the file or not at all. */
  const refuseFixed = (identifier: string, verb: 'change' | 'remove') => {
    if (builtIn.has(identifier)) throw new AdminError('refused', `API "${identifier}" is Keyward's admin API: it cannot be changed or removed`);
    if (fromFile.has(identifier)) throw new AdminError('refused', `API "${identifier}" is declared in the clients file: ${verb} it there`);
  };
  /** At most one default API (the one assumed when a client sends no `resource`). */
  const refuseSecondDefault = async (api: ApiDefinition, stored?: readonly StoredApiEntry[]) => {
    if (!api.default) return;
    const holder = deps.fileApis.find((other) => other.default)?.identifier
      ?? (stored ?? (await deps.store.list())).find((entry) => entry.identifier !== api.identifier && !fromFile.has(entry.identifier) && !builtIn.has(entry.identifier)
        && apiSchema.safeParse(entry.definition).data?.default === true)?.identifier;
    if (holder !== undefined) throw new AdminError('conflict', `API "${holder}" is the default already: at most one API may be the default`);
  };
  const refresh = async () => {
    try {
      await deps.registry.refresh();
    } catch (error) {
      // The change is stored; this process serves it at its next refresh, like every other replica.
      log.warn({ err: error }, 'API change stored, but re-reading the APIs failed');
    }
  };
  const storedView = async (identifier: string) => {
    const entry = await deps.store.find(identifier);
    if (!entry) throw new AdminError('not_found', `no API "${identifier}"`);
    return storeView(entry);
  };

  return {
    async list() {
      return [...[...builtIn.values()].map((api) => fixedView(api, 'built-in')), ...deps.fileApis.map((api) => fixedView(api, 'file')), ...(await deps.store.list()).map(storeView)];
    },

    async show(identifier) {
      const fixed = builtIn.get(identifier) ?? fromFile.get(identifier);
      if (fixed) return fixedView(fixed, builtIn.has(identifier) ? 'built-in' : 'file');
      return storedView(identifier);
    },

    async create(call, input) {
      const api = validated(input);
      // Keyward's own origin is its own: an API there could pass for the admin API on a consent page.
      if ([...builtIn.keys()].some((reserved) => onOrigin(api.identifier, reserved))) throw new AdminError('conflict', `API "${api.identifier}": identifiers on Keyward's own origin are reserved (its admin API)`);
      if (fromFile.has(api.identifier)) throw new AdminError('conflict', `API "${api.identifier}" is declared in the clients file`);
      // Another spelling of an API served already (case, trailing slash, %-encoding) would be a second API under its name.
      const stored = await deps.store.list();
      // Every replica reads the whole table every API_REFRESH_SECONDS: bounded.
      if (stored.length >= MAX_STORE_APIS) throw new AdminError('refused', `at most ${MAX_STORE_APIS} APIs can be kept in the store`);
      const twin = [...deps.fileApis.map((other) => other.identifier), ...stored.map((other) => other.identifier)]
        .find((other) => other !== api.identifier && sameResource(other, api.identifier));
      if (twin !== undefined) throw new AdminError('conflict', `API "${api.identifier}" is another spelling of "${twin}", which exists already`);
      await refuseSecondDefault(api, stored);
      if (!(await deps.store.create(api.identifier, api))) throw new AdminError('conflict', `API "${api.identifier}" exists already`);
      await auditAdminAction(deps.audit, call, 'apis.create', { details: { identifier: api.identifier, revision: 1 } });
      await refresh();
      return storedView(api.identifier);
    },

    async update(call, identifier, input, expectedRevision) {
      refuseFixed(identifier, 'change');
      const given = (input as { identifier?: unknown } | null)?.identifier;
      if (given !== undefined && given !== identifier) {
        throw new AdminError('invalid_request', 'an API\'s identifier cannot change', [`identifier: must be "${identifier}" (or left out)`]);
      }
      const api = validated(typeof input === 'object' && input !== null && !Array.isArray(input) ? { ...input, identifier } : input);
      await refuseSecondDefault(api);
      const before = (await deps.store.find(identifier))?.definition;
      const outcome = await deps.store.update(identifier, api, expectedRevision);
      if (outcome === 'missing') throw new AdminError('not_found', `no API "${identifier}"`);
      if (outcome === 'conflict') throw new AdminError('precondition_failed', `API "${identifier}" changed since revision ${expectedRevision}: read it again`);
      await rememberLifetime(before, api);
      await auditAdminAction(deps.audit, call, 'apis.update', { details: { identifier, revision: expectedRevision + 1 } });
      await refresh();
      return storedView(identifier);
    },

    async remove(call, identifier, expectedRevision) {
      if (builtIn.has(identifier)) refuseFixed(identifier, 'remove');
      // A store entry the file shadows serves nothing: removing it changes no client's tokens.
      const shadowed = fromFile.has(identifier);
      if (shadowed && !(await deps.store.find(identifier))) refuseFixed(identifier, 'remove');
      if (!shadowed) {
        const users = [
          ...deps.fileClients.filter((client) => uses(client, identifier)).map((client) => client.client_id),
          ...(await deps.clients.list()).filter((client) => uses(client.metadata as unknown as FileClient, identifier)).map((client) => client.clientId),
        ];
        if (users.length > 0) {
          throw new AdminError('conflict', `API "${identifier}" is in use by ${users.map((id) => `"${id}"`).join(', ')}: take it out of their api_scopes (or api) first`, users.map((id) => `client "${id}"`));
        }
      }
      const before = (await deps.store.find(identifier))?.definition;
      const outcome = await deps.store.remove(identifier, expectedRevision);
      if (outcome === 'missing') throw new AdminError('not_found', `no API "${identifier}"`);
      if (outcome === 'conflict') throw new AdminError('precondition_failed', `API "${identifier}" changed since revision ${String(expectedRevision)}: read it again`);
      if (!shadowed) await rememberLifetime(before, undefined);
      await auditAdminAction(deps.audit, call, 'apis.remove', { details: { identifier, ...(expectedRevision === undefined ? {} : { revision: expectedRevision }) } });
      await refresh();
    },
  };
}

/**
 * The live registry and its administration, over one store and one clients file: what the
 * server and the CLI both build (container.ts). Reads the store once, so the first request
 * already sees its APIs. (The CLI gives it a logger for errors only: its standard output is for
 * answers, and `apis list` shows what the registry's warnings would say.)
 */
export async function openApiServices(deps: {
  issuer: string;
  stores: { apis: ApiStore; clients: Pick<ClientStore, 'list'> };
  file: Registry;
  audit: AuditTrail;
  logger: Logger;
  lifetimes?: Pick<TokenLifetimeMemory, 'remember'>;
  defaultAccessTokenTtl?: number;
}): Promise<{ registry: LiveApiRegistry; admin: ApisAdmin }> {
  const builtIn = builtInApis(deps.issuer);
  const registry = createLiveApiRegistry({ fileApis: deps.file.apis, store: deps.stores.apis, builtIn, logger: deps.logger });
  await registry.refresh();
  const admin = createApisAdmin({
    store: deps.stores.apis, clients: deps.stores.clients, registry, fileApis: deps.file.apis, fileClients: deps.file.clients, builtIn, audit: deps.audit, logger: deps.logger,
    lifetimes: deps.lifetimes, defaultAccessTokenTtl: deps.defaultAccessTokenTtl,
  });
  return { registry, admin };
}
