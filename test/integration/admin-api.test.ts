import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DEMO_ACCOUNT } from '../../src/services/demo-data.service.ts';
import { createVerifiedAccount } from '../helpers/accounts.ts';
import { adminCall, adminServiceClient, adminWebClient, personToken, serviceToken } from '../helpers/admin-api.ts';
import { enrolTotp } from '../helpers/mfa-flow.ts';
import { freePort, postAsClient, startTestKeyward, TEST_WEB_CLIENT, type TestKeyward } from '../helpers/test-server.ts';

describe('admin REST API with tokens Keyward issued', () => {
  let keyward: TestKeyward;
  let bot: ReturnType<typeof adminServiceClient>;
  let reader: ReturnType<typeof adminServiceClient>;
  let botToken: string;

  beforeAll(async () => {
    const port = await freePort();
    const issuer = `http://127.0.0.1:${port}`;
    bot = adminServiceClient(issuer, 'ops-bot', ['admin:read', 'admin:write']);
    reader = adminServiceClient(issuer, 'ops-reader', ['admin:read']);
    keyward = await startTestKeyward({ port, registry: { clients: [adminWebClient(issuer), bot, reader] } });
    botToken = await serviceToken(keyward, bot);
  });
  afterAll(() => keyward.stop());

  const stores = () => keyward.running.container.stores;

  describe('who may call it', () => {
    it('refuses a request without a token, and a token that is not one, with RFC 6750 and RFC 9457 answers', async () => {
      const none = await adminCall(keyward, undefined, 'GET', '/users');
      expect(none.status).toBe(401);
      expect(none.type).toContain('application/problem+json');
      expect(none.json).toMatchObject({ status: 401, type: 'urn:keyward:problem:unauthorized' });
      expect(none.headers.get('www-authenticate')).toMatch(/^Bearer realm=/);
      const forged = await adminCall(keyward, 'x'.repeat(43), 'GET', '/users');
      expect(forged.status).toBe(401);
      expect(forged.headers.get('www-authenticate')).toContain('error="invalid_token"');
    });

    it('refuses a token issued for another API, even to a client granted the admin API', async () => {
      const noResource = await postAsClient(`${keyward.issuer}/token`, bot, { grant_type: 'client_credentials' });
      expect(noResource.status).toBe(200);
      expect((await adminCall(keyward, String(noResource.json.access_token), 'GET', '/users')).status).toBe(401);
      const ok = await adminCall(keyward, botToken, 'GET', '/users?limit=1');
      expect(ok.status).toBe(200);
    });

    it('lets a read-only client read and refuses it changes (insufficient_scope)', async () => {
      const token = await serviceToken(keyward, reader, 'admin:read');
      expect((await adminCall(keyward, token, 'GET', '/keys')).status).toBe(200);
      const write = await adminCall(keyward, token, 'POST', '/users', { body: { email: 'nope@example.test' } });
      expect(write.status).toBe(403);
      expect(write.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
      await expect(serviceToken(keyward, reader, 'admin:write')).rejects.toThrow(/invalid_scope/);
    });

    it('gives people access through the admin role, checked at every request', async () => {
      const person = { email: 'carol@example.test', password: 'carol-long-password-1' };
      await createVerifiedAccount(keyward, person.email, person.password);
      const totp = await enrolTotp(keyward, person.email);
      const token = await personToken(keyward, person, totp);
      const refused = await adminCall(keyward, token, 'GET', '/users');
      expect(refused.status).toBe(403);
      expect(refused.json.detail).toMatch(/admin role/);

      const account = (await stores().accounts.findByEmail(person.email))!;
      await stores().accounts.setRoles(account.id, ['admin']);
      const allowed = await adminCall(keyward, token, 'GET', `/users?email_prefix=carol`);
      expect(allowed.status).toBe(200);
      expect(allowed.json.items.map((u: { email: string }) => u.email)).toEqual([person.email]);

      // The actor of a person's change is that person, through the API.
      const created = await adminCall(keyward, token, 'POST', '/users', { body: { email: 'made-by-carol@example.test' } });
      expect(created.status).toBe(201);
      const audit = await adminCall(keyward, token, 'GET', `/audit-events?event=admin_action&account_id=${created.json.account.id}`);
      expect(audit.json.items[0].details).toMatchObject({ action: 'users.create', actor: { kind: 'account', account_id: account.id, via: 'api' } });

      await stores().accounts.setRoles(account.id, []);
      expect((await adminCall(keyward, token, 'GET', '/users')).status).toBe(403);
    });

    it('refuses an administrator whose token comes from a sign-in without a second factor', async () => {
      const person = { email: 'no-factor@example.test', password: 'no-factor-password-1' };
      const account = await createVerifiedAccount(keyward, person.email, person.password, ['admin']);
      const passwordOnly = await adminCall(keyward, await personToken(keyward, person), 'GET', '/users');
      expect(passwordOnly.status).toBe(403);
      expect(passwordOnly.json.type).toBe('urn:keyward:problem:mfa_required');
      await stores().accounts.setRoles(account.id, []);
    });

    it('stops a disabled admin\'s token at once', async () => {
      const person = { email: 'dave@example.test', password: 'dave-long-password-1' };
      const account = await createVerifiedAccount(keyward, person.email, person.password);
      await stores().accounts.setRoles(account.id, ['admin']);
      const token = await personToken(keyward, person, await enrolTotp(keyward, person.email));
      expect((await adminCall(keyward, token, 'GET', '/keys')).status).toBe(200);
      // The last enabled administrator is kept: one request must not lock every person out.
      expect((await adminCall(keyward, botToken, 'POST', `/users/${account.id}/disable`)).status).toBe(409);
      await createVerifiedAccount(keyward, 'second-admin@example.test', 'second-admin-password-1', ['admin']);
      const disabled = await adminCall(keyward, botToken, 'POST', `/users/${account.id}/disable`);
      expect(disabled.status).toBe(200);
      expect(disabled.json.disabled).toBe(true);
      expect((await adminCall(keyward, token, 'GET', '/keys')).status).toBe(401);
    });
  });

  describe('users', () => {
    it('creates, shows with an ETag, and updates only with the current If-Match', async () => {
      const created = await adminCall(keyward, botToken, 'POST', '/users', { body: { email: 'erin@example.test', name: 'Erin', roles: ['support'] } });
      expect(created.status).toBe(201);
      expect(created.json.password).toEqual(expect.any(String));
      const id = created.json.account.id as string;
      const shown = await adminCall(keyward, botToken, 'GET', `/users/${id}`);
      const etag = shown.headers.get('etag')!;
      expect(etag).toMatch(/^"r\d+"$/);
      expect(shown.json).toMatchObject({ email: 'erin@example.test', name: 'Erin', roles: ['support'], disabled: false });
      expect(shown.json).not.toHaveProperty('passwordHash');

      const withoutPrecondition = await adminCall(keyward, botToken, 'PATCH', `/users/${id}`, { body: { name: 'Erin B' } });
      expect(withoutPrecondition.status).toBe(428);
      const updated = await adminCall(keyward, botToken, 'PATCH', `/users/${id}`, { body: { name: 'Erin B' }, headers: { 'if-match': etag } });
      expect(updated.status).toBe(200);
      expect(updated.headers.get('etag')).not.toBe(etag);
      const stale = await adminCall(keyward, botToken, 'PATCH', `/users/${id}`, { body: { name: 'Lost update' }, headers: { 'if-match': etag } });
      expect(stale.status).toBe(412);
      expect(stale.type).toContain('application/problem+json');
      expect((await adminCall(keyward, botToken, 'GET', `/users/${id}`)).json.name).toBe('Erin B');
    });

    it('lets exactly one of two admins editing the same revision win', async () => {
      const created = await adminCall(keyward, botToken, 'POST', '/users', { body: { email: 'frank@example.test' } });
      const etag = (await adminCall(keyward, botToken, 'GET', `/users/${created.json.account.id}`)).headers.get('etag')!;
      const [a, b] = await Promise.all(['A', 'B'].map((name) => adminCall(keyward, botToken, 'PATCH', `/users/${created.json.account.id}`, { body: { name }, headers: { 'if-match': etag } })));
      expect([a!.status, b!.status].sort()).toEqual([200, 412]);
    });

    it('pages through users by cursor with a bounded page size', async () => {
      for (let i = 0; i < 25; i += 1) await stores().accounts.create({ email: `page-${String(i).padStart(2, '0')}@example.test`, emailVerified: true, name: undefined, passwordHash: undefined, roles: [] });
      const seen: string[] = [];
      let cursor: string | null = null;
      for (let page = 0; page < 10; page += 1) {
        const query: string = `/users?email_prefix=PAGE-&limit=10${cursor ? `&cursor=${cursor}` : ''}`;
        const result = await adminCall(keyward, botToken, 'GET', query);
        expect(result.status).toBe(200);
        expect(result.json.items.length).toBeLessThanOrEqual(10);
        seen.push(...result.json.items.map((u: { email: string }) => u.email));
        cursor = result.json.next_cursor;
        if (!cursor) break;
      }
      expect(seen).toHaveLength(25);
      expect(seen).toEqual([...seen].sort());
      expect(new Set(seen).size).toBe(25);
      expect((await adminCall(keyward, botToken, 'GET', '/users?limit=201')).status).toBe(400);
      expect((await adminCall(keyward, botToken, 'GET', '/users?limit=0')).status).toBe(400);
      expect((await adminCall(keyward, botToken, 'GET', '/users?cursor=%00%01')).status).toBe(400);
    });

    it('disabling a user ends their refresh tokens', async () => {
      const { discoverTestClient, completeCodeFlow } = await import('../helpers/relying-party.ts');
      const rp = await discoverTestClient(keyward.issuer);
      const tokens = await completeCodeFlow(rp, { scope: 'openid offline_access' });
      const demo = (await stores().accounts.findByEmail(DEMO_ACCOUNT.email))!;
      expect((await adminCall(keyward, botToken, 'POST', `/users/${demo.id}/revoke-sessions`)).json.revoked).toBeGreaterThan(0);
      const refreshed = await postAsClient(`${keyward.issuer}/token`, TEST_WEB_CLIENT, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! });
      expect(refreshed.json.error).toBe('invalid_grant');
    });

    it('answers unknown users, bad bodies and bad JSON with problems, never a 500', async () => {
      expect((await adminCall(keyward, botToken, 'GET', '/users/nobody')).status).toBe(404);
      const bad = await adminCall(keyward, botToken, 'POST', '/users', { body: { email: 'not-an-email', roles: ['bad role!'], extra: 1 } });
      expect(bad.status).toBe(400);
      expect(bad.json.errors.length).toBeGreaterThanOrEqual(2);
      expect((await adminCall(keyward, botToken, 'POST', '/users', { body: '{"email":' })).status).toBe(400);
      const duplicate = await adminCall(keyward, botToken, 'POST', '/users', { body: { email: DEMO_ACCOUNT.email.toUpperCase() } });
      expect(duplicate.status).toBe(409);
    });
  });

  describe('clients', () => {
    it('creates a web client, rotates its secret (the old one stops at once) and refuses file clients', async () => {
      const created = await adminCall(keyward, botToken, 'POST', '/clients', { body: { client_id: 'crm', kind: 'service' } });
      expect(created.status).toBe(201);
      const first = created.json.client_secret as string;
      expect(created.json.client.client_secret).toBe('(hashed)');
      expect((await postAsClient(`${keyward.issuer}/token`, { client_id: 'crm', client_secret: first }, { grant_type: 'client_credentials' })).status).not.toBe(401);
      const rotated = await adminCall(keyward, botToken, 'POST', '/clients/crm/rotate-secret');
      expect(rotated.status).toBe(200);
      const second = rotated.json.client_secret as string;
      expect(second).not.toBe(first);
      expect((await postAsClient(`${keyward.issuer}/token`, { client_id: 'crm', client_secret: first }, { grant_type: 'client_credentials' })).json.error).toBe('invalid_client');
      expect((await postAsClient(`${keyward.issuer}/token`, { client_id: 'crm', client_secret: second }, { grant_type: 'client_credentials' })).json.error).not.toBe('invalid_client');

      expect((await adminCall(keyward, botToken, 'POST', '/clients/test-web/rotate-secret')).status).toBe(409);
      // Paged like every list: walking one at a time finds each client once, in client_id order.
      const ids: string[] = [];
      let cursor: string | null = null;
      for (let page = 0; page < 20; page += 1) {
        const path: string = `/clients?limit=1${cursor ? `&cursor=${cursor}` : ''}`;
        const listed = (await adminCall(keyward, botToken, 'GET', path)).json as { items: { client_id: string }[]; next_cursor: string | null };
        ids.push(...listed.items.map((c) => c.client_id));
        cursor = listed.next_cursor;
        if (!cursor) break;
      }
      expect(ids).toEqual(expect.arrayContaining(['crm', 'keyward-admin-console', 'ops-bot', 'test-web']));
      expect(ids).toEqual([...ids].sort());
      expect(new Set(ids).size).toBe(ids.length);
      const etag = (await adminCall(keyward, botToken, 'GET', '/clients/crm')).headers.get('etag')!;
      expect((await adminCall(keyward, botToken, 'PATCH', '/clients/crm', { body: { kind: 'web' }, headers: { 'if-match': etag } })).status).toBe(400);
      expect((await adminCall(keyward, botToken, 'DELETE', '/clients/crm', { headers: { 'if-match': etag } })).status).toBe(200);
      expect((await adminCall(keyward, botToken, 'GET', '/clients/crm')).status).toBe(404);
    });
  });

  describe('APIs', () => {
    it('refuses an API that passes for the admin API, and deletes only at the current revision', async () => {
      const lookalike = `${keyward.issuer.toUpperCase().replace('HTTP://', 'http://')}/admin/api/v1/`;
      expect((await adminCall(keyward, botToken, 'POST', '/apis', { body: { identifier: lookalike, scopes: { 'admin:write': 'x' } } })).status).toBe(409);
      const created = await adminCall(keyward, botToken, 'POST', '/apis', { body: { identifier: 'https://billing.test', scopes: { 'billing:read': 'Read invoices' } } });
      expect(created.status).toBe(201);
      const path = `/apis/${encodeURIComponent('https://billing.test')}`;
      const etag = created.headers.get('etag')!;
      const [a, b] = await Promise.all([
        adminCall(keyward, botToken, 'DELETE', path, { headers: { 'if-match': etag } }),
        adminCall(keyward, botToken, 'PATCH', path, { body: { identifier: 'https://billing.test', scopes: {} }, headers: { 'if-match': etag } }),
      ]);
      expect([a!.status, b!.status].filter((status) => status === 200)).toHaveLength(1);
    });
  });

  describe('audit and keys', () => {
    it('filters the audit log and exports it as JSON lines', async () => {
      const filtered = await adminCall(keyward, botToken, 'GET', '/audit-events?event=admin_action&client_id=crm&limit=50');
      expect(filtered.status).toBe(200);
      const actions = filtered.json.items.map((e: { details: { action: string } }) => e.details.action);
      expect(actions).toEqual(expect.arrayContaining(['clients.create', 'clients.rotate_secret', 'clients.delete']));
      expect(filtered.json.items.every((e: { client_id: string; event: string }) => e.client_id === 'crm' && e.event === 'admin_action')).toBe(true);
      expect(filtered.json.items[0].details.actor).toEqual({ kind: 'client', client_id: 'ops-bot' });

      const exported = await adminCall(keyward, botToken, 'GET', '/audit-events/export?event=admin_action');
      expect(exported.status).toBe(200);
      expect(exported.type).toContain('application/jsonl');
      const lines = exported.text.trim().split('\n').map((line) => JSON.parse(line) as { event: string });
      expect(lines.length).toBeGreaterThanOrEqual(actions.length);
      expect(lines.every((line) => line.event === 'admin_action')).toBe(true);
      expect((await adminCall(keyward, botToken, 'GET', '/audit-events?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z')).status).toBe(400);
      // The download is itself audited (it copies the log out); a bad range is refused before anything streams.
      const downloads = await adminCall(keyward, botToken, 'GET', '/audit-events?event=admin_action&limit=50');
      expect(downloads.json.items.find((e: { details: { action: string } }) => e.details.action === 'audit.export').details).toMatchObject({ actor: { kind: 'client', client_id: 'ops-bot' }, filter: { event: 'admin_action' } });
      const badExport = await adminCall(keyward, botToken, 'GET', '/audit-events/export?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z');
      expect(badExport.status).toBe(400);
      expect(badExport.type).toContain('application/problem+json');
    });

    it('lists keys without private parts and applies the rotation safety rule', async () => {
      const keys = await adminCall(keyward, botToken, 'GET', '/keys');
      expect(keys.json.items.length).toBeGreaterThan(0);
      expect(JSON.stringify(keys.json)).not.toMatch(/"d"|privateJwk/);
      // Without a next key, rotating publishes one; with a young next key, rotating is refused (caches may not have it).
      if (!keys.json.items.some((k: { state: string }) => k.state === 'next')) {
        expect((await adminCall(keyward, botToken, 'POST', '/keys/rotate', { body: {} })).json.outcome).toBe('published_next');
      }
      const again = await adminCall(keyward, botToken, 'POST', '/keys/rotate', { body: {} });
      expect(again.status).toBe(409);
      expect(again.type).toContain('application/problem+json');
      expect(again.json.detail).toMatch(/too recently/);
      const forced = await adminCall(keyward, botToken, 'POST', '/keys/rotate', { body: { force: true } });
      expect(forced.json.outcome).toBe('rotated');
      const after = (await adminCall(keyward, botToken, 'GET', '/keys')).json.items as { kid: string; state: string }[];
      expect(after.map((k) => k.state)).toEqual(expect.arrayContaining(['next', 'current', 'previous']));
      // This server publishes the new key set at once (others within KEY_REFRESH_SECONDS).
      const published = ((await (await fetch(`${keyward.issuer}/jwks`)).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
      expect(published.sort()).toEqual(after.map((k) => k.kid).sort());
    });
  });
});
