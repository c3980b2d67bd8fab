import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from '@jest/globals';
import { freePort } from '../helpers/free-port.ts';
import { childEnv, collect, KEYWARD_BIN, waitFor } from '../helpers/run-cli.ts';

/** MongoDB unreachable at start: Keyward listens, says it is not ready, and retries with backoff. */
describe('start with the database unreachable', () => {
  it('answers /healthz 200 and /readyz 503, logs each retry with a growing delay, and stops cleanly', async () => {
    const port = await freePort();
    const closedPort = await freePort();
    const child = spawn(process.execPath, [KEYWARD_BIN, 'start'], {
      env: childEnv({ PORT: String(port), DATABASE_URL: `mongodb://user:secret-password@127.0.0.1:${closedPort}/keyward`, MONGO_SERVER_SELECTION_TIMEOUT_MS: '200' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output = collect(child);
    try {
      await waitFor(() => output().stdout, /"attempt":2,"retryInMs":2000/, 10_000);
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ status: 'starting', reason: 'waiting for the database' });
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      const token = await fetch(`http://127.0.0.1:${port}/token`, { method: 'POST' });
      expect(token.status).toBe(503);
      expect(token.headers.get('retry-after')).toBe('5');
      expect(output().stdout).toMatch(/"attempt":1,"retryInMs":1000,"reason":"connect ECONNREFUSED[^"]*","msg":"the database is not reachable; retrying"/);
      expect(output().stdout + output().stderr).not.toContain('secret-password');
      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      expect(code).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
