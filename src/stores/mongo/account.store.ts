import type { Clock } from '../../lib/clock.ts';
import { newId } from '../../lib/ids.ts';
import { normalizeEmail, type AccountRecord, type AccountStore, type FederatedIdentity, type FederatedIdentityStore } from '../types.ts';
import { isDuplicateKey } from './driver-errors.ts';
import type { AccountDoc, FederatedIdentityDoc, MongoModels } from './models.ts';

const toAccount = (d: AccountDoc | null): AccountRecord | undefined => (d ? {
  id: d._id, email: d.email, emailNormalized: d.emailNormalized, emailVerified: d.emailVerified, name: d.name ?? undefined, picture: d.picture ?? undefined,
  passwordHash: d.passwordHash ?? undefined, roles: d.roles ?? [], disabled: d.disabled, createdAt: d.createdAt, updatedAt: d.updatedAt, lastSignInAt: d.lastSignInAt ?? undefined,
  revision: d.revision ?? 0,
} : undefined);

export function createMongoAccountStore(models: MongoModels, clock: Clock): AccountStore {
  const { accounts } = models;
  const set = async (id: string, fields: Partial<AccountDoc>) => {
    await accounts.updateOne({ _id: id }, { $set: { ...fields, updatedAt: clock.now() }, $inc: { revision: 1 } });
  };
  // Revision 0 is an account written before revisions existed: the field is absent.
  const atRevision = (revision: number) => (revision === 0 ? { revision: { $exists: false } } : { revision });
  return {
    async create(account) {
      const now = clock.now();
      const doc: AccountDoc = {
        _id: newId(), email: account.email.trim(), emailNormalized: normalizeEmail(account.email), emailVerified: account.emailVerified, name: account.name ?? null,
        picture: account.picture ?? null, passwordHash: account.passwordHash ?? null, roles: account.roles, disabled: false, createdAt: now, updatedAt: now, lastSignInAt: null, revision: 1,
      };
      try {
        await accounts.create(doc);
        return toAccount(doc);
      } catch (error) {
        // The unique index on the normalised email decides races between two registrations.
        if (isDuplicateKey(error)) return undefined;
        throw error;
      }
    },
    findById: async (id) => toAccount(await accounts.findOne({ _id: id }).lean()),
    findByEmail: async (email) => toAccount(await accounts.findOne({ emailNormalized: normalizeEmail(email) }).lean()),
    setPasswordHash: (id, passwordHash) => set(id, { passwordHash }),
    markEmailVerified: (id) => set(id, { emailVerified: true }),
    setDisabled: (id, disabled) => set(id, { disabled }),
    setRoles: (id, roles) => set(id, { roles }),
    async setEmail(id, email, emailVerified) {
      try {
        const result = await accounts.updateOne({ _id: id }, { $set: { email: email.trim(), emailNormalized: normalizeEmail(email), emailVerified, updatedAt: clock.now() }, $inc: { revision: 1 } });
        return result.matchedCount === 1;
      } catch (error) {
        // The unique index on the normalised email: another account has that address.
        if (isDuplicateKey(error)) return false;
        throw error;
      }
    },
    remove: async (id) => (await accounts.deleteOne({ _id: id })).deletedCount === 1,
    async updateProfile(id, profile) {
      const fields: Partial<AccountDoc> = {};
      if (profile.name !== undefined) fields.name = profile.name;
      if (profile.picture !== undefined) fields.picture = profile.picture;
      if (profile.emailVerified !== undefined) fields.emailVerified = profile.emailVerified;
      await set(id, fields);
    },
    async list({ limit, offset }) {
      return (await accounts.find({}).sort({ createdAt: 1, _id: 1 }).skip(offset).limit(limit).lean()).map((d) => toAccount(d)!);
    },
    async search({ emailPrefix, after, limit }) {
      const max = Math.floor(limit);
      if (!(max > 0)) return [];
      // A range of the unique emailNormalized index (binary string order, no regular expression).
      const prefix = emailPrefix ? normalizeEmail(emailPrefix) : '';
      const range: Record<string, string> = { $gte: prefix, $lt: `${prefix}\u{10FFFF}` };
      if (after) range.$gt = after;
      return (await accounts.find({ emailNormalized: range }).sort({ emailNormalized: 1 }).limit(max).lean()).map((d) => toAccount(d)!);
    },
    count: () => accounts.estimatedDocumentCount(),
    countEnabledWithRole: (role, exceptId) => accounts.countDocuments({ roles: role, disabled: false, _id: { $ne: exceptId } }),
    async updateIf(id, revision, changes) {
      const fields: Partial<AccountDoc> = { updatedAt: clock.now() };
      if (changes.name !== undefined) fields.name = changes.name;
      if (changes.roles !== undefined) fields.roles = changes.roles;
      if (changes.disabled !== undefined) fields.disabled = changes.disabled;
      if (changes.emailVerified !== undefined) fields.emailVerified = changes.emailVerified;
      const result = await accounts.updateOne({ _id: id, ...atRevision(revision) }, { $set: fields, $inc: { revision: 1 } });
      if (result.matchedCount === 1) return 'updated';
      return (await accounts.exists({ _id: id })) ? 'conflict' : 'missing';
    },
    async recordSignIn(id) {
      await accounts.updateOne({ _id: id }, { $set: { lastSignInAt: clock.now() } });
    },
  };
}

const identityKey = (upstream: string, subject: string) => JSON.stringify([upstream, subject]);
const toIdentity = (d: FederatedIdentityDoc): FederatedIdentity => ({ upstream: d.upstream, subject: d.subject, accountId: d.accountId, email: d.email ?? undefined, createdAt: d.createdAt, lastUsedAt: d.lastUsedAt });

export function createMongoFederatedIdentityStore(models: MongoModels, clock: Clock): FederatedIdentityStore {
  const { federatedIdentities } = models;
  return {
    async find(upstream, subject) {
      const doc = await federatedIdentities.findOne({ _id: identityKey(upstream, subject) }).lean();
      return doc ? toIdentity(doc) : undefined;
    },
    async link({ upstream, subject, accountId, email }) {
      try {
        // The _id (upstream, subject) makes an identity belong to one account only.
        await federatedIdentities.create({ _id: identityKey(upstream, subject), upstream, subject, accountId, email: email ?? null, createdAt: clock.now(), lastUsedAt: clock.now() });
        return true;
      } catch (error) {
        if (isDuplicateKey(error)) return false;
        throw error;
      }
    },
    async listForAccount(accountId) {
      return (await federatedIdentities.find({ accountId }).sort({ createdAt: 1, upstream: 1, subject: 1 }).lean()).map(toIdentity);
    },
    async unlink(accountId, upstream, subject) {
      return (await federatedIdentities.deleteOne({ _id: identityKey(upstream, subject), accountId })).deletedCount === 1;
    },
    async touch(upstream, subject) {
      await federatedIdentities.updateOne({ _id: identityKey(upstream, subject) }, { $set: { lastUsedAt: clock.now() } });
    },
  };
}
