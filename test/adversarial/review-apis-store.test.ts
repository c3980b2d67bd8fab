import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { AdminCall } from '../../src/services/admin/admin-context.ts';
import { clientMetadataSchema } from '../../src/services/clients.service.ts';
import { childEnv, collect, KEYWARD_BIN } from '../helpers/run-cli.ts';
import { freePort, postAsClient, startTestKeyward, type TestKeyward } from '../helpers/test-server.ts';

/** Outside review of APIs in the store: look-alike identifiers, and entries the store cannot read. */
const call: AdminCall = { actor: { kind: 'cli', user: 'review' }, origin: {} };
const FILE_API = { identifier: 'https://orders.test/api', name: 'Orders', scopes: { 'orders:read': 'Read orders' } };
const JOB = { client_id: 'rev-job', kind: 'service', client_secret: 'rev-job-secret-0123456789abcdef0123456789ab' } as const;

describe('review: store APIs', () => {
  let a: TestKeyward;
  beforeAll(async () => {
    a = await startTestKeyward({ registry: { apis: [FILE_API] } });
  });
  afterAll(async () => {
    await a?.stop();
  });

  it('refuses look-alikes of a file API, another store API and the built-in admin API', async () => {
    const admin = a.running.container.admin.apis;
    await expect(admin.create(call, { ...FILE_API, identifier: 'https://ORDERS.test/api/' })).rejects.toMatchObject({ status: 409 });
    await expect(admin.create(call, { ...FILE_API, identifier: 'https://orders.test/%61pi' })).rejects.toMatchObject({ status: 409 });
    for (const identifier of [`${a.issuer}/admin/api/%76%31`, `${a.issuer}/admin/api/v1?`, `${a.issuer}/other`]) {
      await expect(admin.create(call, { identifier, name: 'Keyward admin API', scopes: { 'admin:write': 'x' } })).rejects.toMatchObject({ status: 409 });
    }
    await admin.create(call, { identifier: 'https://billing.test/v1', scopes: {} });
    await expect(admin.create(call, { identifier: 'https://Billing.test/v1/', scopes: {} })).rejects.toMatchObject({ status: 409 });
    expect((await admin.list()).filter((v) => v.source === 'store').map((v) => v.identifier)).toEqual(['https://billing.test/v1']);
  });

  it('an entry the store cannot read is listed as invalid and skipped: changes still propagate and replicas still start', async () => {
    const admin = a.running.container.admin.apis;
    await a.running.container.stores.clients.create(JOB.client_id, clientMetadataSchema.parse({ ...JOB, api_scopes: { 'https://ed.test': ['ed:read'] } }));
    await admin.create(call, { identifier: 'https://ed.test', scopes: { 'ed:read': 'r' }, signing_alg: 'EdDSA' });
    expect((await postAsClient(`${a.issuer}/token`, JOB, { grant_type: 'client_credentials', resource: 'https://ed.test', scope: 'ed:read' })).status).toBe(200);

    const db = new DatabaseSync(a.databaseFile);
    db.prepare('INSERT INTO apis (identifier, definition, revision, created_at, updated_at) VALUES (?, ?, 1, 0, 0)').run('https://broken.test', '{"identifier": "https://broken.test",');
    db.close();

    const broken = (await admin.list()).find((v) => v.identifier === 'https://broken.test')!;
    expect(broken.problems.length).toBeGreaterThan(0);
    const before = await admin.show('https://ed.test');
    await admin.update(call, 'https://ed.test', { identifier: 'https://ed.test', scopes: { 'ed:read': 'r' }, signing_alg: 'EdDSA', access_token_ttl: 45 }, before.revision!);
    const after = await postAsClient(`${a.issuer}/token`, JOB, { grant_type: 'client_credentials', resource: 'https://ed.test', scope: 'ed:read' });
    expect(after.json.expires_in).toBe(45);

    // A replica started now on this store starts.
    const port = await freePort();
    const env = { ISSUER: a.issuer, PORT: String(port), DATABASE_URL: `sqlite:${a.databaseFile}`, CLIENTS_FILE: String(a.running.container.config.clientsFile) };
    const b = spawn(process.execPath, [KEYWARD_BIN, 'start'], { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    const output = collect(b);
    try {
      const deadline = Date.now() + 20_000;
      while (!/Keyward is listening/.test(output().stdout + output().stderr) && b.exitCode === null && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(output().stdout + output().stderr).toMatch(/Keyward is listening/);
    } finally {
      if (b.exitCode === null) {
        const exited = once(b, 'exit');
        b.kill('SIGKILL');
        await exited;
      }
    }
    // The invalid entry can be removed.
    await admin.remove(call, 'https://broken.test');
  }, 30_000);

  it('a stored definition of JSON null does not stop a new default API', async () => {
    const db = new DatabaseSync(a.databaseFile);
    db.prepare('INSERT INTO apis (identifier, definition, revision, created_at, updated_at) VALUES (?, ?, 1, 0, 0)').run('https://null.test', 'null');
    db.close();
    const admin = a.running.container.admin.apis;
    expect((await admin.list()).find((v) => v.identifier === 'https://null.test')!.problems.length).toBeGreaterThan(0);
    await expect(admin.create(call, { identifier: 'https://default.test', scopes: {}, default: true })).resolves.toMatchObject({ identifier: 'https://default.test' });
  });
});
