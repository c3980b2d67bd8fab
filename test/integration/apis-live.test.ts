import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import type { AdminCall } from '../../src/services/admin/admin-context.ts';
import { adminApiIdentifier } from '../../src/services/apis.service.ts';
import { clientMetadataSchema } from '../../src/services/clients.service.ts';
import { childEnv, collect, KEYWARD_BIN, waitFor } from '../helpers/run-cli.ts';
import { freePort, postAsClient, startTestKeyward, type TestKeyward } from '../helpers/test-server.ts';

const call: AdminCall = { actor: { kind: 'cli', user: 'test' }, origin: {} };
const LIVE_API = { identifier: 'https://live.test', name: 'Live API', scopes: { 'live:read': 'Read live data' }, access_token_ttl: 120 };
const LIVE_JOB = { client_id: 'live-job', kind: 'service', client_secret: 'live-job-secret-0123456789abcdef0123456789' } as const;
const OPS_JOB = { client_id: 'ops-job', kind: 'service', client_secret: 'ops-job-secret-0123456789abcdef0123456789ab' } as const;

/** Polls `attempt` every 100 ms until it returns true, for at most `timeoutMs`; false if it never did. */
async function eventually(attempt: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await attempt()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * APIs added while Keyward runs: served at once by the instance that added it, and within
 * API_REFRESH_SECONDS by another process on the same store, without a restart.
 */
describe('APIs in the store, changed at run time', () => {
  let a: TestKeyward;
  let b: ChildProcess | undefined;
  let atB: string;
  const tokenFor = (base: string, client: { client_id: string; client_secret: string }, resource: string, scope: string) =>
    postAsClient(`${base}/token`, client, { grant_type: 'client_credentials', resource, scope });

  beforeAll(async () => {
    const port = await freePort();
    const issuer = `http://127.0.0.1:${port}`;
    // A clients-file client granted Keyward's own admin API, declared nowhere else.
    const opsJob = { ...OPS_JOB, api_scopes: { [adminApiIdentifier(issuer)]: ['admin:read'] } };
    a = await startTestKeyward({ port, registry: { clients: [opsJob] } });
    const portB = await freePort();
    atB = `http://127.0.0.1:${portB}`;
    // A replica: the same issuer, store and clients file, another port.
    const env = { ISSUER: issuer, PORT: String(portB), DATABASE_URL: `sqlite:${a.databaseFile}`, CLIENTS_FILE: String(a.running.container.config.clientsFile), API_REFRESH_SECONDS: '1' };
    b = spawn(process.execPath, [KEYWARD_BIN, 'start'], { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    const output = collect(b);
    await waitFor(() => `${output().stdout}${output().stderr}`, /Keyward is listening/, 20_000);
  });
  afterAll(async () => {
    // Waits for the replica to exit, so that no handle of it outlives the test file.
    if (b && b.exitCode === null) {
      const exited = once(b, 'exit');
      b.kill('SIGKILL');
      await exited;
    }
    await a?.stop();
  });

  it('issues tokens for an API created through the admin service, at once here and within API_REFRESH_SECONDS on another process', async () => {
    // A store client granted the API before it exists (stored as `keyward clients add` stores one).
    await a.running.container.stores.clients.create(LIVE_JOB.client_id, clientMetadataSchema.parse({ ...LIVE_JOB, api_scopes: { [LIVE_API.identifier]: ['live:read'] } }));
    const before = await tokenFor(a.issuer, LIVE_JOB, LIVE_API.identifier, 'live:read');
    expect(before.json.error).toBe('invalid_target');
    expect((await tokenFor(atB, LIVE_JOB, LIVE_API.identifier, 'live:read')).json.error).toBe('invalid_target');

    await a.running.container.admin.apis.create(call, LIVE_API);
    const issued = await tokenFor(a.issuer, LIVE_JOB, LIVE_API.identifier, 'live:read');
    expect(issued.status).toBe(200);
    expect(issued.json).toMatchObject({ token_type: 'Bearer', scope: 'live:read', expires_in: 120 });
    const { payload } = await jwtVerify(String(issued.json.access_token), createRemoteJWKSet(new URL(`${a.issuer}/jwks`)), { issuer: a.issuer, audience: LIVE_API.identifier, typ: 'at+jwt' });
    expect(payload).toMatchObject({ client_id: LIVE_JOB.client_id, scope: 'live:read' });

    // The other process: API_REFRESH_SECONDS=1, so within a couple of seconds.
    expect(await eventually(async () => (await tokenFor(atB, LIVE_JOB, LIVE_API.identifier, 'live:read')).status === 200, 5000)).toBe(true);
  });

  it('serves a changed definition and stops serving a removed API on both, once no client is granted it', async () => {
    const view = await a.running.container.admin.apis.show(LIVE_API.identifier);
    await a.running.container.admin.apis.update(call, LIVE_API.identifier, { ...LIVE_API, access_token_ttl: 60, token_format: 'opaque' }, view.revision!);
    expect((await tokenFor(a.issuer, LIVE_JOB, LIVE_API.identifier, 'live:read')).json).toMatchObject({ expires_in: 60 });
    expect(await eventually(async () => (await tokenFor(atB, LIVE_JOB, LIVE_API.identifier, 'live:read')).json.expires_in === 60, 5000)).toBe(true);

    await expect(a.running.container.admin.apis.remove(call, LIVE_API.identifier)).rejects.toThrow(/in use by "live-job"/);
    await a.running.container.stores.clients.update(LIVE_JOB.client_id, clientMetadataSchema.parse(LIVE_JOB));
    await a.running.container.admin.apis.remove(call, LIVE_API.identifier);
    // Granted again, so that only the API's absence can refuse the token.
    await a.running.container.stores.clients.update(LIVE_JOB.client_id, clientMetadataSchema.parse({ ...LIVE_JOB, api_scopes: { [LIVE_API.identifier]: ['live:read'] } }));
    expect((await tokenFor(a.issuer, LIVE_JOB, LIVE_API.identifier, 'live:read')).json.error).toBe('invalid_target');
    expect(await eventually(async () => (await tokenFor(atB, LIVE_JOB, LIVE_API.identifier, 'live:read')).json.error === 'invalid_target', 5000)).toBe(true);
  });

  it('issues opaque, five-minute tokens for Keyward\'s admin API to a client granted it', async () => {
    const identifier = adminApiIdentifier(a.issuer);
    const issued = await tokenFor(a.issuer, OPS_JOB, identifier, 'admin:read');
    expect(issued.status).toBe(200);
    expect(issued.json).toMatchObject({ scope: 'admin:read', expires_in: 300 });
    expect(String(issued.json.access_token).split('.')).toHaveLength(1);
    expect((await tokenFor(a.issuer, OPS_JOB, identifier, 'admin:write')).json.error).toBe('invalid_scope');
    expect((await tokenFor(a.issuer, LIVE_JOB, identifier, 'admin:read')).json.error).toBe('invalid_target');
  });
});
