import type { Clock } from '../../lib/clock.ts';
import type { ApiStore, StoredApi } from '../types.ts';
import { readStoredDefinition } from '../stored-definition.ts';
import { isDuplicateKey } from './driver-errors.ts';
import type { ApiDoc, MongoModels } from './models.ts';

const toApi = (doc: ApiDoc): StoredApi & { identifier: string } => ({
  identifier: doc._id,
  definition: readStoredDefinition(doc.definition),
  revision: doc.revision,
  createdAt: doc.createdAt,
  updatedAt: doc.updatedAt,
});

/**
 * Compare-and-set by a filter on `_id` and `revision` in one update or delete: atomic on the one
 * document, so of two writers holding the same revision exactly one matches. Identifiers are
 * strings here (the service validates them), compared as such: `_id: identifier` never takes an
 * operator object.
 */
export function createMongoApiStore(models: MongoModels, clock: Clock): ApiStore {
  const { apis } = models;
  const exists = async (identifier: string) => (await apis.exists({ _id: identifier })) !== null;
  return {
    async create(identifier, definition) {
      try {
        await apis.create({ _id: identifier, definition: JSON.stringify(definition), revision: 1, createdAt: clock.now(), updatedAt: clock.now() });
        return true;
      } catch (error) {
        if (isDuplicateKey(error)) return false;
        throw error;
      }
    },
    async find(identifier) {
      const doc = await apis.findOne({ _id: identifier }).lean();
      return doc ? toApi(doc) : undefined;
    },
    async list() {
      return (await apis.find({}).sort({ _id: 1 }).lean()).map(toApi);
    },
    async update(identifier, definition, expectedRevision) {
      const result = await apis.updateOne(
        { _id: identifier, revision: expectedRevision },
        { $set: { definition: JSON.stringify(definition), updatedAt: clock.now() }, $inc: { revision: 1 } },
      );
      if (result.matchedCount === 1) return 'updated';
      return (await exists(identifier)) ? 'conflict' : 'missing';
    },
    async remove(identifier, expectedRevision) {
      const filter = expectedRevision === undefined ? { _id: identifier } : { _id: identifier, revision: expectedRevision };
      if ((await apis.deleteOne(filter)).deletedCount === 1) return 'removed';
      return (await exists(identifier)) ? 'conflict' : 'missing';
    },
  };
}
