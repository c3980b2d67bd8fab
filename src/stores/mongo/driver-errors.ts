// Plain checks on error shapes, without importing mongoose, so the embedded-store path that
// classifies start-up errors does not load the MongoDB driver.

/** Driver errors that mean the database cannot be reached or cannot serve just now. */
export function isMongoUnavailable(error: unknown): boolean {
  const { name, message, errorLabels } = error as { name?: string; message?: string; errorLabels?: Set<string> | string[] };
  if (name && /MongoNetwork|MongoServerSelection|MongooseServerSelection|MongoNotConnected|MongoTopologyClosed|PoolClosed|PoolCleared/.test(name)) return true;
  const labels = errorLabels instanceof Set ? [...errorLabels] : errorLabels ?? [];
  if (labels.includes('RetryableWriteError') || labels.includes('ResetPool')) return true;
  return typeof message === 'string' && /buffering timed out|Client must be connected|connection .* closed/i.test(message);
}

export const isDuplicateKey = (error: unknown) => (error as { code?: number }).code === 11000;
