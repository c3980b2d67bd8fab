import type { Connection } from 'mongoose';
import type { Clock } from '../../lib/clock.ts';
import { newId } from '../../lib/ids.ts';
import type { Authenticator, AuthenticatorKind, AuthenticatorStore, RecoveryCodeStore } from '../types.ts';
import { isDuplicateKey } from './driver-errors.ts';
import type { AuthenticatorDoc, MongoModels } from './models.ts';
import { stringEquals } from './oidc-record.store.ts';

const toAuthenticator = (d: AuthenticatorDoc | null): Authenticator | undefined => (d ? {
  id: d._id, accountId: d.accountId, kind: d.kind as AuthenticatorKind, name: d.name, secret: d.secret, credentialId: d.credentialId ?? undefined,
  counter: d.counter, transports: d.transports ?? [], backedUp: d.backedUp, confirmed: d.confirmed, lastUsedStep: d.lastUsedStep ?? undefined,
  createdAt: d.createdAt, lastUsedAt: d.lastUsedAt ?? undefined,
} : undefined);

export function createMongoAuthenticatorStore(models: MongoModels, clock: Clock): AuthenticatorStore {
  const { authenticators } = models;
  // Ids come from forms and sessions: matched as strings only, never as query operators.
  const owned = (accountId: string, id: string) => ({ _id: stringEquals(id), accountId: stringEquals(accountId) });
  return {
    async create(a) {
      const doc: AuthenticatorDoc = {
        _id: newId(), accountId: a.accountId, kind: a.kind, name: a.name, secret: a.secret, credentialId: a.credentialId ?? null, counter: a.counter,
        transports: a.transports, backedUp: a.backedUp, confirmed: a.confirmed, lastUsedStep: null, createdAt: clock.now(), lastUsedAt: null,
      };
      try {
        await authenticators.create(doc);
        return toAuthenticator(doc);
      } catch (error) {
        // The unique (partial) index on credentialId decides races between two registrations of one passkey.
        if (isDuplicateKey(error)) return undefined;
        throw error;
      }
    },
    find: async (id) => toAuthenticator(await authenticators.findOne({ _id: stringEquals(id) }).lean()),
    findByCredentialId: async (credentialId) => toAuthenticator(await authenticators.findOne({ credentialId: stringEquals(credentialId) }).lean()),
    async listForAccount(accountId) {
      return (await authenticators.find({ accountId: stringEquals(accountId) }).sort({ createdAt: 1, _id: 1 }).lean()).map((d) => toAuthenticator(d)!);
    },
    async confirm(accountId, id) {
      return (await authenticators.updateOne({ ...owned(accountId, id), confirmed: false }, { $set: { confirmed: true } })).modifiedCount === 1;
    },
    async useTotpStep(id, step) {
      // One conditional update: of concurrent requests with the same code (the same step) exactly
      // one matches, and a step not later than the last one used matches none (RFC 6238 §5.2).
      const result = await authenticators.updateOne(
        { _id: stringEquals(id), kind: 'totp', $or: [{ lastUsedStep: null }, { lastUsedStep: { $lt: step } }] },
        { $set: { lastUsedStep: step, lastUsedAt: clock.now() } },
      );
      return result.modifiedCount === 1;
    },
    async recordPasskeyUse(id, counter) {
      await authenticators.updateOne({ _id: stringEquals(id) }, { $set: { counter, lastUsedAt: clock.now() } });
    },
    async rename(accountId, id, name) {
      return (await authenticators.updateOne(owned(accountId, id), { $set: { name } })).matchedCount === 1;
    },
    async remove(accountId, id) {
      return (await authenticators.deleteOne(owned(accountId, id))).deletedCount === 1;
    },
    async removeAll(accountId) {
      return (await authenticators.deleteMany({ accountId: stringEquals(accountId) })).deletedCount;
    },
    async sweepUnconfirmed(before) {
      return (await authenticators.deleteMany({ confirmed: false, createdAt: { $lt: before } })).deletedCount;
    },
    async listTotp() {
      return (await authenticators.find({ kind: 'totp' }).sort({ createdAt: 1, _id: 1 }).lean()).map((d) => toAuthenticator(d)!);
    },
    async replaceSecret(id, expected, secret) {
      return (await authenticators.updateOne({ _id: stringEquals(id), secret: stringEquals(expected) }, { $set: { secret } })).modifiedCount === 1;
    },
  };
}

const codeKey = (accountId: string, codeHash: string) => JSON.stringify([accountId, codeHash]);

export function createMongoRecoveryCodeStore(connection: Connection, models: MongoModels, clock: Clock): RecoveryCodeStore {
  const { recoveryCodes } = models;
  return {
    async replace(accountId, codeHashes) {
      const docs = [...new Set(codeHashes)].map((codeHash) => ({ _id: codeKey(accountId, codeHash), accountId, codeHash, usedAt: null }));
      // One transaction: the old codes stop working exactly when the new ones start.
      await connection.transaction(async (session) => {
        await recoveryCodes.deleteMany({ accountId: stringEquals(accountId) }, { session });
        if (docs.length > 0) await recoveryCodes.insertMany(docs, { session });
      });
    },
    async consume(accountId, codeHash) {
      // One conditional update decides which of concurrent users of a code wins.
      return (await recoveryCodes.updateOne({ _id: codeKey(accountId, codeHash), usedAt: null }, { $set: { usedAt: clock.now() } })).modifiedCount === 1;
    },
    async remaining(accountId) {
      return recoveryCodes.countDocuments({ accountId: stringEquals(accountId), usedAt: null });
    },
    async removeAll(accountId) {
      await recoveryCodes.deleteMany({ accountId: stringEquals(accountId) });
    },
  };
}
