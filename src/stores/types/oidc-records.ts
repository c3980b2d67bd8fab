/** The oidc-provider adapter's store (DESIGN.md, Storage). */

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
