import mongoose, { type Connection } from 'mongoose';
import type { MongoDatabaseConfig } from '../../config/schema.ts';

/**
 * Keyward's own connection (never mongoose's global default), with a bounded pool and
 * timeouts. Commands are not buffered while disconnected: they fail at once, and the
 * guarded stores turn that into 503s instead of requests hanging. Indexes come from
 * `keyward migrate`, never from autoIndex.
 */
export function createMongoConnection(config: MongoDatabaseConfig): Connection {
  return mongoose.createConnection(config.url, {
    maxPoolSize: config.poolSize,
    connectTimeoutMS: config.connectTimeoutMs,
    serverSelectionTimeoutMS: config.serverSelectionTimeoutMs,
    socketTimeoutMS: config.socketTimeoutMs,
    bufferCommands: false,
    autoIndex: false,
    autoCreate: false,
    // Acknowledged by a majority and journaled: an answered write survives a primary failover.
    writeConcern: { w: 'majority', j: true },
    retryWrites: true,
  });
}

/** Driver errors that mean the database cannot be reached or cannot serve just now. */
export function isMongoUnavailable(error: unknown): boolean {
  const { name, message, errorLabels } = error as { name?: string; message?: string; errorLabels?: Set<string> | string[] };
  if (name && /MongoNetwork|MongoServerSelection|MongooseServerSelection|MongoNotConnected|MongoTopologyClosed|PoolClosed|PoolCleared/.test(name)) return true;
  const labels = errorLabels instanceof Set ? [...errorLabels] : errorLabels ?? [];
  if (labels.includes('RetryableWriteError') || labels.includes('ResetPool')) return true;
  return typeof message === 'string' && /buffering timed out|Client must be connected|connection .* closed/i.test(message);
}

export const isDuplicateKey = (error: unknown) => (error as { code?: number }).code === 11000;
