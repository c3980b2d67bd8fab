import type { Clock } from '../../lib/clock.ts';
import type { MailOutboxStore, OutboxMail } from '../types.ts';
import type { MongoModels } from './models.ts';

export function createMongoMailOutboxStore(models: MongoModels, clock: Clock): MailOutboxStore {
  const { mailOutbox } = models;
  return {
    async enqueue({ id, to, subject, text }) {
      await mailOutbox.create({ _id: id, recipient: to, subject, body: text, createdAt: clock.now(), attempts: 0, nextAttemptAt: clock.now(), leaseUntil: null, lastError: null, abandonedAt: null });
    },
    async claim(limit, leaseMs) {
      const claimed: OutboxMail[] = [];
      // One conditional findOneAndUpdate per mail: each lease is atomic on its document.
      for (let i = 0; i < limit; i += 1) {
        const now = clock.now();
        const doc = await mailOutbox.findOneAndUpdate(
          { abandonedAt: null, nextAttemptAt: { $lte: now }, $or: [{ leaseUntil: null }, { leaseUntil: { $lte: now } }] },
          { $set: { leaseUntil: now + leaseMs }, $inc: { attempts: 1 } },
          { sort: { nextAttemptAt: 1 }, returnDocument: 'after' },
        ).lean();
        if (!doc) break;
        claimed.push({ id: doc._id, to: doc.recipient, subject: doc.subject, text: doc.body, attempts: doc.attempts, leaseUntil: doc.leaseUntil ?? now + leaseMs });
      }
      return claimed;
    },
    async complete(id) {
      await mailOutbox.deleteOne({ _id: id });
    },
    async fail(id, leaseUntil, retryAt, error) {
      const update = retryAt === undefined ? { abandonedAt: clock.now() } : { nextAttemptAt: retryAt };
      await mailOutbox.updateOne({ _id: id, leaseUntil }, { $set: { ...update, leaseUntil: null, lastError: error.slice(0, 500) } });
    },
    pending: () => mailOutbox.countDocuments({ abandonedAt: null }),
    async sweepAbandoned(before) {
      return (await mailOutbox.deleteMany({ abandonedAt: { $ne: null, $lt: before } })).deletedCount;
    },
  };
}
