import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createLiveApiRegistry } from '../../src/services/api-registry.service.ts';
import { adminApiIdentifier, apiSchema, builtInApis, type ApiDefinition } from '../../src/services/apis.service.ts';
import { parseClientsFile } from '../../src/services/clients.service.ts';
import { keyRotationPolicy } from '../../src/services/key-rotation.service.ts';
import { createSqliteStores } from '../../src/stores/sqlite/sqlite-stores.ts';
import type { ApiStore, Stores } from '../../src/stores/types.ts';
import { captureLogger, type CapturedLogs } from '../helpers/capture-logger.ts';
import { FakeClock } from '../helpers/fake-clock.ts';

const ISSUER = 'https://id.example.com';
const api = (identifier: string, extra: Record<string, unknown> = {}): ApiDefinition => apiSchema.parse({ identifier, scopes: { 'items:read': 'Read items' }, ...extra });
const fileOrders = api('https://orders.example', { name: 'Orders (file)', default: true });

describe('live API registry', () => {
  let stores: Stores;
  let logs: CapturedLogs;
  const registry = (options: { fileApis?: ApiDefinition[]; store?: Pick<ApiStore, 'list'> } = {}) =>
    createLiveApiRegistry({ fileApis: options.fileApis ?? [fileOrders], store: options.store ?? stores.apis, builtIn: builtInApis(ISSUER), logger: logs.logger });
  const warnings = () => logs.lines().filter((line) => line.level === 40).map((line) => String(line.msg));

  beforeEach(async () => {
    stores = createSqliteStores({ location: ':memory:', busyTimeoutMs: 0 }, new FakeClock());
    await stores.migrate();
    logs = captureLogger();
  });
  afterEach(async () => stores.close());

  it('serves the built-in admin API and the file\'s before the first refresh, then the store\'s too, read through at call time', async () => {
    const apis = registry();
    const held = apis; // what a consumer captured at construction
    expect(apis.all.map((a) => a.identifier)).toEqual([adminApiIdentifier(ISSUER), fileOrders.identifier]);
    expect(apis.find(`${ISSUER}/admin/api/v1`)).toMatchObject({ name: 'Keyward admin API', token_format: 'opaque', access_token_ttl: 300, default: false, scopes: { 'admin:read': expect.any(String), 'admin:write': expect.any(String) } });
    await stores.apis.create('https://reports.example', api('https://reports.example'));
    expect(held.find('https://reports.example')).toBeUndefined();
    expect(await apis.refresh()).toBe(true);
    expect(held.find('https://reports.example')).toMatchObject({ identifier: 'https://reports.example', token_format: 'jwt' });
    expect(held.all.map((a) => a.identifier)).toEqual([adminApiIdentifier(ISSUER), fileOrders.identifier, 'https://reports.example']);
    expect(await apis.refresh()).toBe(false);
    await stores.apis.remove('https://reports.example');
    expect(await apis.refresh()).toBe(true);
    expect(held.find('https://reports.example')).toBeUndefined();
  });

  it('lets the file win on an identifier conflict, and keeps the file\'s default over a store default', async () => {
    await stores.apis.create(fileOrders.identifier, { ...fileOrders, name: 'Orders (store)' });
    await stores.apis.create('https://b.example', api('https://b.example', { default: true }));
    const apis = registry();
    await apis.refresh();
    expect(apis.find(fileOrders.identifier)!.name).toBe('Orders (file)');
    expect(apis.defaultApi!.identifier).toBe(fileOrders.identifier);
    expect(apis.find('https://b.example')).toBeDefined();
    expect(warnings()).toEqual([
      'store API "https://b.example" is marked default, but "https://orders.example" is the default: it is served, not as the default',
      'store API "https://orders.example" is shadowed by the clients file\'s API of the same identifier (the file wins)',
    ]);
  });

  it('takes the first store default when the file has none, and warns about a second', async () => {
    await stores.apis.create('https://b.example', api('https://b.example', { default: true }));
    await stores.apis.create('https://a.example', api('https://a.example', { default: true }));
    const apis = registry({ fileApis: [] });
    await apis.refresh();
    expect(apis.defaultApi!.identifier).toBe('https://a.example');
    expect(warnings()).toEqual(['store API "https://b.example" is marked default, but "https://a.example" is the default: it is served, not as the default']);
  });

  it('skips a store entry that fails the schema or is stored under another identifier, with one warning each, and serves the rest', async () => {
    await stores.apis.create('https://bad.example', { identifier: 'https://bad.example', token_format: 'paper' });
    await stores.apis.create('https://moved.example', api('https://elsewhere.example'));
    await stores.apis.create('https://good.example', api('https://good.example'));
    const apis = registry();
    await apis.refresh();
    expect(apis.all.map((a) => a.identifier)).toEqual([adminApiIdentifier(ISSUER), fileOrders.identifier, 'https://good.example']);
    expect(apis.find('https://bad.example')).toBeUndefined();
    expect(apis.find('https://elsewhere.example')).toBeUndefined();
    expect(warnings()).toEqual([
      expect.stringMatching(/^store API "https:\/\/bad\.example" is not served, it is invalid: token_format: /),
      'store API "https://moved.example" is not served, it is invalid: identifier: "https://elsewhere.example" differs from the identifier it is stored under',
    ]);
    // Said once, not at every refresh.
    await stores.apis.create('https://other.example', api('https://other.example'));
    await apis.refresh();
    expect(warnings()).toHaveLength(2);
  });

  it('never serves a store entry under the admin API\'s identifier', async () => {
    await stores.apis.create(adminApiIdentifier(ISSUER), api(adminApiIdentifier(ISSUER), { scopes: { 'admin:everything': 'All' }, access_token_ttl: 86_400 }));
    const apis = registry();
    await apis.refresh();
    expect(apis.find(adminApiIdentifier(ISSUER))).toMatchObject({ access_token_ttl: 300, scopes: { 'admin:read': expect.any(String) } });
    expect(apis.all.filter((a) => a.identifier === adminApiIdentifier(ISSUER))).toHaveLength(1);
    expect(warnings()).toEqual([`store API "${adminApiIdentifier(ISSUER)}" is not served: its identifier is reserved for Keyward's admin API`]);
  });

  it('keeps the last snapshot when the store cannot be read, and throws for the caller to report', async () => {
    let failing = false;
    const store: Pick<ApiStore, 'list'> = { list: async () => (failing ? Promise.reject(new Error('database is locked')) : stores.apis.list()) };
    await stores.apis.create('https://good.example', api('https://good.example'));
    const apis = registry({ store });
    await apis.refresh();
    failing = true;
    await expect(apis.refresh()).rejects.toThrow('database is locked');
    expect(apis.find('https://good.example')).toBeDefined();
    expect(apis.defaultApi!.identifier).toBe(fileOrders.identifier);
    failing = false;
    await stores.apis.remove('https://good.example');
    expect(await apis.refresh()).toBe(true);
    expect(apis.find('https://good.example')).toBeUndefined();
  });

  it('does not let an earlier, slower read replace a later one', async () => {
    const answers: ((value: Awaited<ReturnType<ApiStore['list']>>) => void)[] = [];
    const apis = registry({ store: { list: () => new Promise((resolve) => answers.push(resolve)) } });
    const entry = (identifier: string) => ({ identifier, definition: api(identifier), revision: 1, createdAt: 0, updatedAt: 0 });
    const first = apis.refresh();
    const second = apis.refresh();
    answers[1]!([entry('https://new.example')]);
    expect(await second).toBe(true);
    answers[0]!([entry('https://old.example')]);
    expect(await first).toBe(false);
    expect(apis.find('https://new.example')).toBeDefined();
    expect(apis.find('https://old.example')).toBeUndefined();
  });

  it('feeds key rotation the live list: a longer-lived JWT store API holds retirement back, and a shorter one later does not shorten it', async () => {
    const apis = registry({ fileApis: [] });
    const policy = keyRotationPolicy({ keys: { refreshSeconds: 30, jwksMaxAgeSeconds: 3600, rotationDays: 0 }, ttl: { idToken: 3600, accessToken: 600 } as never }, apis);
    expect(policy.retireAfterMs).toBe((3600 + 30) * 1000);
    // Opaque tokens are not signed: however long they live, no key has to wait for them.
    await stores.apis.create('https://opaque.example', api('https://opaque.example', { access_token_ttl: 86_400, token_format: 'opaque' }));
    await apis.refresh();
    expect(policy.retireAfterMs).toBe((3600 + 30) * 1000);
    await stores.apis.create('https://long.example', api('https://long.example', { access_token_ttl: 7200 }));
    await apis.refresh();
    expect(policy.retireAfterMs).toBe((7200 + 30) * 1000);
    await stores.apis.update('https://long.example', api('https://long.example', { access_token_ttl: 60 }), 1);
    await apis.refresh();
    expect(policy.retireAfterMs).toBe((7200 + 30) * 1000);
  });
});

