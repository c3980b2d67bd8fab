import type { Connection } from 'mongoose';
import type { Clock } from '../../lib/clock.ts';
import type { ClientStore, SecretStore, SigningKeyStore, StoredSigningKey } from '../types.ts';
import { isDuplicateKey } from './driver-errors.ts';
import type { MongoModels, SigningKeyDoc } from './models.ts';

/** A document every key-set change writes, so concurrent transactions on the key set conflict. */
const KEY_SET_MARKER = 'signing-key-set';

export function createMongoSigningKeyStore(connection: Connection, models: MongoModels): SigningKeyStore {
  const { signingKeys, secrets } = models;
  const toKey = (doc: SigningKeyDoc): StoredSigningKey => ({
    kid: doc._id, alg: doc.alg as StoredSigningKey['alg'], privateJwk: JSON.parse(doc.privateJwk) as Record<string, unknown>,
    createdAt: doc.createdAt, state: doc.state as StoredSigningKey['state'], stateSince: doc.stateSince,
  });
  const toDoc = (key: StoredSigningKey) => ({ _id: key.kid, alg: key.alg, privateJwk: JSON.stringify(key.privateJwk), createdAt: key.createdAt, state: key.state, stateSince: key.stateSince });
  const list = async () => (await signingKeys.find({}).sort({ createdAt: 1, _id: 1 }).lean()).map(toKey);

  return {
    list,
    async initialiseIfEmpty(keys) {
      try {
        await connection.transaction(async (session) => {
          // Every initialiser writes the marker first, so concurrent ones conflict and one of them
          // retries, finding the keys; "empty" is decided on the keys themselves, as on SQLite (a
          // marker left behind by an emptied collection must not mean "no keys, ever").
          await secrets.updateOne({ _id: KEY_SET_MARKER }, { $inc: { version: 1 }, $setOnInsert: { value: '1', createdAt: Date.now() } }, { session, upsert: true });
          if ((await signingKeys.countDocuments({}, { session })) > 0) return;
          await signingKeys.insertMany(keys.map(toDoc), { session });
        });
      } catch (error) {
        if (!isDuplicateKey(error) && !/WriteConflict/.test(String((error as Error).message))) throw error;
      }
      return list();
    },
    async addNext(keys) {
      await connection.transaction(async (session) => {
        await secrets.updateOne({ _id: KEY_SET_MARKER }, { $inc: { version: 1 } }, { session, upsert: true });
        await signingKeys.insertMany(keys.map((key) => toDoc({ ...key, state: 'next' })), { session });
      });
    },
    async rotate(expectedCurrent, newNext, now) {
      let rotated = false;
      await connection.transaction(async (session) => {
        rotated = false;
        const current = (await signingKeys.find({ state: 'current' }, { _id: 1 }, { session }).lean()).map((d) => d._id).sort();
        if (current.join(',') !== [...expectedCurrent].sort().join(',')) return;
        await secrets.updateOne({ _id: KEY_SET_MARKER }, { $inc: { version: 1 } }, { session, upsert: true });
        await signingKeys.updateMany({ state: 'current' }, { $set: { state: 'previous', stateSince: now } }, { session });
        await signingKeys.updateMany({ state: 'next' }, { $set: { state: 'current', stateSince: now } }, { session });
        await signingKeys.insertMany(newNext.map((key) => toDoc({ ...key, state: 'next', stateSince: now })), { session });
        rotated = true;
      });
      return rotated;
    },
    async retirePrevious(cutoff) {
      let retired: string[] = [];
      await connection.transaction(async (session) => {
        retired = (await signingKeys.find({ state: 'previous', stateSince: { $lte: cutoff } }, { _id: 1 }, { session }).lean()).map((d) => d._id);
        if (retired.length === 0) return;
        await secrets.updateOne({ _id: KEY_SET_MARKER }, { $inc: { version: 1 } }, { session, upsert: true });
        await signingKeys.deleteMany({ _id: { $in: retired } }, { session });
      });
      return retired;
    },
    async replacePrivateJwk(kid, expected, privateJwk) {
      // One document, one atomic update: no key-set marker, since states and kids do not change.
      const result = await signingKeys.updateOne({ _id: kid, privateJwk: JSON.stringify(expected) }, { $set: { privateJwk: JSON.stringify(privateJwk) } });
      return result.matchedCount === 1;
    },
  };
}

export function createMongoSecretStore(models: MongoModels, clock: Clock): SecretStore {
  const { secrets } = models;
  return {
    async getOrCreate(name, value) {
      try {
        await secrets.updateOne({ _id: name }, { $setOnInsert: { value, createdAt: clock.now() } }, { upsert: true });
      } catch (error) {
        if (!isDuplicateKey(error)) throw error; // two upserts raced: the other inserted it
      }
      return (await secrets.findOne({ _id: name }).lean())!.value;
    },
    async list() {
      // The key-set marker shares the collection; it is a version counter, not a secret.
      return (await secrets.find({ _id: { $ne: KEY_SET_MARKER } }).sort({ _id: 1 }).lean()).map((doc) => ({ name: doc._id, value: doc.value }));
    },
    async replace(name, expected, value) {
      return (await secrets.updateOne({ _id: name, value: expected }, { $set: { value } })).matchedCount === 1;
    },
  };
}

export function createMongoClientStore(models: MongoModels, clock: Clock): ClientStore {
  const { clients } = models;
  return {
    async create(clientId, metadata) {
      try {
        await clients.create({ _id: clientId, metadata: JSON.stringify(metadata), createdAt: clock.now(), updatedAt: clock.now(), revision: 1 });
        return true;
      } catch (error) {
        if (isDuplicateKey(error)) return false;
        throw error;
      }
    },
    async find(clientId) {
      const doc = await clients.findOne({ _id: clientId }).lean();
      return doc ? (JSON.parse(doc.metadata) as Record<string, unknown>) : undefined;
    },
    async list() {
      return (await clients.find({}).sort({ _id: 1 }).lean()).map((d) => ({ clientId: d._id, metadata: JSON.parse(d.metadata) as Record<string, unknown>, createdAt: d.createdAt, updatedAt: d.updatedAt, revision: d.revision ?? 0 }));
    },
    async update(clientId, metadata) {
      return (await clients.updateOne({ _id: clientId }, { $set: { metadata: JSON.stringify(metadata), updatedAt: clock.now() }, $inc: { revision: 1 } })).matchedCount === 1;
    },
    async updateIf(clientId, metadata, revision) {
      // Revision 0: a client stored before revisions existed (no field yet).
      const atRevision = revision === 0 ? { revision: { $exists: false } } : { revision };
      const result = await clients.updateOne({ _id: clientId, ...atRevision }, { $set: { metadata: JSON.stringify(metadata), updatedAt: clock.now() }, $inc: { revision: 1 } });
      if (result.matchedCount === 1) return 'updated';
      return (await clients.exists({ _id: clientId })) ? 'conflict' : 'missing';
    },
    async remove(clientId) {
      return (await clients.deleteOne({ _id: clientId })).deletedCount === 1;
    },
  };
}
