/**
 * Storage interfaces, owned by the code that uses them (DESIGN.md, Storage). Every backend
 * implements all of them and passes the same contract suites in test/contract.
 */
import type { AccountStore, AuthenticatorStore, FederatedIdentityStore, RecoveryCodeStore } from './types/accounts.ts';
import type { ApiStore, ClientStore, SecretStore, SigningKeyStore } from './types/key-material.ts';
import type { OidcRecordStore } from './types/oidc-records.ts';
import type { AuditStore, MailOutboxStore, OneTimeTokenStore, ThrottleStore } from './types/security.ts';

export type * from './types/accounts.ts';
export type * from './types/key-material.ts';
export type * from './types/oidc-records.ts';
export type * from './types/security.ts';

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
