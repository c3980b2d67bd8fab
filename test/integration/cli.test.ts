import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { keyward, type CliRun } from '../helpers/cli.ts';
import { mailsTo } from '../helpers/mailbox.ts';
import { enrolTotp } from '../helpers/mfa-flow.ts';
import { completeCodeFlow, discoverTestClient } from '../helpers/relying-party.ts';
import { postAsClient, startTestKeyward, TEST_API, TEST_WEB_CLIENT, type TestKeyward } from '../helpers/test-server.ts';
import { tempDir } from '../helpers/temp-dir.ts';

/** Every CLI command against a temporary store, with a running Keyward on the same store where it matters. */
describe('keyward CLI', () => {
  let server: TestKeyward;
  let env: Record<string, string>;
  const mailDirectory = tempDir('keyward-mail-');
  const cli = (...argv: string[]) => keyward(env, argv);

  beforeAll(async () => {
    const databaseFile = join(tempDir(), 'cli.sqlite');
    server = await startTestKeyward({ databaseFile, env: { MAIL_DIRECTORY: mailDirectory }, registry: { apis: [{ ...TEST_API, default: true }] } });
    env = { DATABASE_URL: `sqlite:${databaseFile}`, CLIENTS_FILE: String(server.running.container.config.clientsFile) };
  });
  afterAll(async () => server?.stop());

  const expectOk = (run: CliRun) => {
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    return run;
  };

  describe('basics', () => {
    it('prints help for keyward and for each group, and exits 2 on a wrong command or option', async () => {
      expect(expectOk(await cli('--help')).out).toMatch(/Usage: keyward <command>/);
      for (const group of ['clients', 'users', 'keys']) expect(expectOk(await cli(group, '--help')).out).toMatch(new RegExp(`Usage: keyward ${group} <command>`));
      const wrong = await cli('frobnicate');
      expect(wrong.code).toBe(2);
      expect(wrong.err).toMatch(/unknown command "frobnicate"/);
      const badOption = await cli('users', 'list', '--colour', 'red');
      expect(badOption.code).toBe(2);
      expect(badOption.err).toMatch(/unknown option --colour/);
      // A typo at the end of the line is named as unknown, on start too, not as missing a value.
      for (const argv of [['start', '--nope'], ['users', 'list', '--nope'], ['migrate', '--port', '3000']]) {
        const typo = await cli(...argv);
        expect(typo.code).toBe(2);
        expect(typo.err).toMatch(new RegExp(`unknown option ${argv.find((word) => word.startsWith('--'))}`));
      }
      const missing = await cli('users', 'add', '--email');
      expect(missing.code).toBe(2);
      expect(missing.err).toMatch(/--email needs a value/);
    });

    it('shows one command\u2019s help for `<group> <command> --help`, and answers in JSON when --json fails', async () => {
      const help = expectOk(await cli('clients', 'add', '--help')).out;
      expect(help).toMatch(/^Usage: keyward clients add --kind/);
      expect(help).not.toMatch(/^\s+list\b/m);
      const missing = await cli('users', 'show', 'nobody@example.com', '--json');
      expect(missing.code).toBe(1);
      expect(JSON.parse(missing.err)).toEqual({ error: { code: 'failed', message: 'no account "nobody@example.com"' } });
      const wrong = await cli('users', 'list', '--colour', 'red', '--json');
      expect(wrong.code).toBe(2);
      expect(JSON.parse(wrong.err)).toMatchObject({ error: { code: 'usage' } });
      expect(missing.out).toBe('');
    });

    it('lists the clients a running Keyward serves, the development demo client marked as such', async () => {
      const demo = await keyward({ ...env, DEMO_DATA: 'true', ISSUER: 'http://localhost:3000', HOST: '127.0.0.1' }, ['clients', 'list', '--json']);
      expect(demo.err).toBe('');
      const rows = demo.json<{ client_id: string; source: string }[]>();
      expect(rows.find((row) => row.source.startsWith('demo'))).toMatchObject({ client_id: 'keyward-demo' });
      expect((await cli('clients', 'list', '--json')).json<{ source: string }[]>().some((row) => row.source.startsWith('demo'))).toBe(false);
    });

    it('migrates idempotently, and asks for a migration on a fresh database', async () => {
      const fresh = { DATABASE_URL: `sqlite:${join(tempDir(), 'fresh.sqlite')}` };
      const before = await keyward(fresh, ['users', 'list']);
      expect(before.code).toBe(1);
      expect(before.err).toMatch(/run "keyward migrate"/);
      expect((await keyward(fresh, ['migrate', '--json'])).json()).toMatchObject({ migrated: true });
      expect((await keyward(fresh, ['migrate'])).code).toBe(0);
      expect((await keyward(fresh, ['users', 'list', '--json'])).json()).toEqual([]);
    });
  });

  describe('users', () => {
    it('adds an account with a generated password that signs in, and refuses a duplicate', async () => {
      const added = expectOk(await cli('users', 'add', '--email', 'Grace@Example.com', '--name', 'Grace', '--roles', 'admin,ops', '--json')).json<{ id: string; password: string; roles: string[] }>();
      expect(added.roles).toEqual(['admin', 'ops']);
      expect(added.password).toMatch(/^[\w-]{24}$/);
      const stored = await server.running.container.accounts.authenticate('grace@example.com', added.password);
      expect(stored?.id).toBe(added.id);
      const again = await cli('users', 'add', '--email', 'grace@example.com');
      expect(again.code).toBe(1);
      expect(again.err).toMatch(/exists already/);
    });

    it('lists, shows by email or id, and sets roles', async () => {
      const list = expectOk(await cli('users', 'list', '--json')).json<{ email: string }[]>();
      expect(list.map((u) => u.email)).toEqual(expect.arrayContaining(['demo@keyward.test', 'Grace@Example.com']));
      const grace = expectOk(await cli('users', 'show', 'grace@example.com', '--json')).json<{ id: string }>();
      expect(expectOk(await cli('users', 'show', grace.id)).out).toContain('"email": "Grace@Example.com"');
      expect(expectOk(await cli('users', 'set-roles', grace.id, '--roles', 'auditor', '--json')).json()).toMatchObject({ roles: ['auditor'] });
      expect((await cli('users', 'show', 'nobody@example.com')).code).toBe(1);
      expect((await cli('users', 'set-roles', grace.id, '--roles', 'bad role!')).code).toBe(2);
    });

    it('sets a password read from stdin (checked against the policy) and ends every session', async () => {
      const rp = await discoverTestClient(server.issuer);
      const tokens = await completeCodeFlow(rp);
      const weak = await keyward(env, ['users', 'set-password', 'demo@keyward.test', '--password-stdin'], { stdin: 'password\n' });
      expect(weak.code).toBe(1);
      expect(weak.err).toMatch(/too common/);
      const run = expectOk(await keyward(env, ['users', 'set-password', 'demo@keyward.test', '--password-stdin', '--json'], { stdin: 'keyward-demo-password\n' }));
      expect(run.json<{ revoked: number }>().revoked).toBeGreaterThanOrEqual(2);
      expect((await postAsClient(`${server.issuer}/token`, TEST_WEB_CLIENT, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! })).json.error).toBe('invalid_grant');
      const audit = await server.running.container.stores.audit.list({ event: 'password_change', limit: 1 });
      expect(audit[0]).toMatchObject({ outcome: 'success', details: { by: 'cli' } });
    });

    it('revokes every session and refresh token of an account', async () => {
      const tokens = await completeCodeFlow(await discoverTestClient(server.issuer));
      expect(expectOk(await cli('users', 'revoke-sessions', 'demo@keyward.test', '--json')).json<{ revoked: number }>().revoked).toBeGreaterThanOrEqual(2);
      expect((await postAsClient(`${server.issuer}/token`, TEST_WEB_CLIENT, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! })).json.error).toBe('invalid_grant');
    });

    it('resets the second factors of an account that lost them: audited with the actor, and the owner is mailed', async () => {
      const { container } = server.running;
      const account = (await container.stores.accounts.findByEmail('demo@keyward.test'))!;
      await enrolTotp(server, 'demo@keyward.test');
      expect(await container.mfa.authenticators.hasSecondFactor(account.id)).toBe(true);
      const run = expectOk(await cli('users', 'reset-mfa', 'demo@keyward.test', '--json'));
      expect(run.json<{ removed: number }>().removed).toBe(1);
      expect(await container.mfa.authenticators.hasSecondFactor(account.id)).toBe(false);
      expect(await container.stores.recoveryCodes.remaining(account.id)).toBe(0);
      const [event] = await container.stores.audit.list({ event: 'mfa_reset', limit: 1 });
      expect(event).toMatchObject({ accountId: account.id, outcome: 'success', details: { actor: 'cli', removed: 1 } });
      // Queued by the CLI, sent by the running server's outbox.
      await server.flushMail();
      expect(mailsTo(mailDirectory, 'demo@keyward.test').some((mail) => /administrator removed/.test(mail.text))).toBe(true);
    });

    it('disables an account: its tokens stop working and it cannot sign in; enabling lets it in again', async () => {
      const tokens = await completeCodeFlow(await discoverTestClient(server.issuer));
      expectOk(await cli('users', 'disable', 'demo@keyward.test'));
      expect((await postAsClient(`${server.issuer}/token`, TEST_WEB_CLIENT, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! })).json.error).toBe('invalid_grant');
      expect(await server.running.container.accounts.authenticate('demo@keyward.test', 'keyward-demo-password')).toBeUndefined();
      expectOk(await cli('users', 'enable', 'demo@keyward.test'));
      expect(await server.running.container.accounts.authenticate('demo@keyward.test', 'keyward-demo-password')).toBeDefined();
    });
  });

  describe('clients', () => {
    it('adds a service client whose secret works once shown, is stored hashed, and rotates', async () => {
      const added = expectOk(await cli('clients', 'add', '--kind', 'service', '--id', 'reports-job', '--json')).json<{ client_secret: string }>();
      expect(added.client_secret).toMatch(/^[\w-]{43}$/);
      const stored = await server.running.container.stores.clients.find('reports-job');
      expect(String(stored!.client_secret)).toMatch(/^hmac-sha256:/);
      expect(JSON.stringify(stored)).not.toContain(added.client_secret);
      const job = { client_id: 'reports-job', client_secret: added.client_secret };
      const token = await postAsClient(`${server.issuer}/token`, job, { grant_type: 'client_credentials' });
      expect(token.status).toBe(200);
      expect((await postAsClient(`${server.issuer}/token`, { ...job, client_secret: 'wrong'.repeat(9) }, { grant_type: 'client_credentials' })).status).toBe(401);

      const rotated = expectOk(await cli('clients', 'update', 'reports-job', '--rotate-secret', '--json')).json<{ client_secret: string }>();
      expect((await postAsClient(`${server.issuer}/token`, job, { grant_type: 'client_credentials' })).status).toBe(401);
      expect((await postAsClient(`${server.issuer}/token`, { ...job, client_secret: rotated.client_secret }, { grant_type: 'client_credentials' })).status).toBe(200);
    });

    it('adds a public client that can run the code flow, and refuses invalid metadata with the field', async () => {
      expectOk(await cli('clients', 'add', '--kind', 'public', '--id', 'cli-spa', '--name', 'CLI SPA', '--redirect-uri', 'http://localhost:8090/cb'));
      const spa = await discoverTestClient(server.issuer, { client_id: 'cli-spa', redirect_uris: ['http://localhost:8090/cb'] });
      expect((await completeCodeFlow(spa)).access_token).toEqual(expect.any(String));
      const bad = await cli('clients', 'add', '--kind', 'public', '--id', 'bad-spa', '--redirect-uri', 'not-a-url');
      expect(bad.code).toBe(1);
      expect(bad.err).toMatch(/redirect_uris\.0: must be an absolute URL/);
      expect((await cli('clients', 'add', '--kind', 'web', '--id', 'rs-x', '--api', 'https://x.test', '--redirect-uri', 'https://x.test/cb')).err).toMatch(/api: is only for resource_server clients/);
    });

    it('adds a web client as a service account and without PKCE on request, and shows both', async () => {
      expectOk(await cli('clients', 'add', '--kind', 'web', '--id', 'legacy-web', '--redirect-uri', 'https://legacy.test/cb', '--service-account', '--no-pkce'));
      const shown = expectOk(await cli('clients', 'show', 'legacy-web', '--json')).json<Record<string, unknown>>();
      expect(shown).toMatchObject({ service_account: true, require_pkce: false, grant_types: ['authorization_code', 'refresh_token', 'client_credentials'] });
      expect((await cli('clients', 'add', '--kind', 'public', '--id', 'spa-no-pkce', '--redirect-uri', 'https://x.test/cb', '--no-pkce')).err).toMatch(/require_pkce: can be false only for a web client/);
    });

    it('lists where each client comes from; the file wins, and file clients cannot be changed here', async () => {
      const rows = expectOk(await cli('clients', 'list', '--json')).json<{ client_id: string; source: string }[]>();
      expect(rows).toEqual(expect.arrayContaining([
        expect.objectContaining({ client_id: 'test-web', source: 'file' }),
        expect.objectContaining({ client_id: 'reports-job', source: 'store' }),
      ]));
      expect((await cli('clients', 'add', '--kind', 'service', '--id', 'test-web')).err).toMatch(/declared in the clients file/);
      expect((await cli('clients', 'remove', 'test-web')).err).toMatch(/declared in the clients file/);
      expect(expectOk(await cli('clients', 'show', 'test-web', '--json')).json()).toMatchObject({ client_id: 'test-web', source: 'file', client_secret: '(in the clients file)' });
      expect(expectOk(await cli('clients', 'show', 'reports-job', '--json')).json()).toMatchObject({ client_secret: '(hashed)' });
    });

    it('grants a store client APIs and scopes with --api-scopes, shows them, and replaces or removes them', async () => {
      const added = expectOk(await cli('clients', 'add', '--kind', 'service', '--id', 'orders-job', '--api-scopes', `${TEST_API.identifier} orders:read`, '--json')).json<{ client_secret: string }>();
      const job = { client_id: 'orders-job', client_secret: added.client_secret };
      const ask = (scope: string) => postAsClient(`${server.issuer}/token`, job, { grant_type: 'client_credentials', resource: TEST_API.identifier, scope });
      expect((await ask('orders:read')).json).toMatchObject({ scope: 'orders:read' });
      expect((await ask('orders:write')).json.error).toBe('invalid_scope');
      expect(expectOk(await cli('clients', 'show', 'orders-job', '--json')).json()).toMatchObject({ api_scopes: { [TEST_API.identifier]: ['orders:read'] } });

      expectOk(await cli('clients', 'update', 'orders-job', '--api-scopes', `${TEST_API.identifier} orders:read orders:write`));
      expect((await ask('orders:write')).json).toMatchObject({ scope: 'orders:write' });
      expectOk(await cli('clients', 'update', 'orders-job', '--no-api-scopes'));
      expect((await ask('orders:read')).json.error).toBe('invalid_target');

      expect((await cli('clients', 'update', 'orders-job', '--api-scopes', `${TEST_API.identifier} orders:delete`)).err).toMatch(/api_scopes: API "https:\/\/orders\.test" declares no scope "orders:delete"/);
      expect((await cli('clients', 'add', '--kind', 'service', '--id', 'x-job', '--api-scopes', 'https://unknown.test')).err).toMatch(/api_scopes: no API "https:\/\/unknown\.test" is declared/);
    });

    it('removes a store client, after which it cannot authenticate', async () => {
      const added = expectOk(await cli('clients', 'add', '--kind', 'service', '--id', 'short-lived', '--json')).json<{ client_secret: string }>();
      expectOk(await cli('clients', 'remove', 'short-lived'));
      expect((await postAsClient(`${server.issuer}/token`, { client_id: 'short-lived', client_secret: added.client_secret }, { grant_type: 'client_credentials' })).status).toBe(401);
      expect((await cli('clients', 'remove', 'short-lived')).code).toBe(1);
    });
  });
});
