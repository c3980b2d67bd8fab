/**
 * Storage interfaces, owned by the code that uses them (DESIGN.md, Storage). Every backend
 * implements all of them and passes the same contract suites in test/contract.
 */

/** A JSON-serialisable oidc-provider model payload. */
export type OidcPayload = Record<string, unknown>;

/** What the oidc-provider adapter needs; one table/collection keyed by (model, id). */
export interface OidcRecordStore {
  /** Insert or replace; `expiresAt` in epoch ms, undefined for records that never expire. */
  upsert(model: string, id: string, payload: OidcPayload, expiresAt: number | undefined): Promise<void>;
  /** The payload, with `consumed` (epoch seconds) once consumed; undefined when absent or expired. */
  find(model: string, id: string): Promise<OidcPayload | undefined>;
  findByUid(model: string, uid: string): Promise<OidcPayload | undefined>;
  findByUserCode(model: string, userCode: string): Promise<OidcPayload | undefined>;
  /**
   * Marks a live record consumed. Atomic and consume-once: resolves true for exactly one
   * caller, false when the record is already consumed, expired or absent.
   */
  consume(model: string, id: string): Promise<boolean>;
  destroy(model: string, id: string): Promise<void>;
  revokeByGrantId(model: string, grantId: string): Promise<void>;
  /** Every live record of `model` in the grant, with its id (for refresh-token chain bookkeeping). */
  listByGrantId(model: string, grantId: string): Promise<{ id: string; payload: OidcPayload }[]>;
  /** Deletes every record of `models` that belongs to the account (sessions, grants, tokens); returns how many. */
  revokeByAccountId(accountId: string, models: readonly string[]): Promise<number>;
  /**
   * Every live record of `model` that belongs to the account (its `accountId`), with its id; at most
   * `limit` (none when `limit` < 1), in id order (records carry no creation time the store can sort by).
   */
  listByAccountId(model: string, accountId: string, limit: number): Promise<{ id: string; payload: OidcPayload; expiresAt: number | undefined }[]>;
  /** How many live records of `model` there are (the admin dashboard's active sessions). */
  countLive(model: string): Promise<number>;
  /** Physically removes expired records; returns how many. */
  sweepExpired(): Promise<number>;
}

export type OneTimeTokenPurpose = 'verify_email' | 'reset_password';

/** Single-use links (email verification, password reset), stored only as a hash of the token. */
export interface OneTimeTokenStore {
  create(token: { tokenHash: string; purpose: OneTimeTokenPurpose; accountId: string; expiresAt: number }): Promise<void>;
  /**
   * Marks a live, unused token used and returns its account. Atomic: of concurrent callers
   * exactly one gets the account; an expired, used or unknown token gives undefined.
   */
  consume(tokenHash: string, purpose: OneTimeTokenPurpose): Promise<string | undefined>;
  /** The account of a token that exists, is unused and has not expired (to check a form before consuming); else undefined. */
  ownerOf(tokenHash: string, purpose: OneTimeTokenPurpose): Promise<string | undefined>;
  /** Marks every unused token of the account for `purpose` used (e.g. after a reset). */
  invalidateAll(accountId: string, purpose: OneTimeTokenPurpose): Promise<void>;
  /** Removes expired and used tokens; returns how many. */
  sweep(): Promise<number>;
}

/** Fixed-window counters shared by every replica (sign-in, registration and reset throttling). */
export interface ThrottleStore {
  /** Counts one event for `key` in a window of `windowMs` and returns the window's count so far. */
  hit(key: string, windowMs: number): Promise<{ count: number; resetAt: number }>;
  /** The current window's count, without counting. */
  peek(key: string): Promise<{ count: number; resetAt: number }>;
  /** Takes back one event counted in the current window (never below zero). */
  release(key: string): Promise<void>;
  reset(key: string): Promise<void>;
  /** Removes counters whose window ended; returns how many. */
  sweep(): Promise<number>;
}

