import type { Connection, mongo } from 'mongoose';
import { StartupError } from '../../errors/app-error.ts';

/** What this module needs of a model, whatever its document type. */
interface AnyModel {
  readonly collection: { readonly collectionName: string; dropIndex(name: string): Promise<unknown>; createIndex(key: mongo.IndexSpecification, options: mongo.CreateIndexesOptions): Promise<string> };
  readonly schema: { indexes(): [unknown, unknown][] };
  diffIndexes(options: { indexOptionsToCreate: boolean }): Promise<{ toDrop: string[]; toCreate: unknown[] }>;
  createCollection(): Promise<unknown>;
}
type IndexSpec = [mongo.IndexSpecification, mongo.CreateIndexesOptions];

interface IndexPlan {
  collection: string;
  /** Keyward's indexes that are absent, or present under their name with another definition. */
  create: IndexSpec[];
  /** Keyward's indexes whose stored definition differs from the schema's (dropped, then created again). */
  drop: string[];
  /** Indexes Keyward does not define (an operator's own): never dropped. */
  foreign: string[];
}

const nameOf = ([, options]: IndexSpec) => String(options.name);

/**
 * What `keyward migrate` must change so the collection's indexes are the schema's. mongoose's
 * diffIndexes compares keys and options (unique, partialFilterExpression, expireAfterSeconds…),
 * so an index whose options changed in a new version is found even though its name did not
 * change — createIndexes alone would fail on it with IndexOptionsConflict.
 */
async function planIndexes(model: AnyModel): Promise<IndexPlan> {
  const { toDrop, toCreate } = await model.diffIndexes({ indexOptionsToCreate: true });
  const ours = new Set(model.schema.indexes().map(([, options]) => String((options as { name?: string }).name)));
  return {
    collection: model.collection.collectionName,
    create: toCreate as unknown as IndexSpec[],
    drop: toDrop.filter((name) => ours.has(name)),
    foreign: toDrop.filter((name) => !ours.has(name)),
  };
}

/** Creates the collections and brings every index to the schema's definition; returns what it changed, one line each. */
export async function syncSchema(connection: Connection, models: readonly AnyModel[]): Promise<string[]> {
  const changes: string[] = [];
  const collections = new Set((await connection.db!.listCollections({}, { nameOnly: true }).toArray()).map((collection) => collection.name));
  for (const model of models) {
    const name = model.collection.collectionName;
    if (!collections.has(name)) {
      await model.createCollection().catch((error: { codeName?: string }) => {
        if (error.codeName !== 'NamespaceExists') throw error; // another migrate was quicker
      });
      changes.push(`created collection ${name}`);
    }
    const plan = await planIndexes(model);
    // A unique index changed in place would leave a window without uniqueness (drop, then build),
    // in which running instances may write duplicates that then stop the new index from
    // building: refused, for the operator to do during a maintenance window.
    const uniqueChanged = plan.drop.filter((index) => plan.create.some((spec) => nameOf(spec) === index && (spec[1] as { unique?: boolean }).unique));
    if (uniqueChanged.length > 0) {
      throw new StartupError(`MongoDB: the unique index ${uniqueChanged.map((index) => `${name}.${index}`).join(', ')} differs from Keyward's definition; stop every Keyward instance, drop it, and run "keyward migrate" again`);
    }
    for (const index of plan.drop) {
      await model.collection.dropIndex(index).catch((error: { code?: number }) => {
        if (error.code !== 27) throw error; // IndexNotFound: another migrate dropped it first
      });
      changes.push(`dropped index ${name}.${index} (its definition changed)`);
    }
    for (const [key, options] of plan.create) {
      await model.collection.createIndex(key, options);
      changes.push(`created index ${name}.${nameOf([key, options])}`);
    }
    for (const index of plan.foreign) changes.push(`kept index ${name}.${index} (not defined by Keyward)`);
  }
  return changes;
}

/** Keyward's indexes that are missing or differ from the schema ("collection.index"); empty when migrated. */
export async function outdatedIndexes(models: readonly AnyModel[]): Promise<string[]> {
  const outdated: string[] = [];
  for (const model of models) {
    const plan = await planIndexes(model);
    outdated.push(...plan.create.map((spec) => `${plan.collection}.${nameOf(spec)}`));
  }
  return outdated;
}

/**
 * Refuses a standalone mongod, naming the requirement: Keyward uses transactions (key-set
 * changes) and retryable writes, which MongoDB offers only on a replica set (or through mongos);
 * a standalone server would fail at the first of them with "Transaction numbers are only
 * allowed on a replica set member or mongos".
 */
export async function assertReplicaSet(connection: Connection, where: string): Promise<void> {
  const admin = connection.db!.admin();
  const hello = await admin.command({ hello: 1 }).catch(async (error: unknown) => {
    if ((error as { codeName?: string }).codeName !== 'CommandNotFound') throw error;
    return admin.command({ isMaster: 1 }); // servers before 4.4.2
  });
  if (typeof hello.setName === 'string' || hello.msg === 'isdbgrid') return;
  throw new StartupError(
    `MongoDB at ${where} is a standalone server, but Keyward needs a replica set: it uses transactions and retryable writes, which MongoDB offers only on replica-set members (or through mongos). ` +
    'Start mongod with --replSet <name> and run rs.initiate() once; a one-node replica set will do (docker/compose.yml runs one).',
  );
}
