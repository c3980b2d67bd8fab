import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { AdminError, type AdminCall } from '../../src/services/admin/admin-context.ts';
import { openApiServices, type ApisAdmin } from '../../src/services/admin/apis-admin.service.ts';
import type { LiveApiRegistry } from '../../src/services/api-registry.service.ts';
import { adminApiIdentifier, apiSchema } from '../../src/services/apis.service.ts';
import { createAuditTrail } from '../../src/services/audit.service.ts';
import type { Registry } from '../../src/services/clients.service.ts';
import { createSqliteStores } from '../../src/stores/sqlite/sqlite-stores.ts';
import type { Stores } from '../../src/stores/types.ts';
import { captureLogger } from '../helpers/capture-logger.ts';
import { FakeClock } from '../helpers/fake-clock.ts';

const ISSUER = 'https://id.example.com';
const call: AdminCall = { actor: { kind: 'cli', user: 'ops' }, origin: { ip: '127.0.0.1', userAgent: 'test' } };
const fileApi = apiSchema.parse({ identifier: 'https://file.example', scopes: { 'file:read': 'Read' }, default: true });
const billing = { identifier: 'https://billing.example', name: 'Billing', scopes: { 'invoices:read': 'See your invoices' } };
const file = {
  apis: [fileApi],
  clients: [{ client_id: 'file-job', kind: 'service', api_scopes: { [fileApi.identifier]: [] } }],
} as unknown as Registry;

/** The AdminError `work` rejects with, as { code, message, problems }. */
async function refusal(work: Promise<unknown>): Promise<{ code: string; message: string; problems: readonly string[] }> {
  const error = await work.then(() => undefined, (e: unknown) => e);
  if (!(error instanceof AdminError)) throw new Error(`expected an AdminError, got ${String(error)}`);
  return { code: error.code, message: error.message, problems: error.problems };
}

