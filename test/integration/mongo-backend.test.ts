import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import mongoose from 'mongoose';
import type * as oidc from 'openid-client';
import { DEMO_ACCOUNT } from '../../src/services/demo-data.service.ts';
import { adminCall, adminServiceClient, serviceToken } from '../helpers/admin-api.ts';
import { keyward as keywardCli } from '../helpers/cli.ts';
import { latestLink } from '../helpers/mailbox.ts';
import { mongoLabel, startMongoForTests, withDatabase, type MongoForTests } from '../helpers/mongo-emulator.ts';
import { completeCodeFlow, discoverTestClient, redeem, signOut, startAuthorization } from '../helpers/relying-party.ts';
import { freePort, postAsClient, startTestKeyward, TEST_API, TEST_RESOURCE_SERVER, TEST_SERVICE_CLIENT, TEST_WEB_CLIENT, type TestKeyward } from '../helpers/test-server.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { REPORTS_API, REPORTS_RESOURCE_SERVER, TOKEN_REGISTRY } from '../helpers/token-fixtures.ts';
import { startUpstreamProvider } from '../helpers/upstreams.ts';
import { csrfTokenIn, locationOf, signInAndConsent, UserAgent } from '../helpers/user-agent.ts';

/**
 * The whole app on the MongoDB backend, through its real pages and endpoints, on every run: the
 * wire emulator started here (a smoke run, README "Storage"), or the replica set in MONGODB_URI.
 * The database is created by `keyward migrate`, as an operator would, and Keyward then starts
 * with migrations asserted (not run), as in production.
 */
