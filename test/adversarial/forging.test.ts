import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DEMO_ACCOUNT } from '../../src/services/demo-data.service.ts';
import { discoverTestClient, startAuthorization } from '../helpers/relying-party.ts';
import { freePort, startTestKeyward, type TestKeyward } from '../helpers/test-server.ts';
import { startUpstreamProvider } from '../helpers/upstreams.ts';
import { locationOf, UserAgent } from '../helpers/user-agent.ts';

/**
 * Forging: the attacker knows a cookie secret (a default left in place, a leaked config) and
 * writes any UI-session cookie they like. That must not decide who signs in.
 */
const KNOWN_SECRET = 'known-cookie-secret-0123456789abcdef0123456789';

/** A koa-session cookie as koa-session writes it: base64 JSON, signed by keygrip (HMAC-SHA1, base64url). */
function forgedUiValue(body: Record<string, unknown>): { value: string; signature: string } {
  const value = Buffer.from(JSON.stringify({ _expire: Date.now() + 3_600_000, _maxAge: 3_600_000, ...body })).toString('base64');
  return { value, signature: createHmac('sha1', KNOWN_SECRET).update(`keyward.ui=${value}`).digest('base64url') };
}

function forgedUiCookie(body: Record<string, unknown>): string {
  const { value, signature } = forgedUiValue(body);
  return `keyward.ui=${value}; keyward.ui.sig=${signature}`;
}

describe('a forged UI session', () => {
  let keyward: TestKeyward;
  let upstream: Awaited<ReturnType<typeof startUpstreamProvider>>;
  beforeAll(async () => {
    const port = await freePort();
    upstream = await startUpstreamProvider(() => `http://127.0.0.1:${port}/federation/callback/google`);
    keyward = await startTestKeyward({
      port,
      env: { COOKIE_SECRETS: KNOWN_SECRET, GOOGLE_CLIENT_ID: upstream.client.id, GOOGLE_CLIENT_SECRET: upstream.client.secret, GOOGLE_ISSUER: upstream.issuer },
    });
  });
  afterAll(async () => {
    await keyward?.stop();
    await upstream?.close();
  });

  it('cannot finish a sign-in as an account whose id the attacker knows', async () => {
    const demo = await keyward.running.container.stores.accounts.findByEmail(DEMO_ACCOUNT.email);
    const started = await startAuthorization(await discoverTestClient(keyward.issuer));
    const authorization = await fetch(started.url, { redirect: 'manual' });
    const login = locationOf(authorization, keyward.issuer);
    const uid = login.pathname.split('/').pop()!;
    // The attacker's own browser holds the interaction cookies; the forged UI cookie names the victim.
    const interactionCookies = authorization.headers.getSetCookie().map((cookie) => cookie.split(';')[0]!);
    const forged = forgedUiCookie({ federatedLogin: { uid, accountId: demo!.id }, pendingLink: { uid, upstream: 'google', subject: 'x', email: DEMO_ACCOUNT.email, accountId: demo!.id } });
    const complete = await fetch(`${login}/federated/complete`, { redirect: 'manual', headers: { cookie: [...interactionCookies, forged].join('; ') } });
    expect(complete.status).toBe(400);
    expect(complete.headers.get('location')).toBeNull();
    const signIns = await keyward.running.container.stores.audit.list({ event: 'federated_sign_in', limit: 10 });
    expect(signIns.filter((event) => event.outcome === 'success')).toEqual([]);
  });

  it('cannot aim an upstream sign-in at a victim\'s interaction so that the victim\'s password links the attacker\'s upstream identity', async () => {
    // The victim has a sign-in page open.
    const victim = new UserAgent();
    const victimLogin = locationOf(await victim.get((await startAuthorization(await discoverTestClient(keyward.issuer))).url), keyward.issuer);
    const victimUid = victimLogin.pathname.split('/').pop()!;
    const victimPage = await (await victim.get(victimLogin)).text();
    // The attacker starts an upstream sign-in of their own, then rewrites its interaction uid to the victim's.
    const attacker = new UserAgent();
    const attackerLogin = locationOf(await attacker.get((await startAuthorization(await discoverTestClient(keyward.issuer))).url), keyward.issuer);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await (await attacker.get(attackerLogin)).text())![1]!;
    let response = await attacker.postForm(`${attackerLogin}/federated/google`, { _csrf: csrf });
    const session = JSON.parse(Buffer.from(attacker.cookieValue(keyward.issuer, 'keyward.ui')!, 'base64').toString()) as { federation: { uid: string } };
    const forged = forgedUiValue({ ...session, federation: { ...session.federation, uid: victimUid } });
    attacker.setCookie(keyward.issuer, 'keyward.ui', forged.value);
    attacker.setCookie(keyward.issuer, 'keyward.ui.sig', forged.signature);
    // An upstream that vouches for the victim's address (lying, or the attacker's account there).
    upstream.people.set('g-liar', { sub: 'g-liar', email: DEMO_ACCOUNT.email, email_verified: true });
    upstream.state.signInAs = 'g-liar';
    for (let hop = 0; hop < 10 && [302, 303].includes(response.status); hop += 1) response = await attacker.get(locationOf(response, response.url || keyward.issuer));
    // The victim signs in with their password in their own interaction.
    const signedIn = await victim.postForm(`${victimLogin}/login`, { _csrf: /name="_csrf" value="([^"]+)"/.exec(victimPage)![1]!, email: DEMO_ACCOUNT.email, password: DEMO_ACCOUNT.password });
    expect(signedIn.status).toBe(303);
    expect(await keyward.running.container.stores.federatedIdentities.find('google', 'g-liar')).toBeUndefined();
  });
});