describe('APIs admin service', () => {
  let stores: Stores;
  let clock: FakeClock;
  let admin: ApisAdmin;
  let registry: LiveApiRegistry;
  const actions = async () => (await stores.audit.list({ event: 'admin_action', limit: 50 })).map((event) => event.details).reverse();

  beforeEach(async () => {
    clock = new FakeClock();
    stores = createSqliteStores({ location: ':memory:', busyTimeoutMs: 0 }, clock);
    await stores.migrate();
    const logger = captureLogger().logger;
    ({ admin, registry } = await openApiServices({ issuer: ISSUER, stores, file, audit: createAuditTrail({ store: stores.audit, clock, logger }), logger }));
  });
  afterEach(async () => stores.close());

  it('creates a store API, serves it at once, audits it with the actor, and lists every API with its source', async () => {
    const view = await admin.create(call, billing);
    expect(view).toEqual({
      identifier: billing.identifier, source: 'store', shadowed: false, revision: 1, etag: '"r1"', createdAt: clock.now(), updatedAt: clock.now(),
      definition: { ...billing, token_format: 'jwt', signing_alg: 'RS256', claims: [], default: false }, problems: [],
    });
    expect(registry.find(billing.identifier)).toMatchObject({ name: 'Billing' });
    expect(await actions()).toEqual([{ action: 'apis.create', actor: { kind: 'cli', user: 'ops' }, identifier: billing.identifier, revision: 1 }]);
    expect((await admin.list()).map((api) => [api.identifier, api.source])).toEqual([
      [adminApiIdentifier(ISSUER), 'built-in'], [fileApi.identifier, 'file'], [billing.identifier, 'store'],
    ]);
    expect(await admin.show(fileApi.identifier)).toMatchObject({ source: 'file', definition: fileApi });
    expect(await admin.show(adminApiIdentifier(ISSUER))).toMatchObject({ source: 'built-in' });
    expect(await refusal(admin.show('https://unknown.example'))).toMatchObject({ code: 'not_found' });
  });

  it('refuses an invalid definition with every problem, the file\'s and Keyward\'s identifiers, a duplicate and a second default', async () => {
    expect(await refusal(admin.create(call, { identifier: 'not a url', token_format: 'paper', colour: 'red' }))).toEqual({
      code: 'invalid_request', message: 'the API definition is invalid',
      problems: ['identifier: must be an absolute URI (RFC 8707 §2)', expect.stringMatching(/^token_format: /), '(definition): Unrecognized key: "colour"'],
    });
    expect(await refusal(admin.create(call, { ...billing, identifier: fileApi.identifier }))).toMatchObject({ code: 'conflict', message: expect.stringMatching(/declared in the clients file/) });
    expect(await refusal(admin.create(call, { ...billing, identifier: adminApiIdentifier(ISSUER) }))).toMatchObject({ code: 'conflict', message: expect.stringMatching(/reserved \(its admin API\)/) });
    expect(await refusal(admin.create(call, { ...billing, default: true }))).toMatchObject({ code: 'conflict', message: expect.stringMatching(/"https:\/\/file\.example" is the default already/) });
    await admin.create(call, billing);
    expect(await refusal(admin.create(call, billing))).toMatchObject({ code: 'conflict', message: expect.stringMatching(/exists already/) });
    expect(await actions()).toHaveLength(1);
  });

  it('replaces a store API whole at the expected revision only', async () => {
    await admin.create(call, billing);
    clock.advance(1000);
    const updated = await admin.update(call, billing.identifier, { scopes: { 'invoices:write': 'Pay' }, token_format: 'opaque' }, 1);
    expect(updated).toMatchObject({ revision: 2, etag: '"r2"', updatedAt: clock.now(), definition: { identifier: billing.identifier, scopes: { 'invoices:write': 'Pay' }, token_format: 'opaque' } });
    expect(updated.definition).not.toHaveProperty('name');
    expect(registry.find(billing.identifier)).toMatchObject({ token_format: 'opaque' });
    expect(await refusal(admin.update(call, billing.identifier, billing, 1))).toMatchObject({ code: 'precondition_failed' });
    expect(await refusal(admin.update(call, billing.identifier, { ...billing, identifier: 'https://renamed.example' }, 2))).toMatchObject({ code: 'invalid_request', problems: ['identifier: must be "https://billing.example" (or left out)'] });
    expect(await refusal(admin.update(call, billing.identifier, { ...billing, access_token_ttl: 5 }, 2))).toMatchObject({ code: 'invalid_request', problems: [expect.stringMatching(/^access_token_ttl: /)] });
    expect(await refusal(admin.update(call, 'https://unknown.example', { scopes: {} }, 1))).toMatchObject({ code: 'not_found' });
    expect(await refusal(admin.update(call, fileApi.identifier, fileApi, 1))).toMatchObject({ code: 'refused', message: `API "${fileApi.identifier}" is declared in the clients file: change it there` });
    expect(await refusal(admin.update(call, adminApiIdentifier(ISSUER), {}, 1))).toMatchObject({ code: 'refused' });
    expect((await actions()).map((details) => details!.action)).toEqual(['apis.create', 'apis.update']);
  });

  it('refuses to remove an API a store or file client is granted, or with a stale revision; removes it otherwise', async () => {
    await admin.create(call, billing);
    await stores.clients.create('store-app', { client_id: 'store-app', kind: 'public', api_scopes: { [billing.identifier]: ['invoices:read'] } });
    await stores.clients.create('store-rs', { client_id: 'store-rs', kind: 'resource_server', api: billing.identifier });
    expect(await refusal(admin.remove(call, billing.identifier))).toEqual({
      code: 'conflict', message: expect.stringMatching(/in use by "store-app", "store-rs"/), problems: ['client "store-app"', 'client "store-rs"'],
    });
    await stores.clients.remove('store-app');
    await stores.clients.remove('store-rs');
    expect(await refusal(admin.remove(call, billing.identifier, 7))).toMatchObject({ code: 'precondition_failed' });
    await admin.remove(call, billing.identifier, 1);
    expect(registry.find(billing.identifier)).toBeUndefined();
    expect(await refusal(admin.remove(call, billing.identifier))).toMatchObject({ code: 'not_found' });
    expect(await refusal(admin.remove(call, fileApi.identifier))).toMatchObject({ code: 'refused', message: expect.stringMatching(/declared in the clients file: remove it there/) });
    expect(await refusal(admin.remove(call, adminApiIdentifier(ISSUER)))).toMatchObject({ code: 'refused' });
    expect((await actions()).map((details) => details!.action)).toEqual(['apis.create', 'apis.remove']);
  });

  it('counts the clients file\'s clients among those an API is in use by', async () => {
    await admin.create(call, billing);
    const withGrant = { ...file, clients: [{ client_id: 'file-app', kind: 'public', api_scopes: { [billing.identifier]: [] } }] } as unknown as Registry;
    const logger = captureLogger().logger;
    const other = await openApiServices({ issuer: ISSUER, stores, file: withGrant, audit: createAuditTrail({ store: stores.audit, clock, logger }), logger });
    expect(await refusal(other.admin.remove(call, billing.identifier))).toMatchObject({ code: 'conflict', problems: ['client "file-app"'] });
    expect(await stores.apis.find(billing.identifier)).toBeDefined();
  });

  it('shows a store entry the file shadows, or that fails validation, with why it is not served; the shadowed one can be removed', async () => {
    await stores.apis.create(fileApi.identifier, { ...fileApi, name: 'Stale copy' });
    await stores.apis.create('https://broken.example', { identifier: 'https://broken.example', claims: ['password'] });
    const views = await admin.list();
    expect(views.filter((api) => api.source === 'store')).toEqual([
      expect.objectContaining({ identifier: 'https://broken.example', shadowed: false, problems: [expect.stringMatching(/^claims\.0: /)], definition: { identifier: 'https://broken.example', claims: ['password'] } }),
      expect.objectContaining({ identifier: fileApi.identifier, shadowed: true, problems: [] }),
    ]);
    // The file's is served and granted to file-job; the store's copy serves nothing.
    await admin.remove(call, fileApi.identifier);
    expect(await stores.apis.find(fileApi.identifier)).toBeUndefined();
    expect(registry.find(fileApi.identifier)).toMatchObject({ identifier: fileApi.identifier, default: true });
    // A broken entry is fixed by replacing it.
    await admin.update(call, 'https://broken.example', { claims: ['email'] }, 1);
    expect(registry.find('https://broken.example')).toMatchObject({ claims: ['email'] });
  });
});
