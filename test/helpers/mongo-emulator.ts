import { freePort } from './free-port.ts';

/**
 * The MongoDB a test talks to: the real server in MONGODB_URI when it is set, else the CongoDB
 * wire emulator (from `@push.rocks/smartmongo`, patched at install by patch-package, see
 * `patches/`) started in this process on a free loopback port. The emulator is a smoke run,
 * never proof: it has no real transactions, write conflicts, change streams, failover or
 * MongoDB's error codes (README, Storage).
 */
export interface MongoForTests {
  /** A connection string without a database name; tests add their own. */
  readonly uri: string;
  /** True for the wire emulator, false for the server in MONGODB_URI. */
  readonly emulated: boolean;
  /** What to call it in a test name. */
  readonly label: string;
  stop(): Promise<void>;
}

/** Whether tests will run on the emulator (decided before any server starts, for test names). */
export const mongoIsEmulated = (): boolean => !process.env.MONGODB_URI;

export const mongoLabel = (): string => (mongoIsEmulated() ? 'MongoDB wire emulator (smoke)' : 'MongoDB (MONGODB_URI)');

interface CongoServerLike {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** The replica-set name the emulator answers `hello` with (see startEmulator). */
export const EMULATOR_REPLICA_SET = 'keyward-emulator';

export async function startMongoForTests(): Promise<MongoForTests> {
  const real = process.env.MONGODB_URI;
  if (real) return { uri: real, emulated: false, label: mongoLabel(), stop: async () => undefined };
  return startEmulator({ replicaSet: true });
}

/**
 * The CongoDB wire emulator on a free loopback port. With `replicaSet` (what the tests use) its
 * `hello` answers as the primary of a one-node replica set, as `mongod --replSet` does, so the
 * driver uses sessions and retryable writes and Keyward accepts it; without, it answers like a
 * standalone `mongod` (no `setName`), which Keyward refuses (the patch in `patches/`).
 */
export async function startEmulator(options: { replicaSet: boolean }): Promise<MongoForTests> {
  // ESM without an exports map: the server is imported from its compiled file.
  const { CongoServer } = await import('@push.rocks/smartmongo/dist_ts/congodb/index.js');
  for (let attempt = 1; ; attempt += 1) {
    const port = await freePort();
    const settings = { host: '127.0.0.1', port, storage: 'memory', ...(options.replicaSet ? { replSetName: EMULATOR_REPLICA_SET } : {}) };
    const server: CongoServerLike = new CongoServer(settings as ConstructorParameters<typeof CongoServer>[0]);
    try {
      await server.start();
    } catch (error) {
      if (attempt < 5 && (error as NodeJS.ErrnoException).code === 'EADDRINUSE') continue; // taken between freePort() and listen
      throw error;
    }
    // One server: connect to it directly. It answers `hello` at once, so the driver must poll it
    // rather than wait on a streaming `hello` (the patch also stops it advertising a
    // topologyVersion, which is what invites streaming).
    return {
      uri: `mongodb://127.0.0.1:${port}/?directConnection=true&serverMonitoringMode=poll`,
      emulated: true,
      label: mongoLabel(),
      stop: () => server.stop(),
    };
  }
}

/** `uri` with its database set to `name` (other parameters kept). */
export function withDatabase(uri: string, name: string): string {
  const url = new URL(uri);
  url.pathname = `/${name}`;
  return url.href;
}
