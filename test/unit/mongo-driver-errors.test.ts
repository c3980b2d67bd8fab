import { describe, expect, it } from '@jest/globals';
import mongoose from 'mongoose';
import { isMongoUnavailable, isNamespaceNotFound } from '../../src/stores/mongo/driver-errors.ts';

/**
 * Errors shaped as the MongoDB driver raises them during a failover (no server needed): each
 * must be answered 503 + Retry-After by the store guard, not 500.
 */
describe('MongoDB driver errors', () => {
  it.each([
    ['NotWritablePrimary', { name: 'MongoServerError', code: 10107 }],
    ['InterruptedDueToReplStateChange', { name: 'MongoServerError', code: 11602 }],
    ['PrimarySteppedDown', { name: 'MongoServerError', code: 189 }],
    ['ShutdownInProgress', { name: 'MongoServerError', code: 91 }],
    ['InterruptedAtShutdown', { name: 'MongoServerError', code: 11600 }],
    ['NotPrimaryNoSecondaryOk', { name: 'MongoServerError', code: 13435 }],
    ['a transient transaction error', { name: 'MongoServerError', code: 112, errorLabels: new Set(['TransientTransactionError']) }],
    ['a write concern timeout', { name: 'MongoWriteConcernError', code: 64 }],
    ['a write concern error inside a write result', { name: 'MongoBulkWriteError', writeConcernError: { code: 64 } }],
    ['a retryable write error', { name: 'MongoServerError', code: 1, errorLabels: ['RetryableWriteError'] }],
    ['a network error', { name: 'MongoNetworkError' }],
  ])('takes %s for "unavailable"', (_what, error) => {
    expect(isMongoUnavailable(error)).toBe(true);
  });

  it('takes a real bug for a bug', () => {
    expect(isMongoUnavailable({ name: 'MongoServerError', code: 11000 })).toBe(false);
    expect(isMongoUnavailable({ name: 'MongoServerError', code: 2, message: 'BadValue' })).toBe(false);
  });

  it('knows "no such collection" apart from other failures of listIndexes', () => {
    expect(isNamespaceNotFound({ code: 26, codeName: 'NamespaceNotFound' })).toBe(true);
    expect(isNamespaceNotFound({ code: 13, codeName: 'Unauthorized' })).toBe(false);
    expect(isNamespaceNotFound({ name: 'MongoNetworkError' })).toBe(false);
  });
});

/** The same, built with the driver's own error classes as it builds them from server replies (mongoose.mongo is the driver). */
describe('MongoDB driver errors, as the driver constructs them', () => {
  const { MongoServerError, MongoWriteConcernError, MongoBulkWriteError, MongoNetworkError, MongoServerSelectionError } = mongoose.mongo;
  const reply = (code: number, codeName: string, errorLabels: string[] = []) => ({ ok: 0, code, codeName, errmsg: codeName, errorLabels });

  it.each([
    ['an election: NotWritablePrimary on updateMany', new MongoServerError(reply(10107, 'NotWritablePrimary'))],
    ['a step-down during deleteMany', new MongoServerError(reply(11602, 'InterruptedDueToReplStateChange'))],
    ['a primary stepping down', new MongoServerError(reply(189, 'PrimarySteppedDown'))],
    ['a node shutting down', new MongoServerError(reply(91, 'ShutdownInProgress'))],
    ['a node interrupted at shutdown', new MongoServerError(reply(11600, 'InterruptedAtShutdown'))],
    ['a secondary asked to write', new MongoServerError(reply(13435, 'NotPrimaryNoSecondaryOk'))],
    ['a write conflict in a transaction', new MongoServerError(reply(112, 'WriteConflict', ['TransientTransactionError']))],
    ['a majority not reached in time', new MongoWriteConcernError({ ok: 1, n: 1, writeConcernError: { code: 64, codeName: 'WriteConcernTimeout', errmsg: 'waiting for replication timed out', errInfo: { wtimeout: true } } })],
    ['a write concern error on insertMany', new MongoBulkWriteError({ message: 'waiting for replication timed out', code: 64 }, { result: { writeConcernErrors: [{ code: 64 }] } } as never)],
    ['a network error', new MongoNetworkError('connection 3 to 127.0.0.1:27017 closed')],
    ['no server to select', new MongoServerSelectionError('Server selection timed out after 5000 ms', { type: 'ReplicaSetNoPrimary' } as never)],
  ])('takes %s for "unavailable"', (_what, error) => {
    expect(isMongoUnavailable(error)).toBe(true);
  });

  it('takes a duplicate key and a bad query for what they are', () => {
    expect(isMongoUnavailable(new MongoServerError(reply(11000, 'DuplicateKey')))).toBe(false);
    expect(isMongoUnavailable(new MongoServerError(reply(2, 'BadValue')))).toBe(false);
    expect(isMongoUnavailable(new MongoServerError(reply(13, 'Unauthorized')))).toBe(false);
  });
});
