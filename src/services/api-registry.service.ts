import { fieldProblems } from '../lib/field-problems.ts';
import type { Logger } from '../logger/logger.ts';
import type { ApiStore, StoredApi } from '../stores/types.ts';
import { apiSchema, type ApiDefinition, type ApiRegistry } from './apis.service.ts';

/** An API as the store holds it. */
export type StoredApiEntry = StoredApi & { identifier: string };

/**
 * The APIs served now, read synchronously on every token issuance, over a snapshot that
 * refresh() replaces: the built-in APIs, the clients file's, and the store's.
 */
export interface LiveApiRegistry extends ApiRegistry {
  /**
   * Re-reads the store and swaps the snapshot; true when the store's APIs changed. Throws when
   * the store cannot be read, keeping the last snapshot (tokens keep being issued meanwhile).
   */
  refresh(): Promise<boolean>;
}

/** A stored entry checked as the file's are (apiSchema), or why it cannot be served. */
export function parseStoredApi(entry: StoredApiEntry): { definition: ApiDefinition } | { problems: string[] } {
  const result = apiSchema.safeParse(entry.definition);
  if (!result.success) return { problems: fieldProblems(result.error.issues, '(definition)') };
  if (result.data.identifier !== entry.identifier) return { problems: [`identifier: "${result.data.identifier}" differs from the identifier it is stored under`] };
  return { definition: result.data };
}

export interface MergedApis {
  apis: ApiDefinition[];
  defaultApi: ApiDefinition | undefined;
  /** Stored entries skipped or demoted, one sentence each (logged when they first appear). */
  warnings: string[];
}

/**
 * What is served: built-in APIs first and untouchable, then the file's, which win over a store
 * entry of the same identifier; then the valid store entries. At most one default: the file's if
 * it has one, else the first store default in identifier order.
 */
export function mergeApis(parts: { builtIn: readonly ApiDefinition[]; fileApis: readonly ApiDefinition[]; stored: readonly StoredApiEntry[] }): MergedApis {
  const apis = [...parts.builtIn, ...parts.fileApis];
  const reserved = new Set(parts.builtIn.map((api) => api.identifier));
  const fromFile = new Set(parts.fileApis.map((api) => api.identifier));
  let defaultApi = parts.fileApis.find((api) => api.default);
  const warnings: string[] = [];
  for (const entry of parts.stored) {
    const name = `store API "${entry.identifier}"`;
    if (reserved.has(entry.identifier)) {
      warnings.push(`${name} is not served: its identifier is reserved for Keyward's admin API`);
      continue;
    }
    if (fromFile.has(entry.identifier)) {
      warnings.push(`${name} is shadowed by the clients file's API of the same identifier (the file wins)`);
      continue;
    }
    const parsed = parseStoredApi(entry);
    if ('problems' in parsed) {
      warnings.push(`${name} is not served, it is invalid: ${parsed.problems.join('; ')}`);
      continue;
    }
    if (parsed.definition.default && defaultApi) {
      warnings.push(`${name} is marked default, but "${defaultApi.identifier}" is the default: it is served, not as the default`);
    } else if (parsed.definition.default) {
      defaultApi = parsed.definition;
    }
    apis.push(parsed.definition);
  }
  return { apis, defaultApi, warnings };
}

interface Snapshot {
  readonly all: readonly ApiDefinition[];
  readonly defaultApi: ApiDefinition | undefined;
  readonly byIdentifier: ReadonlyMap<string, ApiDefinition>;
}

const snapshotOf = ({ apis, defaultApi }: MergedApis): Snapshot =>
  ({ all: Object.freeze(apis), defaultApi, byIdentifier: new Map(apis.map((api) => [api.identifier, api])) });

/**
 * The registry every consumer holds (resource indicators, token policies, consent, key
 * rotation): they read through it at call time, so a refresh reaches them all at once. Until
 * the first refresh it serves the built-in and file APIs.
 */
export function createLiveApiRegistry(deps: {
  fileApis: readonly ApiDefinition[];
  store: Pick<ApiStore, 'list'>;
  builtIn: readonly ApiDefinition[];
  logger: Logger;
}): LiveApiRegistry {
  const log = deps.logger.child({ module: 'apis' });
  const merge = (stored: readonly StoredApiEntry[]) => mergeApis({ builtIn: deps.builtIn, fileApis: deps.fileApis, stored });
  let snapshot = snapshotOf(merge([]));
  let lastStored: string | undefined;
  let warned = new Set<string>();
  // Refreshes overlap (the timer, an admin change): a read that started earlier must not replace
  // the snapshot of one that started later and finished first.
  let started = 0;
  let applied = 0;
  return {
    get all() {
      return snapshot.all;
    },
    get defaultApi() {
      return snapshot.defaultApi;
    },
    find: (identifier) => snapshot.byIdentifier.get(identifier),
    async refresh() {
      const ticket = (started += 1);
      const stored = await deps.store.list();
      if (ticket < applied) return false;
      applied = ticket;
      // The whole list, definitions included: an API removed and added again has revision 1 again.
      const fingerprint = JSON.stringify(stored);
      if (fingerprint === lastStored) return false;
      const first = lastStored === undefined;
      lastStored = fingerprint;
      const merged = merge(stored);
      // Each problem once, when it appears, not at every refresh of every replica.
      for (const warning of merged.warnings) if (!warned.has(warning)) log.warn(warning);
      warned = new Set(merged.warnings);
      snapshot = snapshotOf(merged);
      if (!first) log.info({ apis: merged.apis.length }, 'APIs changed in the store; serving the new set');
      return true;
    },
  };
}
