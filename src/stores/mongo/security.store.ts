import type { Clock } from '../../lib/clock.ts';
import type { AuditEvent, AuditStore, OneTimeTokenStore, ThrottleStore } from '../types.ts';
import { isDuplicateKey } from './driver-errors.ts';
import { Types } from 'mongoose';
import type { AuditDoc, MongoModels } from './models.ts';
import { stringEquals } from './oidc-record.store.ts';

export function createMongoOneTimeTokenStore(models: MongoModels, clock: Clock): OneTimeTokenStore {
  const { oneTimeTokens } = models;
  const usable = (tokenHash: string, purpose: string) => ({ _id: tokenHash, purpose, usedAt: null, expiresAt: { $gt: new Date(clock.now()) } });
  return {
    async create({ tokenHash, purpose, accountId, expiresAt }) {
      await oneTimeTokens.create({ _id: tokenHash, purpose, accountId, createdAt: clock.now(), expiresAt: new Date(expiresAt), usedAt: null });
    },
    async consume(tokenHash, purpose) {
      // One conditional update decides which of concurrent users of a link wins.
      const doc = await oneTimeTokens.findOneAndUpdate(usable(tokenHash, purpose), { $set: { usedAt: clock.now() } }, { projection: { accountId: 1 } }).lean();
      return doc?.accountId;
    },
    async ownerOf(tokenHash, purpose) {
      return (await oneTimeTokens.findOne(usable(tokenHash, purpose), { accountId: 1 }).lean())?.accountId;
    },
    async invalidateAll(accountId, purpose) {
      await oneTimeTokens.updateMany({ accountId, purpose, usedAt: null }, { $set: { usedAt: clock.now() } });
    },
    async sweep() {
      return (await oneTimeTokens.deleteMany({ $or: [{ expiresAt: { $lte: new Date(clock.now()) } }, { usedAt: { $ne: null } }] })).deletedCount;
    },
  };
}

export function createMongoThrottleStore(models: MongoModels, clock: Clock): ThrottleStore {
  const { throttle } = models;
  return {
    async hit(key, windowMs) {
      const now = new Date(clock.now());
      // Plain conditional updates, each atomic on the one counter (no aggregation pipeline):
      // one more in a window that is still open; else a new window, replacing an ended one or
      // inserting the first. Two processes starting a window at once collide on the _id: the
      // loser's upsert fails with a duplicate key and it counts in the winner's window instead.
      for (let attempt = 1; ; attempt += 1) {
        const counted = await throttle.findOneAndUpdate({ _id: key, windowEndsAt: { $gt: now } }, { $inc: { count: 1 } }, { returnDocument: 'after' }).lean();
        if (counted) return { count: counted.count, resetAt: counted.windowEndsAt.getTime() };
        const ends = new Date(clock.now() + windowMs);
        try {
          const started = await throttle.findOneAndUpdate(
            { _id: key, $or: [{ windowEndsAt: { $lte: now } }, { windowEndsAt: null }] },
            { $set: { count: 1, windowEndsAt: ends } },
            { upsert: true, returnDocument: 'after' },
          ).lean();
          return { count: started!.count, resetAt: started!.windowEndsAt.getTime() };
        } catch (error) {
          if (!isDuplicateKey(error) || attempt >= 5) throw error;
        }
      }
    },
    async peek(key) {
      const doc = await throttle.findOne({ _id: key, windowEndsAt: { $gt: new Date(clock.now()) } }).lean();
      return doc ? { count: doc.count, resetAt: doc.windowEndsAt.getTime() } : { count: 0, resetAt: clock.now() };
    },
    async reset(key) {
      await throttle.deleteOne({ _id: key });
    },
    async release(key) {
      // A plain conditional $inc: atomic, and no aggregation-pipeline update.
      await throttle.updateOne({ _id: key, count: { $gt: 0 }, windowEndsAt: { $gt: new Date(clock.now()) } }, { $inc: { count: -1 } });
    },
    async sweep() {
      return (await throttle.deleteMany({ windowEndsAt: { $lte: new Date(clock.now()) } })).deletedCount;
    },
  };
}

const toAuditEvent = (d: AuditDoc): AuditEvent => ({
  at: d.at.getTime(), event: d.event, outcome: d.outcome as AuditEvent['outcome'], accountId: d.accountId ?? undefined, clientId: d.clientId ?? undefined,
  ip: d.ip ?? undefined, userAgent: d.userAgent ?? undefined, details: d.details ? (JSON.parse(d.details) as Record<string, unknown>) : undefined,
});

/** A page cursor: the time and ObjectId of the last event shown (newest-first order). */
function decodeAuditCursor(cursor: string | undefined): { at: Date; id: Types.ObjectId } | undefined {
  const match = /^(\d{1,15})\.([0-9a-f]{24})$/.exec(cursor ?? '');
  return match ? { at: new Date(Number(match[1])), id: new Types.ObjectId(match[2]) } : undefined;
}

export function createMongoAuditStore(models: MongoModels): AuditStore {
  const { audit } = models;
  return {
    async record(e) {
      await audit.create({ at: new Date(e.at), event: e.event, outcome: e.outcome, accountId: e.accountId, clientId: e.clientId, ip: e.ip, userAgent: e.userAgent, details: e.details ? JSON.stringify(e.details) : undefined });
    },
    async list({ accountId, event, limit }) {
      const filter: Record<string, unknown> = {};
      if (accountId) filter.accountId = stringEquals(accountId);
      if (event) filter.event = event;
      const docs = await audit.find(filter).sort({ at: -1, _id: -1 }).limit(limit).lean();
      return docs.map(toAuditEvent);
    },
    async query(q) {
      const filter: Record<string, unknown> = { at: { $gte: new Date(q.from ?? 0), $lt: new Date(q.to ?? 8.64e15) } };
      if (q.accountId) filter.accountId = stringEquals(q.accountId);
      if (q.clientId) filter.clientId = stringEquals(q.clientId);
      if (q.event) filter.event = q.event;
      if (q.outcome) filter.outcome = q.outcome;
      const after = decodeAuditCursor(q.after);
      if (after) filter.$or = [{ at: { $lt: after.at } }, { at: after.at, _id: { $lt: after.id } }];
      const limit = Math.max(0, Math.floor(q.limit));
      const docs = await audit.find(filter).sort({ at: -1, _id: -1 }).limit(limit + 1).lean();
      const page = docs.slice(0, limit);
      const last = page.at(-1);
      return { events: page.map(toAuditEvent), next: docs.length > limit && last ? `${last.at.getTime()}.${String(last._id)}` : undefined };
    },
    async countByHour(event, from, to) {
      // The start of each event's hour: at − ((at − epoch) mod 1 h), plain date arithmetic.
      const hour = { $subtract: ['$at', { $mod: [{ $subtract: ['$at', new Date(0)] }, 3_600_000] }] };
      const groups = await audit.aggregate<{ _id: { hour: Date; outcome: string }; count: number }>([
        { $match: { event, at: { $gte: new Date(from), $lt: new Date(to) } } },
        { $group: { _id: { hour, outcome: '$outcome' }, count: { $sum: 1 } } },
      ]);
      return groups.map((g) => ({ hour: new Date(g._id.hour).getTime(), outcome: g._id.outcome, count: g.count })).sort((a, b) => a.hour - b.hour);
    },
    async deleteOlderThan(before) {
      return (await audit.deleteMany({ at: { $lt: new Date(before) } })).deletedCount;
    },
  };
}
