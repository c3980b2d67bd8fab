import { writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { adminApiIdentifier } from '../../src/services/apis.service.ts';
import { clientMetadataSchema } from '../../src/services/clients.service.ts';
import { keyward, type CliRun } from '../helpers/cli.ts';
import { postAsClient, startTestKeyward, TEST_API, type TestKeyward } from '../helpers/test-server.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const STOCK_JOB = { client_id: 'stock-job', kind: 'service', client_secret: 'stock-job-secret-0123456789abcdef0123456789' } as const;
const INVENTORY = { identifier: 'https://inventory.test', name: 'Inventory', scopes: { 'stock:read': 'See stock levels' } };

/** `keyward apis` against the store of a running Keyward, which serves what it adds. */
describe('keyward apis', () => {
  let server: TestKeyward;
  let env: Record<string, string>;
  const cli = (...argv: string[]) => keyward(env, argv);
  const expectOk = (run: CliRun) => {
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    return run;
  };

  beforeAll(async () => {
    const databaseFile = join(tempDir(), 'cli-apis.sqlite');
    server = await startTestKeyward({ databaseFile, registry: { apis: [TEST_API] }, env: { API_REFRESH_SECONDS: '1' } });
    env = { DATABASE_URL: `sqlite:${databaseFile}`, CLIENTS_FILE: String(server.running.container.config.clientsFile), ISSUER: server.issuer, API_REFRESH_SECONDS: '7' };
  });
  afterAll(async () => server?.stop());

  it('prints its help, and one command\u2019s', async () => {
    expect(expectOk(await cli('apis', '--help')).out).toMatch(/^Usage: keyward apis <command>/);
    expect(expectOk(await cli('--help')).out).toMatch(/^ {2}apis {7}add, list, show, update and remove APIs/m);
    const add = expectOk(await cli('apis', 'add', '--help')).out;
    expect(add).toMatch(/^Usage: keyward apis add \(--json-file <path> \| --definition '<json>'\)/);
    expect(add).not.toMatch(/^\s+remove\b/m);
  });

  it('adds an API from a file or inline JSON, lists it with the file\u2019s and Keyward\u2019s, shows, updates and removes it', async () => {
    const definitionFile = join(tempDir(), 'inventory.json');
    writeFileSync(definitionFile, JSON.stringify(INVENTORY));
    const added = expectOk(await cli('apis', 'add', '--json-file', definitionFile));
    expect(added.out).toMatch(/^API https:\/\/inventory\.test added \(revision 1\)\. Every running Keyward serves it within 7 s/);
    const second = expectOk(await cli('apis', 'add', '--definition', JSON.stringify({ identifier: 'https://second.test', scopes: {} }), '--json')).json();
    expect(second).toMatchObject({ identifier: 'https://second.test', source: 'store', revision: 1, etag: '"r1"' });

    const listed = expectOk(await cli('apis', 'list', '--json')).json<{ identifier: string; source: string }[]>();
    expect(listed.map((api) => [api.identifier, api.source])).toEqual([
      [adminApiIdentifier(server.issuer), 'built-in'], [TEST_API.identifier, 'file'], ['https://inventory.test', 'store'], ['https://second.test', 'store'],
    ]);
    expect(expectOk(await cli('apis', 'list')).out).toMatch(/^https:\/\/inventory\.test +Inventory +stock:read +store +1$/m);
    expect(expectOk(await cli('apis', 'show', 'https://inventory.test', '--json')).json()).toMatchObject({ definition: { ...INVENTORY, token_format: 'jwt' } });

    const updated = expectOk(await cli('apis', 'update', 'https://inventory.test', '--definition', JSON.stringify({ ...INVENTORY, name: 'Stock' }), '--json')).json();
    expect(updated).toMatchObject({ revision: 2, definition: { name: 'Stock' } });
    const stale = await cli('apis', 'update', 'https://inventory.test', '--definition', JSON.stringify(INVENTORY), '--if-revision', '1');
    expect(stale.code).toBe(1);
    expect(stale.err).toMatch(/changed since revision 1: read it again/);

    // The running Keyward serves it within its API_REFRESH_SECONDS (1 s here) to a client granted it.
    const clients = server.running.container.stores.clients;
    await clients.create(STOCK_JOB.client_id, clientMetadataSchema.parse({ ...STOCK_JOB, api_scopes: { [INVENTORY.identifier]: ['stock:read'] } }));
    const token = () => postAsClient(`${server.issuer}/token`, STOCK_JOB, { grant_type: 'client_credentials', resource: INVENTORY.identifier, scope: 'stock:read' });
    const deadline = Date.now() + 5000;
    while ((await token()).status !== 200 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await token()).status).toBe(200);
    const inUse = await cli('apis', 'remove', INVENTORY.identifier);
    expect(inUse.code).toBe(1);
    expect(inUse.err).toMatch(/in use by "stock-job"/);
    await clients.remove(STOCK_JOB.client_id);

    expect((await cli('apis', 'remove', 'https://inventory.test', '--if-revision', '1')).err).toMatch(/changed since revision 1/);
    expect(expectOk(await cli('apis', 'remove', 'https://inventory.test', '--if-revision', '2')).out).toMatch(/^API https:\/\/inventory\.test removed\./);
    expectOk(await cli('apis', 'remove', 'https://second.test'));
    expect(expectOk(await cli('apis', 'list', '--json')).json<unknown[]>()).toHaveLength(2);

    // Each change audited with the operator who ran the command.
    const audited = await server.running.container.stores.audit.list({ event: 'admin_action', limit: 10 });
    expect(audited.map((event) => event.details?.action).reverse()).toEqual(['apis.create', 'apis.create', 'apis.update', 'apis.remove', 'apis.remove']);
    expect(audited[0]!.details).toMatchObject({ actor: { kind: 'cli', user: userInfo().username }, identifier: 'https://second.test' });
  });

  it('refuses, naming the field or the reason: an invalid definition, the file\u2019s and Keyward\u2019s APIs, a usage error', async () => {
    const invalid = await cli('apis', 'add', '--definition', JSON.stringify({ identifier: 'https://x.test', token_format: 'paper' }));
    expect(invalid.code).toBe(1);
    expect(invalid.err).toMatch(/the API definition is invalid; token_format: /);
    expect((await cli('apis', 'add', '--definition', '{"identifier":')).err).toMatch(/the definition is not valid JSON/);
    expect((await cli('apis', 'add', '--definition', JSON.stringify(TEST_API))).err).toMatch(/declared in the clients file/);
    expect((await cli('apis', 'update', TEST_API.identifier, '--definition', '{}')).err).toMatch(/declared in the clients file: change it there/);
    expect((await cli('apis', 'remove', adminApiIdentifier(server.issuer))).err).toMatch(/Keyward's admin API: it cannot be changed or removed/);
    const missing = await cli('apis', 'show', 'https://nowhere.test', '--json');
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.err)).toEqual({ error: { code: 'failed', message: 'no API "https://nowhere.test"' } });
    const both = await cli('apis', 'add', '--definition', '{}', '--json-file', 'x.json');
    expect(both.code).toBe(2);
    expect(both.err).toMatch(/either --json-file <path> or --definition/);
    expect((await cli('apis', 'remove', 'https://x.test', '--if-revision', 'two')).code).toBe(2);
  });
});
