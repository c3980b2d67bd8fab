// Plain checks on error shapes, without importing mongoose, so the embedded-store path that
// classifies start-up errors does not load the MongoDB driver.

/**
 * Server error codes that mean "no primary to take this just now" (an election, a step-down, a
 * node shutting down or recovering) or that the server cannot be reached: the driver retries
 * retryable writes on them once, but `updateMany`, `deleteMany` (sweeps, revocations) and
 * commands in a transaction are not retryable and surface them as they are.
 * https://github.com/mongodb/specifications/blob/master/source/retryable-writes/retryable-writes.md#determining-retryable-errors
 */
const UNAVAILABLE_CODES = new Set([
  6, // HostUnreachable
  64, // WriteConcernTimeout (WriteConcernFailed before 8.1): not acknowledged by a majority in time
  7, // HostNotFound
  89, // NetworkTimeout
  91, // ShutdownInProgress
  189, // PrimarySteppedDown
  9001, // SocketException
  10058, // LegacyNotPrimary
  10107, // NotWritablePrimary
  11600, // InterruptedAtShutdown
  11602, // InterruptedDueToReplStateChange
  13435, // NotPrimaryNoSecondaryOk
  13436, // NotPrimaryOrSecondary
]);

/** Labels the server or driver puts on errors that a later attempt may not meet. */
const UNAVAILABLE_LABELS = ['RetryableWriteError', 'ResetPool', 'TransientTransactionError', 'UnknownTransactionCommitResult'];

interface DriverErrorShape {
  name?: string;
  message?: string;
  code?: unknown;
  errorLabels?: Set<string> | string[];
  writeConcernError?: unknown;
  /** MongoBulkWriteError: the write-concern error it wraps (also copied onto it), and the bulk result. */
  err?: { serverError?: unknown } | undefined;
  serverError?: unknown;
  result?: { writeConcernError?: unknown; result?: { writeConcernErrors?: unknown[] } } | undefined;
  /** What a wrapping error (MongoBulkWriteError, MongooseError) was made from. */
  cause?: unknown;
}

/**
 * Driver errors that mean the database cannot be reached or cannot serve just now: the request
 * is answered 503 with Retry-After (and start-up retries), not 500. A write-concern error is one
 * of them: the write was not acknowledged by a majority in time (wtimeoutMS, 10 s: connection.ts)
 * or the primary stepped down while waiting, so the caller must not take it as done.
 */
export function isMongoUnavailable(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 3) return false;
  const { name, message, code, errorLabels } = error as DriverErrorShape;
  if (isDuplicateKey(error)) return false;
  if (name && /MongoNetwork|MongoServerSelection|MongooseServerSelection|MongoNotConnected|MongoTopologyClosed|MongoServerClosed|MongoStalePrimary|PoolClosed|PoolCleared|MongoWriteConcern/.test(name)) return true;
  if (typeof code === 'number' && UNAVAILABLE_CODES.has(code)) return true;
  const labels = errorLabels instanceof Set ? [...errorLabels] : Array.isArray(errorLabels) ? errorLabels : [];
  if (labels.some((label) => UNAVAILABLE_LABELS.includes(label))) return true;
  if (hasWriteConcernError(error as DriverErrorShape)) return true;
  if (typeof message === 'string' && /buffering timed out|Client must be connected|connection .* closed|not master|not writable primary|node is recovering/i.test(message)) return true;
  return isMongoUnavailable((error as DriverErrorShape).cause, depth + 1);
}

function hasWriteConcernError({ writeConcernError, err, serverError, result }: DriverErrorShape): boolean {
  return [writeConcernError, err?.serverError, serverError, result?.writeConcernError].some(Boolean) || (result?.result?.writeConcernErrors?.length ?? 0) > 0;
}

export const isDuplicateKey = (error: unknown) => (error as { code?: number } | null)?.code === 11000;

/** The collection (or database) does not exist: listIndexes on a fresh database. */
export const isNamespaceNotFound = (error: unknown) => {
  const { code, codeName } = (error ?? {}) as { code?: unknown; codeName?: unknown };
  return code === 26 || codeName === 'NamespaceNotFound';
};
