/** Single-use links, throttling counters, the mail outbox and the audit log. */

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
