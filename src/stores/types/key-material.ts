/** Signing keys, store clients and APIs, and shared generated secrets. */

export type SigningAlgorithm = 'ES256' | 'RS256' | 'EdDSA';

/**
 * Staged rotation: a `next` key is published in the JWKS before it signs, a `current` key
 * signs, a `previous` key is still published so tokens it signed keep verifying.
 */
export type KeyState = 'next' | 'current' | 'previous';

export interface StoredSigningKey {
  kid: string;
  alg: SigningAlgorithm;
  /** Private JWK. Never logged, never served: only the provider's keystore sees it. */
  privateJwk: Record<string, unknown>;
  createdAt: number;
  state: KeyState;
  /** When the key entered its state (epoch ms). */
  stateSince: number;
}

export interface SigningKeyStore {
  list(): Promise<StoredSigningKey[]>;
  /**
   * Stores `keys` only if the store holds no signing key yet, atomically, so that several
   * processes starting at once agree on one key set. Returns the keys now stored.
   */
  initialiseIfEmpty(keys: StoredSigningKey[]): Promise<StoredSigningKey[]>;
  /** Adds keys in the `next` state (publishes them). */
  addNext(keys: StoredSigningKey[]): Promise<void>;
  /**
   * current → previous, next → current, `newNext` added as next — atomically, and only if the
   * current kids are still `expectedCurrent` (two replicas rotating at once rotate once).
   */
  rotate(expectedCurrent: readonly string[], newNext: StoredSigningKey[], now: number): Promise<boolean>;
  /** Deletes previous keys that became previous at or before `cutoff` (epoch ms); returns their kids. */
  retirePrevious(cutoff: number): Promise<string[]>;
  /**
   * Replaces a key's stored private JWK only if it still is `expected` (compare-and-set), for
   * re-encryption at rest; state and dates are untouched. Resolves false when it changed or is gone.
   */
  replacePrivateJwk(kid: string, expected: Record<string, unknown>, privateJwk: Record<string, unknown>): Promise<boolean>;
}

/** Clients added with the CLI; the clients file wins on conflicts. */
export interface ClientStore {
  /** Resolves false when the client id exists already. */
  create(clientId: string, metadata: Record<string, unknown>): Promise<boolean>;
  find(clientId: string): Promise<Record<string, unknown> | undefined>;
  list(): Promise<{ clientId: string; metadata: Record<string, unknown>; createdAt: number; updatedAt: number; revision: number }[]>;
  /** Resolves false when there is no such client. */
  update(clientId: string, metadata: Record<string, unknown>): Promise<boolean>;
  /** Replaces the metadata only while the client is at `expectedRevision` (the admin API's ETag). */
  updateIf(clientId: string, metadata: Record<string, unknown>, expectedRevision: number): Promise<'updated' | 'conflict' | 'missing'>;
  remove(clientId: string): Promise<boolean>;
}

/** An API (resource server) added at run time; the clients file wins on conflicts. */
export interface StoredApi {
  /** The API's definition as JSON (services/apis.service.ts apiSchema validates it on every read). */
  definition: Record<string, unknown>;
  /** 1 when created, one more with every update: what compare-and-set compares (and the ETag). */
  revision: number;
  createdAt: number;
  updatedAt: number;
}

/**
 * APIs added with the CLI or the admin API, read by every replica on a timer
 * (API_REFRESH_SECONDS). Changes are compare-and-set on the revision, so two administrators
 * never overwrite each other's change unseen.
 */
export interface ApiStore {
  /** Resolves false when the identifier exists already. */
  create(identifier: string, definition: Record<string, unknown>): Promise<boolean>;
  find(identifier: string): Promise<(StoredApi & { identifier: string }) | undefined>;
  /** In identifier order. */
  list(): Promise<(StoredApi & { identifier: string })[]>;
  /** Replaces the definition only while the revision is `expectedRevision` (and adds one to it). */
  update(identifier: string, definition: Record<string, unknown>, expectedRevision: number): Promise<'updated' | 'conflict' | 'missing'>;
  /** Removes the API; with `expectedRevision`, only while it is at that revision. */
  remove(identifier: string, expectedRevision?: number): Promise<'removed' | 'conflict' | 'missing'>;
}

/** Generated secrets that must be shared by every process (e.g. cookie signing keys). */
export interface SecretStore {
  /** Stores `value` under `name` unless a value exists; returns the stored value either way. */
  getOrCreate(name: string, value: string): Promise<string>;
  /** Every stored secret (for re-encryption at rest), by name. */
  list(): Promise<{ name: string; value: string }[]>;
  /** Replaces the value only if it still is `expected` (compare-and-set); false when it changed or is gone. */
  replace(name: string, expected: string, value: string): Promise<boolean>;
}
