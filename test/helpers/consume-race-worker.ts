// A separate process racing others to consume the same records in one SQLite file.
// Usage: node consume-race-worker.ts <database-file> <record-count>; waits for "go" on stdin.
import { createInterface } from 'node:readline';
import { createSqliteStores } from '../../src/stores/sqlite/sqlite-stores.ts';
import { systemClock } from '../../src/lib/clock.ts';

const [location, countText] = process.argv.slice(2);
const stores = createSqliteStores({ location: location!, busyTimeoutMs: 10_000 }, systemClock);
const lines = createInterface({ input: process.stdin });
process.stdout.write('ready\n');
for await (const line of lines) {
  if (line !== 'go') continue;
  const won: string[] = [];
  for (let i = 0; i < Number(countText); i += 1) {
    if (await stores.oidcRecords.consume('AuthorizationCode', `race-${i}`)) won.push(`race-${i}`);
  }
  process.stdout.write(`${JSON.stringify(won)}\n`);
  break;
}
lines.close();
await stores.close();
