import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import mongoose from 'mongoose';
import { startNode, type Started } from './processes.ts';

/** Where the benchmarked Keyward keeps its data, and what its figures may be taken for. */
export interface BenchBackend {
  kind: 'sqlite' | 'mongo';
  /** DATABASE_URL for Keyward. */
  url: string;
  /** What to print with the figures. */
  label: string;
  /** False for the wire emulator: its figures are a smoke check, not a measurement of MongoDB. */
  measured: boolean;
  /** Suffix of the result files (bench/results/<date><suffix>.json, latest<suffix>.json). */
  suffix: string;
  /** Drops the bench database (a real server) or stops the emulator. */
  stop(): Promise<void>;
}

export const BACKENDS = ['sqlite', 'mongo'] as const;

/**
 * `sqlite`: a fresh file in `dir`. `mongo`: a fresh database on the replica set in MONGODB_URI,
 * dropped afterwards; without MONGODB_URI, on the CongoDB wire emulator in a process of its own
 * — an in-memory server that runs one command at a time, so those figures only show that the
 * benchmark runs on the MongoDB backend, and are labelled so.
 */
export async function prepareBackend(kind: (typeof BACKENDS)[number], dir: string, env: NodeJS.ProcessEnv): Promise<BenchBackend> {
  if (kind === 'sqlite') return { kind, url: `sqlite:${join(dir, 'keyward.sqlite')}`, label: 'SQLite (embedded)', measured: true, suffix: '', stop: async () => undefined };
  const database = `keyward_bench_${Date.now()}`;
  const real = env.MONGODB_URI;
  if (real) {
    const url = new URL(real);
    url.pathname = `/${database}`;
    return {
      kind, url: url.href, label: `MongoDB (MONGODB_URI, ${url.host})`, measured: true, suffix: '-mongodb',
      async stop() {
        const connection = await mongoose.createConnection(url.href).asPromise();
        await connection.dropDatabase().finally(() => connection.close());
      },
    };
  }
  const log = join(dir, 'mongo-emulator.log');
  const emulator: Started = await startNode(['bench/lib/mongo-emulator-process.ts'], {}, log, /emulator listening at /);
  const uri = new URL(/emulator listening at (\S+)/.exec(readFileSync(log, 'utf8'))![1]!);
  uri.pathname = `/${database}`;
  return {
    kind, url: uri.href, measured: false, suffix: '-mongodb-emulator',
    label: 'MongoDB wire emulator (SMOKE CHECK ONLY: an in-memory emulator running one command at a time; these figures do not measure MongoDB — set MONGODB_URI to a replica set for that)',
    stop: () => emulator.stop(),
  };
}