describe(`the whole app on ${mongoLabel()}`, () => {
  let mongo: MongoForTests;
  let databaseUrl: string;
  let keyward: TestKeyward;
  let google: Awaited<ReturnType<typeof startUpstreamProvider>>;
  let rp: oidc.Configuration;
  let jwks: ReturnType<typeof createRemoteJWKSet>;
  const mail = tempDir('keyward-mail-');

  beforeAll(async () => {
    mongo = await startMongoForTests();
    databaseUrl = withDatabase(mongo.uri, `keyward_e2e_${Date.now()}`);
    const migrated = await keywardCli({ DATABASE_URL: databaseUrl }, ['migrate']);
    expect(migrated.code).toBe(0);
    const port = await freePort();
    google = await startUpstreamProvider(() => `http://127.0.0.1:${port}/federation/callback/google`);
    keyward = await startTestKeyward({
      port,
      registry: { ...TOKEN_REGISTRY, clients: [...TOKEN_REGISTRY.clients, adminServiceClient(`http://127.0.0.1:${port}`, 'mongo-ops', ['admin:read', 'admin:write'])] },
      env: {
        DATABASE_URL: databaseUrl, MAIL_DIRECTORY: mail, REFRESH_TOKEN_REUSE_GRACE_SECONDS: '0',
        GOOGLE_CLIENT_ID: google.client.id, GOOGLE_CLIENT_SECRET: google.client.secret, GOOGLE_ISSUER: google.issuer,
      },
    });
    rp = await discoverTestClient(keyward.issuer);
    jwks = createRemoteJWKSet(new URL(`${keyward.issuer}/jwks`));
  });
  afterAll(async () => {
    await keyward?.stop();
    await google?.close();
    if (mongo && !mongo.emulated) {
      const connection = await mongoose.createConnection(databaseUrl).asPromise();
      await connection.dropDatabase().finally(() => connection.close());
    }
    await mongo?.stop();
  });

  const url = (path: string) => `${keyward.issuer}${path}`;
  const refresh = (token: unknown) => postAsClient(url('/token'), TEST_WEB_CLIENT, { grant_type: 'refresh_token', refresh_token: String(token) });
  const introspect = (client: { client_id: string; client_secret: string }, token: unknown) => postAsClient(url('/token/introspection'), client, { token: String(token) });
  /** Opens a form page and posts it with its CSRF token (and a link's token, as the page carries it). */
  const submit = async (page: string, fields: Record<string, string>, agent = new UserAgent()) => {
    const csrf = csrfTokenIn(await (await agent.get(page)).text());
    const token = new URL(page).searchParams.get('token');
    const response = await agent.postForm(page.split('?')[0]!, { _csrf: csrf, ...(token ? { token } : {}), ...fields });
    return { status: response.status, html: await response.text() };
  };

  it('runs on MongoDB, and keeps its data there', async () => {
    expect(keyward.running.container.config.database.kind).toBe('mongo');
    const connection = await mongoose.createConnection(databaseUrl).asPromise();
    try {
      expect(await connection.collection('accounts').countDocuments({ emailNormalized: DEMO_ACCOUNT.email })).toBe(1);
      expect(await connection.collection('signing_keys').countDocuments({})).toBeGreaterThan(0);
    } finally {
      await connection.close();
    }
  });

  it('signs in with the authorization code flow, PKCE and consent, and verifies the ID token and a JWT access token', async () => {
    const tokens = await completeCodeFlow(rp, { scope: 'openid email orders:read' });
    const account = await keyward.running.container.stores.accounts.findByEmail(DEMO_ACCOUNT.email);
    expect(tokens.claims()).toMatchObject({ iss: keyward.issuer, sub: account!.id, email: DEMO_ACCOUNT.email });
    const { payload } = await jwtVerify(tokens.access_token, jwks, { issuer: keyward.issuer, audience: TEST_API.identifier, typ: 'at+jwt' });
    expect(payload).toMatchObject({ sub: account!.id, scope: 'orders:read' });
    expect((await introspect(TEST_RESOURCE_SERVER, tokens.access_token)).json).toMatchObject({ active: true, sub: account!.id, client_id: TEST_WEB_CLIENT.client_id });
  });

  it('rotates refresh tokens, and revokes the whole family when a used one comes back', async () => {
    const first = await completeCodeFlow(rp, { scope: 'openid orders:read' });
    const second = await refresh(first.refresh_token);
    expect(second.status).toBe(200);
    expect(second.json.refresh_token).not.toBe(first.refresh_token);
    const reuse = await refresh(first.refresh_token);
    expect(reuse.json.error).toBe('invalid_grant');
    expect((await refresh(second.json.refresh_token)).json.error).toBe('invalid_grant');
    expect((await introspect(TEST_RESOURCE_SERVER, second.json.access_token)).json).toEqual({ active: false });
  });

  it('issues client_credentials tokens, JWT and opaque, introspects and revokes them', async () => {
    const jwt = await postAsClient(url('/token'), TEST_SERVICE_CLIENT, { grant_type: 'client_credentials', scope: 'orders:read' });
    expect(jwt.status).toBe(200);
    const { payload } = await jwtVerify(String(jwt.json.access_token), jwks, { issuer: keyward.issuer, audience: TEST_API.identifier, typ: 'at+jwt' });
    expect(payload).toMatchObject({ client_id: TEST_SERVICE_CLIENT.client_id, scope: 'orders:read' });

    const opaque = await postAsClient(url('/token'), TEST_SERVICE_CLIENT, { grant_type: 'client_credentials', scope: 'reports:read', resource: REPORTS_API.identifier });
    expect(opaque.status).toBe(200);
    const token = String(opaque.json.access_token);
    expect(token.split('.')).toHaveLength(1);
    expect((await introspect(REPORTS_RESOURCE_SERVER, token)).json).toMatchObject({ active: true, aud: REPORTS_API.identifier, scope: 'reports:read', client_id: TEST_SERVICE_CLIENT.client_id });
    expect((await postAsClient(url('/token/revocation'), TEST_SERVICE_CLIENT, { token })).status).toBe(200);
    expect((await introspect(REPORTS_RESOURCE_SERVER, token)).json).toEqual({ active: false });
  });

  it('signs out through RP-initiated logout, ending the session', async () => {
    const agent = new UserAgent();
    const tokens = await completeCodeFlow(rp, { agent });
    const done = await signOut(agent, rp, tokens.id_token!, TEST_WEB_CLIENT.post_logout_redirect_uris[0]);
    const back = locationOf(done, keyward.issuer);
    expect(`${back.origin}${back.pathname}`).toBe(TEST_WEB_CLIENT.post_logout_redirect_uris[0]);
    expect(back.searchParams.get('state')).toBe('bye');
    // The browser has no session any more: a new authorization shows it the sign-in form.
    const interaction = locationOf(await agent.get((await startAuthorization(rp)).url), keyward.issuer);
    expect(interaction.pathname).toMatch(/^\/interaction\//);
    expect(await (await agent.get(interaction)).text()).toContain(`action="${interaction.pathname}/login"`);
  });

  it('registers an account, confirms its email from the mail, and signs it in', async () => {
    const email = 'new-on-mongo@example.com';
    expect((await submit(url('/register'), { email, password: 'a perfectly fine passphrase', name: '' })).status).toBe(200);
    await keyward.flushMail();
    const confirmed = await submit(latestLink(mail, email, /Confirm your email/), { password: 'a perfectly fine passphrase' });
    expect(confirmed.status).toBe(200);
    const account = await keyward.running.container.stores.accounts.findByEmail(email);
    expect(account?.emailVerified).toBe(true);
    const started = await startAuthorization(rp);
    const tokens = await redeem(rp, started, await signInAndConsent(new UserAgent(), started.url, { email, password: 'a perfectly fine passphrase' }));
    expect(tokens.claims()!.sub).toBe(account!.id);
  });

  it('resets a password from the mailed link, ending the refresh tokens, and signs in with the new one', async () => {
    const email = 'new-on-mongo@example.com';
    const before = await (async () => {
      const started = await startAuthorization(rp);
      return redeem(rp, started, await signInAndConsent(new UserAgent(), started.url, { email, password: 'a perfectly fine passphrase' }));
    })();
    await submit(url('/forgot-password'), { email });
    await keyward.flushMail();
    const reset = await submit(latestLink(mail, email, /Reset your/), { password: 'another fine passphrase', password_confirmation: 'another fine passphrase' });
    expect(reset.html).toContain('Password changed');
    expect((await refresh(before.refresh_token)).json.error).toBe('invalid_grant');
    const started = await startAuthorization(rp);
    const after = await redeem(rp, started, await signInAndConsent(new UserAgent(), started.url, { email, password: 'another fine passphrase' }));
    expect(after.claims()!.sub).toBe(before.claims()!.sub);
  });

  it('signs in through an upstream OpenID provider, creating and linking an account', async () => {
    google.people.set('g-mongo', { sub: 'g-mongo', email: 'federated-on-mongo@example.com', email_verified: true, name: 'Fed Erated' });
    google.state.signInAs = 'g-mongo';
    const agent = new UserAgent();
    const started = await startAuthorization(rp, 'openid email profile');
    const login = locationOf(await agent.get(started.url), keyward.issuer);
    let response = await agent.postForm(`${login}/federated/google`, { _csrf: csrfTokenIn(await (await agent.get(login)).text()) });
    // Through the upstream and back to Keyward's callback, then consent, then the client.
    let next = locationOf(response, keyward.issuer);
    for (let hop = 0; hop < 20 && next.origin !== new URL(TEST_WEB_CLIENT.redirect_uris[0]).origin; hop += 1) {
      response = await agent.get(next);
      if ([302, 303].includes(response.status)) {
        next = locationOf(response, next.origin);
        continue;
      }
      const html = await response.text();
      expect(response.status).toBe(200);
      next = locationOf(await agent.postForm(new URL(`${next.pathname}/consent`, keyward.issuer), { _csrf: csrfTokenIn(html) }), keyward.issuer);
    }
    const tokens = await redeem(rp, started, next);
    const account = await keyward.running.container.stores.accounts.findByEmail('federated-on-mongo@example.com');
    expect(tokens.claims()!.sub).toBe(account!.id);
    expect(await keyward.running.container.stores.federatedIdentities.find('google', 'g-mongo')).toMatchObject({ accountId: account!.id });
  });
  it('serves the admin API: cursor pages, ETag conflicts, store APIs, audit filters and the dashboard', async () => {
    const token = await serviceToken(keyward, adminServiceClient(keyward.issuer, 'mongo-ops', []));
    for (const name of ['mia', 'mo', 'max']) expect((await adminCall(keyward, token, 'POST', '/users', { body: { email: `${name}@mongo.test` } })).status).toBe(201);
    const first = await adminCall(keyward, token, 'GET', '/users?email_prefix=M&limit=2');
    expect(first.json.items.map((u: { email: string }) => u.email)).toEqual(['max@mongo.test', 'mia@mongo.test']);
    const second = await adminCall(keyward, token, 'GET', `/users?email_prefix=m&limit=2&cursor=${first.json.next_cursor}`);
    expect(second.json.items.map((u: { email: string }) => u.email)).toEqual(['mo@mongo.test']);
    expect(second.json.next_cursor).toBeNull();

    const id = first.json.items[0].id as string;
    const etag = (await adminCall(keyward, token, 'GET', `/users/${id}`)).headers.get('etag')!;
    expect((await adminCall(keyward, token, 'PATCH', `/users/${id}`, { body: { name: 'Max' }, headers: { 'if-match': etag } })).status).toBe(200);
    expect((await adminCall(keyward, token, 'PATCH', `/users/${id}`, { body: { name: 'Lost' }, headers: { 'if-match': etag } })).status).toBe(412);

    const api = await adminCall(keyward, token, 'POST', '/apis', { body: { identifier: 'https://mongo-api.test', scopes: { 'm:read': 'Read' } } });
    expect(api.status).toBe(201);
    expect((await adminCall(keyward, token, 'GET', `/apis/${encodeURIComponent('https://mongo-api.test')}`)).json.source).toBe('store');

    const audit = await adminCall(keyward, token, 'GET', `/audit-events?event=admin_action&account_id=${id}`);
    expect(audit.json.items.map((e: { details: { action: string } }) => e.details.action)).toEqual(['users.update', 'users.create']);
    const dashboard = await keyward.running.container.admin.audit.dashboard();
    expect(dashboard.hours).toHaveLength(24);
    expect(dashboard.users).toBeGreaterThanOrEqual(4);
  });
});
