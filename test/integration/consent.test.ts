import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import { DEMO_ACCOUNT } from '../../src/services/demo-data.service.ts';
import { keyward as runCli } from '../helpers/cli.ts';
import { FakeClock } from '../helpers/fake-clock.ts';
import { discoverTestClient, redeem, signOut, startAuthorization } from '../helpers/relying-party.ts';
import { grantAll, postAsClient, startTestKeyward, TEST_API, TEST_WEB_CLIENT, type TestKeyward } from '../helpers/test-server.ts';
import { csrfTokenIn, locationOf, UserAgent } from '../helpers/user-agent.ts';

const PASSWORD = 'correct horse battery staple 42';
const DEMO: { email: string; password: string } = { email: DEMO_ACCOUNT.email, password: DEMO_ACCOUNT.password };

/** A confidential web client like the test one, under another id. */
const webClient = (clientId: string, extra: object = {}) => ({
  ...TEST_WEB_CLIENT, client_id: clientId, client_name: `App ${clientId}`, client_secret: `${clientId}-secret-0123456789abcdef0123456789`, ...extra,
});
const OTHER_APP = webClient('other-app');
const PLAIN_APP = webClient('plain-app');
const REVOKED_APP = webClient('revoked-app');
const SHOP = grantAll(webClient('shop'), TEST_API);
const OWN_APP = grantAll(webClient('own-app', { first_party: true }), TEST_API);
const NATIVE = { client_id: 'native-app', kind: 'public', application_type: 'native', redirect_uris: ['com.example.app:/callback'] };
const OWN_NATIVE = { ...NATIVE, client_id: 'own-native-app', first_party: true };

interface Visit {
  /** The Keyward pages the browser was shown, in order. */
  pages: ('login' | 'consent')[];
  consentHtml: string | undefined;
  callback: URL;
}

/** Drives one authorization in `agent` like a person would: signs in when asked, allows when asked. */
async function authorize(agent: UserAgent, url: URL, credentials = DEMO): Promise<Visit> {
  const base = url.origin;
  const pages: Visit['pages'] = [];
  let consentHtml: string | undefined;
  let next = locationOf(await agent.get(url), base);
  for (let step = 0; step < 10; step += 1) {
    if (next.origin !== base) return { pages, consentHtml, callback: next };
    const response = await agent.get(next);
    if (response.status === 302 || response.status === 303) {
      next = locationOf(response, base);
      continue;
    }
    const html = await response.text();
    expect(response.status).toBe(200);
    const page = html.includes('/login"') ? 'login' : 'consent';
    pages.push(page);
    if (page === 'consent') consentHtml = html;
    const submitted = await agent.postForm(new URL(`${next.pathname}/${page}`, base), { _csrf: csrfTokenIn(html), ...(page === 'login' ? credentials : {}) });
    expect(submitted.status).toBe(303);
    next = locationOf(submitted, base);
  }
  throw new Error('the authorization did not reach the client');
}