/** A mail waiting in the outbox, as a worker claims it. */
export interface OutboxMail {
  id: string;
  to: string;
  subject: string;
  text: string;
  /** Delivery attempts so far, this one included. */
  attempts: number;
  /** The end of this claim's lease (epoch ms): what identifies the claim in fail(). */
  leaseUntil: number;
}

/**
 * Mail is sent outside the request that caused it (DESIGN.md, Side effects outside the
 * request): the request only stores it here, so answering takes the same time whether or not
 * a mail went out, and a crash between the two loses nothing.
 */
export interface MailOutboxStore {
  enqueue(mail: { id: string; to: string; subject: string; text: string }): Promise<void>;
  /**
   * Leases up to `limit` mails that are due and not leased, for `leaseMs`, counting an attempt
   * on each. Atomic: two workers never hold the same mail; a crashed worker's lease runs out
   * and the mail is claimed again.
   */
  claim(limit: number, leaseMs: number): Promise<OutboxMail[]>;
  /** Delivered: the mail (and the link in it) leaves the store. */
  complete(id: string): Promise<void>;
  /**
   * Not delivered: due again at `retryAt`, or, with undefined, given up (kept for the operator) —
   * only while the claim (`leaseUntil`) is still the mail's: a worker whose lease ran out must
   * not release a mail another worker has claimed since (it would be sent a third time).
   */
  fail(id: string, leaseUntil: number, retryAt: number | undefined, error: string): Promise<void>;
  /** Mails not yet delivered or given up. */
  pending(): Promise<number>;
  /** Removes given-up mails older than `before` (epoch ms); returns how many. */
  sweepAbandoned(before: number): Promise<number>;
}

export interface AuditEvent {
  at: number;
  event: string;
  outcome: 'success' | 'failure' | 'denied' | 'blocked' | 'info';
  accountId?: string | undefined;
  clientId?: string | undefined;
  ip?: string | undefined;
  userAgent?: string | undefined;
  details?: Record<string, unknown> | undefined;
}

/** Filters of the admin audit log; every one optional but the page size. */
export interface AuditQuery {
  accountId?: string | undefined;
  clientId?: string | undefined;
  event?: string | undefined;
  outcome?: AuditEvent['outcome'] | undefined;
  /** Epoch ms, inclusive. */
  from?: number | undefined;
  /** Epoch ms, exclusive. */
  to?: number | undefined;
  /** The `next` cursor of the previous page. */
  after?: string | undefined;
  limit: number;
}

export interface AuditStore {
  record(event: AuditEvent): Promise<void>;
  /** Newest first. */
  list(filter: { accountId?: string; event?: string; limit: number }): Promise<AuditEvent[]>;
  /** Newest first, a page at a time: `next` names where the next page starts (undefined on the last). */
  query(query: AuditQuery): Promise<{ events: AuditEvent[]; next: string | undefined }>;
  /** How many `event`s per hour (start of the hour, epoch ms) and outcome in [from, to). */
  countByHour(event: string, from: number, to: number): Promise<{ hour: number; outcome: string; count: number }[]>;
  /** Removes events older than `before` (epoch ms); returns how many. */
  deleteOlderThan(before: number): Promise<number>;
}

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

export interface FederatedIdentity {
  upstream: string;
  subject: string;
  accountId: string;
  email: string | undefined;
  createdAt: number;
  lastUsedAt: number;
}

