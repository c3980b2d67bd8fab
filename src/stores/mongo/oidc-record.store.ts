import type { Clock } from '../../lib/clock.ts';
import type { OidcPayload, OidcRecordStore } from '../types.ts';
import type { MongoModels, OidcRecordDoc } from './models.ts';

const key = (model: string, id: string) => `${model}:${id}`;
const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
/**
 * Equality on a field whose index is partial on `{ $type: 'string' }`: MongoDB uses a partial
 * index only for a query that implies its filter, and plain equality does not (a value's type
 * is not inferred), so the predicate is repeated (docs: "Partial Indexes", query coverage).
 */
export const stringEquals = (value: string) => ({ $eq: value, $type: 'string' as const });

/** oidc-provider records; reads hide what has expired even before the TTL monitor removes it. */
export function createMongoOidcRecordStore(models: MongoModels, clock: Clock): OidcRecordStore {
  const { oidcRecords } = models;
  const live = () => ({ $or: [{ expiresAt: null }, { expiresAt: { $gt: new Date(clock.now()) } }] });
  const toPayload = (doc: Pick<OidcRecordDoc, 'payload' | 'consumedAt'> | null): OidcPayload | undefined => {
    if (!doc) return undefined;
    const payload = JSON.parse(doc.payload) as OidcPayload;
    return typeof doc.consumedAt === 'number' ? { ...payload, consumed: doc.consumedAt } : payload;
  };
  const findOne = async (filter: Record<string, unknown>) => toPayload(await oidcRecords.findOne({ ...filter, ...live() }, { payload: 1, consumedAt: 1 }).lean());

  return {
    async upsert(model, id, payload, expiresAt) {
      const { consumed, ...rest } = payload;
      // A plain update document, not an aggregation pipeline: its values are stored as given (in a
      // pipeline a string starting with `$` would be read as a field path), and mongoose 9 refuses
      // pipelines without `updatePipeline`.
      const fields = {
        model, id, payload: JSON.stringify(rest), grantId: text(rest.grantId) ?? null, uid: text(rest.uid) ?? null,
        userCode: text(rest.userCode) ?? null, accountId: text(rest.accountId) ?? null,
        expiresAt: expiresAt === undefined ? null : new Date(expiresAt),
      };
      // A consumed record stays consumed when it is saved again: `consumedAt` is only ever set,
      // never cleared. $max sets it when it is null or absent (null sorts before every number in
      // BSON order) and otherwise keeps the stored time unless this one is later.
      const consumedAt = typeof consumed === 'number' ? { $max: { consumedAt: consumed } } : { $setOnInsert: { consumedAt: null } };
      await oidcRecords.updateOne({ _id: key(model, id) }, { $set: fields, ...consumedAt }, { upsert: true });
    },
    find: (model, id) => findOne({ _id: key(model, id) }),
    findByUid: (model, uid) => findOne({ model, uid: stringEquals(uid) }),
    findByUserCode: (model, userCode) => findOne({ model, userCode: stringEquals(userCode) }),
    async consume(model, id) {
      // One conditional update: of any number of concurrent callers, exactly one matches.
      const result = await oidcRecords.updateOne({ _id: key(model, id), consumedAt: null, ...live() }, { $set: { consumedAt: Math.floor(clock.now() / 1000) } });
      return result.modifiedCount === 1;
    },
    async destroy(model, id) {
      await oidcRecords.deleteOne({ _id: key(model, id) });
    },
    async revokeByGrantId(model, grantId) {
      await oidcRecords.deleteMany({ model, grantId: stringEquals(grantId) });
    },
    async listByGrantId(model, grantId) {
      const docs = await oidcRecords.find({ model, grantId: stringEquals(grantId), ...live() }, { id: 1, payload: 1, consumedAt: 1 }).lean();
      return docs.map((doc) => ({ id: doc.id, payload: toPayload(doc)! }));
    },
    async listByAccountId(model, accountId, limit) {
      const max = Math.floor(limit);
      // limit(0) would mean "no limit" to MongoDB; "at most 0" means none.
      if (!(max > 0)) return [];
      // Served by the partial `accountId` index (stringEquals makes the query imply its filter).
      const docs = await oidcRecords.find({ model, accountId: stringEquals(accountId), ...live() }, { id: 1, payload: 1, consumedAt: 1, expiresAt: 1 }).sort({ id: 1 }).limit(max).lean();
      return docs.map((doc) => ({ id: doc.id, payload: toPayload(doc)!, expiresAt: doc.expiresAt ? new Date(doc.expiresAt).getTime() : undefined }));
    },
    async revokeByAccountId(accountId, models) {
      return (await oidcRecords.deleteMany({ accountId: stringEquals(accountId), model: { $in: [...models] } })).deletedCount;
    },
    countLive: (model) => oidcRecords.countDocuments({ model, ...live() }),
    async sweepExpired() {
      return (await oidcRecords.deleteMany({ expiresAt: { $ne: null, $lte: new Date(clock.now()) } })).deletedCount;
    },
  };
}
