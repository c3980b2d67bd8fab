import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { systemClock } from '../../src/lib/clock.ts';
import { createSqliteStores } from '../../src/stores/sqlite/sqlite-stores.ts';
import { collect, waitFor } from '../helpers/run-cli.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const WORKER = join(process.cwd(), 'test', 'helpers', 'consume-race-worker.ts');

/** consume() is consume-once across processes, not only within one event loop. */
describe('SQLite consume across processes', () => {
  it('gives each record to exactly one of four racing processes', async () => {
    const location = join(tempDir(), 'race.sqlite');
    const records = 200;
    const stores = createSqliteStores({ location, busyTimeoutMs: 10_000 }, systemClock);
    await stores.migrate();
    for (let i = 0; i < records; i += 1) await stores.oidcRecords.upsert('AuthorizationCode', `race-${i}`, {}, Date.now() + 600_000);
    await stores.close();

    const workers = Array.from({ length: 4 }, () => {
      const child = spawn(process.execPath, [WORKER, location, String(records)], { stdio: ['pipe', 'pipe', 'pipe'] });
      return { child, output: collect(child), exited: once(child, 'exit') };
    });
    try {
      for (const { output } of workers) await waitFor(() => output().stdout, /ready\n/);
      for (const { child } of workers) child.stdin!.write('go\n');
      await Promise.all(workers.map(({ exited }) => exited));
      const wins = workers.map(({ output }) => JSON.parse(output().stdout.split('\n')[1]!) as string[]);
      const all = wins.flat();
      expect(all).toHaveLength(records);
      expect(new Set(all).size).toBe(records);
    } finally {
      for (const { child } of workers) if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
