import { describe, expect, it } from '@jest/globals';
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