/** Remembered consent (per account and client, across browsers), incremental consent, first-party clients. */
describe('consent', () => {
  let keyward: TestKeyward;
  let web: oidc.Configuration;

  beforeAll(async () => {
    keyward = await startTestKeyward({
      registry: { clients: [OTHER_APP, PLAIN_APP, REVOKED_APP, SHOP, OWN_APP, NATIVE, OWN_NATIVE], apis: [TEST_API] },
    });
    web = await discoverTestClient(keyward.issuer);
  });
  afterAll(async () => keyward?.stop());

  const stores = () => keyward.running.container.stores;
  const accountId = async (email: string) => (await stores().accounts.findByEmail(email))!.id;
  const grantsOf = async (email: string, clientId: string) =>
    (await stores().oidcRecords.listByAccountId('Grant', await accountId(email), 100)).filter((grant) => grant.payload.clientId === clientId);
  const flow = async (rp: oidc.Configuration, scope: string, agent = new UserAgent(), options: { credentials?: typeof DEMO; extra?: Record<string, string> } = {}) => {
    const started = await startAuthorization(rp, scope, options.extra);
    const visit = await authorize(agent, started.url, options.credentials);
    return { ...visit, agent, tokens: () => redeem(rp, started, visit.callback) };
  };

  it('remembers consent given in one browser for a sign-in in another, each browser with a grant of its own', async () => {
    const first = await flow(web, 'openid email');
    expect(first.pages).toEqual(['login', 'consent']);
    const firstTokens = await first.tokens();
    expect(firstTokens.refresh_token).toBeDefined();
    const second = await flow(web, 'openid email');
    expect(second.pages).toEqual(['login']);
    const tokens = await second.tokens();
    expect(tokens.scope?.split(' ').sort()).toEqual(['email', 'openid']);
    // A copy of the remembered grant: signing out in one browser (which may end the grant's
    // refresh tokens) must not end the app's tokens in the other.
    const grants = await grantsOf(DEMO.email, TEST_WEB_CLIENT.client_id);
    expect(grants.length).toBeGreaterThanOrEqual(2);
    await signOut(second.agent, web, tokens.id_token!, TEST_WEB_CLIENT.post_logout_redirect_uris[0]);
    expect((await postAsClient(`${keyward.issuer}/token`, TEST_WEB_CLIENT, { grant_type: 'refresh_token', refresh_token: firstTokens.refresh_token! })).status).toBe(200);
  });

  it('still asks for another client', async () => {
    await flow(web, 'openid email');
    const other = await flow(await discoverTestClient(keyward.issuer, OTHER_APP), 'openid email');
    expect(other.pages).toEqual(['login', 'consent']);
  });

  it('still asks another account, and never lends it the first account\'s grant', async () => {
    const { container } = keyward.running;
    await stores().accounts.create({ email: 'other@example.com', emailVerified: true, name: undefined, passwordHash: await container.passwords.hash(PASSWORD), roles: [] });
    await flow(web, 'openid email');
    const other = await flow(web, 'openid email', new UserAgent(), { credentials: { email: 'other@example.com', password: PASSWORD } });
    expect(other.pages).toEqual(['login', 'consent']);
    const tokens = await other.tokens();
    expect(tokens.claims()!.sub).toBe(await accountId('other@example.com'));
    const grants = await grantsOf('other@example.com', TEST_WEB_CLIENT.client_id);
    expect(grants).toHaveLength(1);
    expect(grants[0]!.payload.accountId).toBe(await accountId('other@example.com'));
    expect(grants[0]!.id).not.toBe((await grantsOf(DEMO.email, TEST_WEB_CLIENT.client_id))[0]!.id);
  });

  it('asks only for the scopes not granted yet, then holds and issues both (incremental consent)', async () => {
    const shop = await discoverTestClient(keyward.issuer, SHOP);
    const resource = { resource: TEST_API.identifier };
    const first = await flow(shop, 'openid email orders:read', new UserAgent(), { extra: resource });
    expect(first.pages).toEqual(['login', 'consent']);
    expect(first.consentHtml).toContain('See your email address');
    expect(first.consentHtml).toContain('See your orders');

    // More, in a new browser: the consent page lists only what is new.
    const more = await flow(shop, 'openid email profile orders:read orders:write', new UserAgent(), { extra: resource });
    expect(more.pages).toEqual(['login', 'consent']);
    expect(more.consentHtml).toContain('See your name');
    expect(more.consentHtml).toContain('Place orders for you');
    expect(more.consentHtml).not.toContain('See your email address');
    expect(more.consentHtml).not.toContain('See your orders');
    const tokens = await more.tokens();
    expect(tokens.scope?.split(' ').sort()).toEqual(['email', 'openid', 'orders:read', 'orders:write', 'profile']);
    // The access token is the API's: it carries the API's scopes (the OpenID ones are for the ID token and UserInfo).
    expect(String(decodeJwt(tokens.access_token).scope).split(' ').sort()).toEqual(['orders:read', 'orders:write']);
    expect(decodeJwt(tokens.access_token).aud).toBe(TEST_API.identifier);
    // This browser's grant (a copy of the remembered one) holds the old scopes and the new ones.
    const scopesOf = (g: { payload: Record<string, unknown> }) => String((g.payload.openid as { scope?: string } | undefined)?.scope ?? '').split(' ').length;
    const [grant] = (await grantsOf(DEMO.email, SHOP.client_id)).sort((a, b) => scopesOf(b) - scopesOf(a));
    expect(String((grant!.payload.openid as { scope: string }).scope).split(' ').sort()).toEqual(['email', 'openid', 'profile']);
    expect(String((grant!.payload.resources as Record<string, string>)[TEST_API.identifier]).split(' ').sort()).toEqual(['orders:read', 'orders:write']);

    // And everything again, in a third browser: nothing to ask.
    const again = await flow(shop, 'openid email profile orders:read orders:write', new UserAgent(), { extra: resource });
    expect(again.pages).toEqual(['login']);
  });

  it('asks again once the grant is revoked, in a new browser and in the one that consented', async () => {
    const rp = await discoverTestClient(keyward.issuer, REVOKED_APP);
    const consented = await flow(rp, 'openid');
    expect(consented.pages).toEqual(['login', 'consent']);
    const revoke = async () => {
      const grants = await grantsOf(DEMO.email, REVOKED_APP.client_id);
      expect(grants).toHaveLength(1);
      await stores().oidcRecords.destroy('Grant', grants[0]!.id);
    };
    await revoke();
    expect((await flow(rp, 'openid')).pages).toEqual(['login', 'consent']);
    // (That consent is remembered for the first browser too; revoked again.)
    await revoke();
    expect((await flow(rp, 'openid', consented.agent)).pages).toEqual(['consent']);

    // The app revoking its refresh token ends the grant too (RFC 7009 §2.1): asked again.
    const tokens = await (await flow(rp, 'openid', consented.agent)).tokens();
    await oidc.tokenRevocation(rp, tokens.refresh_token!);
    expect(await grantsOf(DEMO.email, REVOKED_APP.client_id)).toHaveLength(0);
    expect((await flow(rp, 'openid')).pages).toEqual(['login', 'consent']);
  });

  it('asks nothing for a first-party client, audits that as automatic consent, and still asks for an ordinary client', async () => {
    const own = await discoverTestClient(keyward.issuer, OWN_APP);
    const agent = new UserAgent();
    const visit = await flow(own, 'openid email orders:read', agent, { extra: { resource: TEST_API.identifier } });
    expect(visit.pages).toEqual(['login']);
    const tokens = await visit.tokens();
    expect(tokens.scope?.split(' ').sort()).toEqual(['email', 'openid', 'orders:read']);
    // More scopes later: still no page, the grant grows.
    expect((await flow(own, 'openid email profile', agent)).pages).toEqual([]);
    const [grant] = await grantsOf(DEMO.email, OWN_APP.client_id);
    expect(String((grant!.payload.openid as { scope: string }).scope).split(' ').sort()).toEqual(['email', 'openid', 'profile']);

    const audit = (await stores().audit.list({ accountId: await accountId(DEMO.email), event: 'consent', limit: 50 })).filter((e) => e.clientId === OWN_APP.client_id);
    expect(audit.map((e) => e.outcome)).toEqual(['success', 'success']);
    expect(audit[1]!.details).toMatchObject({ automatic: true, reason: 'first-party client', scopes: ['openid', 'email'], apiScopes: { [TEST_API.identifier]: ['orders:read'] } });
    expect(audit[0]!.details).toMatchObject({ automatic: true, scopes: ['profile'] });

    // The same browser, an ordinary client it never used: asked.
    expect((await flow(await discoverTestClient(keyward.issuer, PLAIN_APP), 'openid', agent)).pages).toEqual(['consent']);
  });

  it('asks a native client every time (RFC 8252 §8.6), unless it is first-party', async () => {
    const native = await discoverTestClient(keyward.issuer, NATIVE);
    const agent = new UserAgent();
    expect((await flow(native, 'openid', agent)).pages).toEqual(['login', 'consent']);
    expect((await flow(native, 'openid', agent)).pages).toEqual(['consent']);
    const ownNative = await discoverTestClient(keyward.issuer, OWN_NATIVE);
    expect((await flow(ownNative, 'openid', agent)).pages).toEqual([]);
  });

  it('adds a first-party client with the CLI, shows it, and skips its consent', async () => {
    const env = { DATABASE_URL: `sqlite:${keyward.databaseFile}`, CLIENTS_FILE: String(keyward.running.container.config.clientsFile) };
    const added = await runCli(env, ['clients', 'add', '--kind', 'public', '--id', 'own-spa', '--redirect-uri', 'http://localhost:8080/callback', '--first-party']);
    expect(added.err).toBe('');
    expect(added.code).toBe(0);
    const shown = await runCli(env, ['clients', 'show', 'own-spa', '--json']);
    expect(shown.json()).toMatchObject({ client_id: 'own-spa', first_party: true });
    const refused = await runCli(env, ['clients', 'add', '--kind', 'service', '--id', 'own-job', '--first-party']);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/first_party: is only for public and web clients/);

    const spa = await discoverTestClient(keyward.issuer, { client_id: 'own-spa', redirect_uris: ['http://localhost:8080/callback'] });
    const visit = await flow(spa, 'openid email');
    expect(visit.pages).toEqual(['login']);
    expect((await visit.tokens()).scope?.split(' ').sort()).toEqual(['email', 'openid']);
  });
});

describe('consent, once the grant expires', () => {
  let keyward: TestKeyward;
  const clock = new FakeClock(Date.now());

  beforeAll(async () => {
    keyward = await startTestKeyward({ clock, env: { GRANT_TTL: '600' } });
  });
  afterAll(async () => keyward?.stop());

  it('is asked again after GRANT_TTL, in a new browser and in the one that consented', async () => {
    const rp = await discoverTestClient(keyward.issuer);
    const agent = new UserAgent();
    const visit = async (browser: UserAgent) => authorize(browser, (await startAuthorization(rp, 'openid')).url);
    expect((await visit(agent)).pages).toEqual(['login', 'consent']);
    clock.advance(599_000);
    expect((await visit(new UserAgent())).pages).toEqual(['login']);
    clock.advance(2_000);
    expect((await visit(agent)).pages).toEqual(['consent']);
    expect((await visit(new UserAgent())).pages).toEqual(['login']);
    clock.advance(601_000);
    expect((await visit(new UserAgent())).pages).toEqual(['login', 'consent']);
  });
});
