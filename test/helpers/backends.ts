import mongoose from 'mongoose';
import { randomToken } from '../../src/lib/ids.ts';
import { keyward as keywardCli } from './cli.ts';
import { mongoLabel, startMongoForTests, withDatabase, type MongoForTests } from './mongo-emulator.ts';

/**
 * A storage backend for tests that run the whole app on each one (`describe.each(backendsForTests())`):
 * SQLite (the test server's default: a fresh file per Keyward), and MongoDB — the wire emulator
 * started here, or the real server in MONGODB_URI — with a fresh database per Keyward, migrated
 * by `keyward migrate` as an operator would.
 */
export interface BackendForTests {
  /** Starts what the backend needs (the emulator); once per describe block. */
  start(): Promise<void>;
  /** Environment for startTestKeyward: a fresh, migrated database. */
  freshDatabase(): Promise<Record<string, string>>;
  /** Drops the databases it made and stops what it started. */
  stop(): Promise<void>;
}

const sqlite = (): BackendForTests => ({
  start: async () => undefined,
  freshDatabase: async () => ({}),
  stop: async () => undefined,
});

const mongo = (): BackendForTests => {
  let server: MongoForTests | undefined;
  const databases: string[] = [];
  return {
    async start() {
      server = await startMongoForTests();
    },
    async freshDatabase() {
      const url = withDatabase(server!.uri, `keyward_e2e_${randomToken(6).replace(/[^A-Za-z0-9]/g, '')}`);
      databases.push(url);
      const env = { DATABASE_URL: url };
      const migrated = await keywardCli(env, ['migrate']);
      if (migrated.code !== 0) throw new Error(`keyward migrate failed on ${mongoLabel()}: ${migrated.err}`);
      return env;
    },
    async stop() {
      // On a real server the test databases would outlive the run; the emulator forgets them anyway.
      if (server && !server.emulated) {
        for (const url of databases.splice(0)) {
          const connection = await mongoose.createConnection(url).asPromise();
          await connection.dropDatabase().finally(() => connection.close());
        }
      }
      await server?.stop();
    },
  };
};

/** [name, backend] pairs for describe.each: SQLite, then MongoDB (emulator or MONGODB_URI). */
export function backendsForTests(): [string, BackendForTests][] {
  return [['SQLite', sqlite()], [mongoLabel(), mongo()]];
}
