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
    // Bounded: without wtimeout a write waits for a majority that may never come (a partition);
    // past it the driver reports a write-concern error, which the store guard answers as 503.
    writeConcern: { w: 'majority', j: true, wtimeoutMS: 10_000 },
    retryWrites: true,
  });
}