describe('the clients file and the built-in admin API', () => {
  const file = (apis: object[], clients: object[] = []) => JSON.stringify({ apis, clients });
  const options = { builtInApis: builtInApis(ISSUER) };

  it('refuses to declare the admin API', () => {
    expect(() => parseClientsFile(file([{ identifier: adminApiIdentifier(ISSUER), scopes: {} }]), 'c.json', options))
      .toThrow(`API "${ISSUER}/admin/api/v1", field identifier: identifier is reserved for Keyward's admin API`);
  });

  it('grants it in api_scopes like any API, its scopes checked', () => {
    const job = { client_id: 'ops-job', kind: 'service', client_secret: 'x'.repeat(40), api_scopes: { [adminApiIdentifier(ISSUER)]: ['admin:read'] } };
    expect(parseClientsFile(file([], [job]), 'c.json', options).clients[0]!.api_scopes).toEqual({ [adminApiIdentifier(ISSUER)]: ['admin:read'] });
    expect(() => parseClientsFile(file([], [{ ...job, api_scopes: { [adminApiIdentifier(ISSUER)]: ['admin:root'] } }]), 'c.json', options))
      .toThrow(/API "https:\/\/id\.example\.com\/admin\/api\/v1" declares no scope "admin:root"/);
    // Not a built-in where none is given (the file alone, as before).
    expect(() => parseClientsFile(file([], [job]), 'c.json')).toThrow(/no API "https:\/\/id\.example\.com\/admin\/api\/v1" is declared/);
  });
});