describe('a UI session planted before sign-in (fixation)', () => {
  let keyward: TestKeyward;
  beforeAll(async () => {
    keyward = await startTestKeyward({ env: { COOKIE_SECRETS: KNOWN_SECRET } });
  });
  afterAll(async () => keyward?.stop());

  it('does not survive the sign-in: the UI session starts afresh', async () => {
    const agent = new UserAgent();
    const started = await startAuthorization(await discoverTestClient(keyward.issuer));
    const login = locationOf(await agent.get(started.url), keyward.issuer);
    const page = await (await agent.get(login)).text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page)![1]!;
    const signedIn = await agent.postForm(`${login}/login`, { _csrf: csrf, email: DEMO_ACCOUNT.email, password: DEMO_ACCOUNT.password });
    expect(signedIn.status).toBe(303);
    // koa-session clears the cookie of a session set to null: the pre-sign-in one is gone.
    const cleared = signedIn.headers.getSetCookie().filter((cookie) => cookie.startsWith('keyward.ui='));
    expect(cleared.length).toBeGreaterThan(0);
    expect(cleared.every((cookie) => /expires=Thu, 01 Jan 1970/i.test(cookie))).toBe(true);
    expect(agent.cookieNames(keyward.issuer)).not.toContain('keyward.ui');
  });
});

describe('routes of features that are not configured', () => {
  let keyward: TestKeyward;
  beforeAll(async () => {
    keyward = await startTestKeyward({ env: { COOKIE_SECRETS: KNOWN_SECRET } });
  });
  afterAll(async () => keyward?.stop());

  it('are not mounted: federation answers 404 with no upstream configured', async () => {
    const agent = new UserAgent();
    const started = await startAuthorization(await discoverTestClient(keyward.issuer));
    const login = locationOf(await agent.get(started.url), keyward.issuer);
    const uid = login.pathname.split('/').pop()!;
    const complete = await fetch(`${login}/federated/complete`, { redirect: 'manual', headers: { cookie: forgedUiCookie({ federatedLogin: { uid, accountId: 'any' } }) } });
    expect(complete.status).toBe(404);
    expect((await agent.get(`${keyward.issuer}/federation/callback/google?code=x&state=y`)).status).toBe(404);
  });
});