/** Links between an upstream identity (upstream, subject) and one Keyward account. */
export interface FederatedIdentityStore {
  find(upstream: string, subject: string): Promise<FederatedIdentity | undefined>;
  /** Links; resolves false when (upstream, subject) already belongs to an account. */
  link(identity: { upstream: string; subject: string; accountId: string; email: string | undefined }): Promise<boolean>;
  listForAccount(accountId: string): Promise<FederatedIdentity[]>;
  unlink(accountId: string, upstream: string, subject: string): Promise<boolean>;
  touch(upstream: string, subject: string): Promise<void>;
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

export interface AccountRecord {
  id: string;
  email: string;
  /** Lower-cased, NFC-normalised email: the unique key. */
  emailNormalized: string;
  emailVerified: boolean;
  name: string | undefined;
  /** Profile picture URL (from a federated sign-in). */
  picture: string | undefined;
  passwordHash: string | undefined;
  roles: string[];
  disabled: boolean;
  createdAt: number;
  updatedAt: number;
  lastSignInAt: number | undefined;
  /** Goes up by one with every change (not with a sign-in): the admin API's ETag (RFC 9110 §8.8.3). */
  revision: number;
}

/** What an administrator may change on an account in one compare-and-set (AccountStore.updateIf). */
export interface AccountAdminChanges {
  name?: string | null;
  roles?: string[];
  disabled?: boolean;
  emailVerified?: boolean;
}

export type NewAccount = Pick<AccountRecord, 'email' | 'emailVerified' | 'name' | 'passwordHash' | 'roles'> & { picture?: string | undefined };

export interface AccountStore {
  /** Creates an account; resolves undefined when the normalised email is already taken. */
  create(account: NewAccount): Promise<AccountRecord | undefined>;
  findById(id: string): Promise<AccountRecord | undefined>;
  findByEmail(email: string): Promise<AccountRecord | undefined>;
  setPasswordHash(id: string, passwordHash: string): Promise<void>;
  markEmailVerified(id: string): Promise<void>;
  setDisabled(id: string, disabled: boolean): Promise<void>;
  setRoles(id: string, roles: string[]): Promise<void>;
  /**
   * Changes the address (and its normalised key), verified or not; resolves false when another
   * account has the normalised address already.
   */
  setEmail(id: string, email: string, emailVerified: boolean): Promise<boolean>;
  /** Deletes the account record; resolves false when there is none. */
  remove(id: string): Promise<boolean>;
  /** Updates the profile claims an upstream provides (only the fields given). */
  updateProfile(id: string, profile: { name?: string | undefined; picture?: string | undefined; emailVerified?: boolean }): Promise<void>;
  /** Oldest first. */
  list(page: { limit: number; offset: number }): Promise<AccountRecord[]>;
  /**
   * Accounts whose normalised email starts with `emailPrefix` (all without one), in normalised-email
   * order, after `after` (the normalised email of the last one of the previous page): a range scan
   * of the unique email index, as fast on page 1,000 as on page 1.
   */
  search(query: { emailPrefix?: string | undefined; after?: string | undefined; limit: number }): Promise<AccountRecord[]>;
  count(): Promise<number>;
  /** How many enabled accounts other than `exceptId` hold `role` (the last administrator is kept). */
  countEnabledWithRole(role: string, exceptId: string): Promise<number>;
  /** Applies `changes` only while the account is at `expectedRevision`. */
  updateIf(id: string, expectedRevision: number, changes: AccountAdminChanges): Promise<'updated' | 'conflict' | 'missing'>;
  recordSignIn(id: string): Promise<void>;
}

export type AuthenticatorKind = 'totp' | 'passkey';

/**
 * A second factor or passkey belonging to one account. TOTP: `secret` is the RFC 6238 shared
 * secret (base32), sealed at rest when KEYWARD_ENCRYPTION_KEY is set. Passkey: `secret` is the
 * credential's COSE public key (base64url), `credentialId` the WebAuthn credential id (base64url).
 */
export interface Authenticator {
  id: string;
  accountId: string;
  kind: AuthenticatorKind;
  /** Shown to the owner ("Pixel 9", "Authenticator app"). */
  name: string;
  secret: string;
  /** Passkeys only: unique across all accounts. */
  credentialId: string | undefined;
  /** Passkeys: the authenticator's signature counter (WebAuthn §6.1.1). */
  counter: number;
  /** Passkeys: transports reported at registration (hints for the browser). */
  transports: string[];
  /** Passkeys: the credential may be synced between devices (amr `swk`), else device-bound (`hwk`). */
  backedUp: boolean;
  /** False until the owner proved it works (a TOTP code, a registration ceremony). */
  confirmed: boolean;
  /** TOTP: the last RFC 6238 time step accepted (a code is accepted once; RFC 6238 §5.2). */
  lastUsedStep: number | undefined;
  createdAt: number;
  lastUsedAt: number | undefined;
}

export type NewAuthenticator = Pick<Authenticator, 'accountId' | 'kind' | 'name' | 'secret' | 'credentialId' | 'counter' | 'transports' | 'backedUp' | 'confirmed'>;

/** Second factors and passkeys (DESIGN.md, Sign-in in steps). */
export interface AuthenticatorStore {
  /** Resolves undefined when a passkey with that credentialId exists already. */
  create(authenticator: NewAuthenticator): Promise<Authenticator | undefined>;
  find(id: string): Promise<Authenticator | undefined>;
  findByCredentialId(credentialId: string): Promise<Authenticator | undefined>;
  /** Oldest first. */
  listForAccount(accountId: string): Promise<Authenticator[]>;
  /** Marks an unconfirmed authenticator of the account confirmed; false when there is none. */
  confirm(accountId: string, id: string): Promise<boolean>;
  /**
   * Records TOTP time step `step` as used, only if it is later than the last one used: atomic, so
   * of two requests with the same code exactly one succeeds, and an older code is refused.
   */
  useTotpStep(id: string, step: number): Promise<boolean>;
  /** Records a passkey assertion: the new signature counter and the time of use. */
  recordPasskeyUse(id: string, counter: number): Promise<void>;
  rename(accountId: string, id: string, name: string): Promise<boolean>;
  remove(accountId: string, id: string): Promise<boolean>;
  /** Removes every authenticator of the account (operator reset, account deletion); returns how many. */
  removeAll(accountId: string): Promise<number>;
  /** Removes unconfirmed authenticators created before `before` (abandoned enrolments); returns how many. */
  sweepUnconfirmed(before: number): Promise<number>;
  /** Every authenticator app of every account, with its stored secret (re-encryption at migrate). */
  listTotp(): Promise<Authenticator[]>;
  /** Replaces the stored secret only if it still is `expected` (compare-and-set). */
  replaceSecret(id: string, expected: string, secret: string): Promise<boolean>;
}

/** Single-use recovery codes, stored only as hashes. */
export interface RecoveryCodeStore {
  /** Replaces every code of the account with these (regeneration). */
  replace(accountId: string, codeHashes: string[]): Promise<void>;
  /** Marks an unused code of the account used. Atomic: of concurrent callers exactly one gets true. */
  consume(accountId: string, codeHash: string): Promise<boolean>;
  /** How many unused codes the account has. */
  remaining(accountId: string): Promise<number>;
  removeAll(accountId: string): Promise<void>;
}

/** All stores of one backend, plus its lifecycle. */
export interface Stores {
  readonly oidcRecords: OidcRecordStore;
  readonly signingKeys: SigningKeyStore;
  readonly clients: ClientStore;
  readonly apis: ApiStore;
  readonly federatedIdentities: FederatedIdentityStore;
  readonly secrets: SecretStore;
  readonly accounts: AccountStore;
  readonly oneTimeTokens: OneTimeTokenStore;
  readonly throttle: ThrottleStore;
  readonly audit: AuditStore;
  readonly mailOutbox: MailOutboxStore;
  readonly authenticators: AuthenticatorStore;
  readonly recoveryCodes: RecoveryCodeStore;
  /** Creates tables and indexes, or brings them up to date; idempotent. Returns what it changed, one line each. */
  migrate(): Promise<string[]>;
  /** Throws when the schema is missing or outdated. */
  assertMigrated(): Promise<void>;
  /** Resolves when the backend answers a trivial query. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Lower-cases and NFC-normalises an email so that one address has one key. */
export function normalizeEmail(email: string): string {
  return email.trim().normalize('NFC').toLowerCase();
}
