/** Accounts, their upstream links, second factors, passkeys and recovery codes. */

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
