import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ADMIN_PASSWORD, consolePage, createAdmin, openConsole, revisionIn, walkToConsoleCallback, type TestAdmin } from '../helpers/admin-console.ts';
import { createVerifiedAccount } from '../helpers/accounts.ts';
import { passwordStep } from '../helpers/mfa-flow.ts';
import { discoverTestClient, startAuthorization } from '../helpers/relying-party.ts';
import { startTestKeyward, type TestKeyward } from '../helpers/test-server.ts';
import { locationOf, signInAndConsent, UserAgent } from '../helpers/user-agent.ts';

/**
 * The admin console over HTTP: its sign-in as a first-party client of Keyward (state, iss, code
 * and PKCE checked at its callback), the console session checked on every request, CSRF on every
 * form, the admin as the actor of what it does, and stale forms refused.
 */
describe('the admin console', () => {
  let keyward: TestKeyward;
  let root: TestAdmin;
  let rootAgent: UserAgent;

  beforeAll(async () => {
    keyward = await startTestKeyward();
    root = await createAdmin(keyward, 'root@example.com');
    rootAgent = await openConsole(keyward, root);
  });
  afterAll(async () => {
    await keyward?.stop();
  });

  const url = (path: string) => `${keyward.issuer}${path}`;
  /** Posts a console form as `agent`, with the CSRF token and revision of the page it is on. */
  const postFrom = async (agent: UserAgent, page: string, action: string, fields: Record<string, string> = {}, withRevision = true) => {
    const { html, csrf } = await consolePage(agent, url(page));
    return agent.postForm(url(action), { _csrf: csrf, ...(withRevision ? { revision: revisionIn(html) } : {}), ...fields });
  };
  /** A console request that starts a sign-in instead of answering: the console session is over. */
  const expectSignedOut = async (agent: UserAgent) => {
    const response = await agent.get(url('/admin'));
    expect(response.status).toBe(303);
    expect(locationOf(response, keyward.issuer).pathname).toBe('/auth');
  };
  /** Why the callback refused the codes it refused, in order (its log lines). */
  const refusals = () => keyward.logs.lines().filter((line) => line.msg === 'admin console: authorization code refused').map((line) => line.reason);
  /** A new sign-in's state, started in `agent` (its console session, if any, replaced by a bogus one). */
  const newState = async (agent: UserAgent) => {
    agent.setCookie(keyward.issuer, 'keyward.admin', 'x'.repeat(43), '/admin');
    return locationOf(await agent.get(url('/admin/users')), keyward.issuer).searchParams.get('state')!;
  };

  it('asks an admin for the password and the second factor, then opens the dashboard with a session cookie for /admin only', async () => {
    const admin = await createAdmin(keyward, 'first-admin@example.com');
    const agent = new UserAgent();
    const { callback, visited } = await walkToConsoleCallback(agent, keyward.issuer, admin);
    expect(visited[0]).toBe('/auth');
    expect(visited.some((path) => path.endsWith('/second-factor'))).toBe(true);
    expect(callback.searchParams.get('iss')).toBe(keyward.issuer);

    const landed = await agent.get(callback);
    expect(landed.status).toBe(303);
    expect(landed.headers.get('location')).toBe('/admin');
    const cookie = landed.headers.getSetCookie().find((c) => c.startsWith('keyward.admin='))!;
    expect(cookie).toMatch(/path=\/admin/i);
    expect(cookie).toMatch(/httponly/i);
    expect(cookie).toMatch(/samesite=lax/i);
    const dashboard = await consolePage(agent, url('/admin'));
    expect(dashboard.status).toBe(200);
    expect(dashboard.html).toContain('<h1>Dashboard</h1>');
    expect(dashboard.html).toMatch(/<svg class="chart-svg"[^>]*role="img"/);
    expect(dashboard.html).not.toMatch(/\sstyle="/);
    // The session is stored hashed, under the account (so ending the account's state ends it).
    const [record] = await keyward.running.container.stores.oidcRecords.listByAccountId('KeywardAdminConsoleSession', admin.id, 10);
    expect(record?.payload).toMatchObject({ accountId: admin.id, amr: expect.arrayContaining(['otp', 'mfa']) });
    expect(record!.id).not.toBe(agent.cookieValue(keyward.issuer, 'keyward.admin'));
  });

  it('sends an admin without a second factor to set one up before the console opens (ADMIN_REQUIRE_MFA)', async () => {
    await createVerifiedAccount(keyward, 'no-factor@example.com', ADMIN_PASSWORD, ['admin']);
    const agent = new UserAgent();
    const authorization = locationOf(await agent.get(url('/admin')), keyward.issuer);
    const { next } = await passwordStep(agent, authorization, { email: 'no-factor@example.com', password: ADMIN_PASSWORD });
    expect(next!.pathname).toMatch(/^\/interaction\/[^/]+\/enrol$/);
  });

  it('returns to the page that was asked for', async () => {
    const admin = await createAdmin(keyward, 'deep-link@example.com');
    const agent = new UserAgent();
    const { callback } = await walkToConsoleCallback(agent, keyward.issuer, admin, '/admin/audit?event=sign_in');
    expect((await agent.get(callback)).headers.get('location')).toBe('/admin/audit?event=sign_in');
  });

  it('refuses a signed-in person without the admin role with 403, again at the next visit, without a loop', async () => {
    const person = await createAdmin(keyward, 'not-an-admin@example.com', []);
    const agent = new UserAgent();
    const { callback } = await walkToConsoleCallback(agent, keyward.issuer, person);
    const refused = await agent.get(callback);
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('No access to the admin console');
    expect(agent.cookieValue(keyward.issuer, 'keyward.admin')).toBeUndefined();
    // Signed in to Keyward already: straight back to the callback, and the same answer.
    const again = await walkToConsoleCallback(agent, keyward.issuer, person);
    expect(again.visited).toEqual(['/auth', '/admin/callback']);
    expect((await agent.get(again.callback)).status).toBe(403);
  });

  it('refuses an absent or forged state, another issuer, a code of another client, and a replayed code', async () => {
    const admin = await createAdmin(keyward, 'callback-checks@example.com');
    const agent = new UserAgent();
    const { callback } = await walkToConsoleCallback(agent, keyward.issuer, admin);
    const code = callback.searchParams.get('code')!;
    const state = callback.searchParams.get('state')!;
    const at = (params: Record<string, string>) => agent.get(url(`/admin/callback?${new URLSearchParams(params).toString()}`));

    for (const params of [{ code, iss: keyward.issuer }, { code, state: 'forged-state', iss: keyward.issuer }] as Record<string, string>[]) {
      const response = await at(params);
      expect(response.status).toBe(400);
      expect(await response.text()).toContain('did not start in this browser');
    }
    // Neither spent the browser's own state: the real callback still signs in, once.
    expect((await at({ code, state, iss: keyward.issuer })).status).toBe(303);
    const session = agent.cookieValue(keyward.issuer, 'keyward.admin');
    expect((await agent.get(url('/admin'))).status).toBe(200);
    expect((await at({ code, state, iss: keyward.issuer })).status).toBe(400);

    // The code again, with a fresh state (another PKCE verifier): refused. The console session it
    // opened stays: only the browser holding the code's verifier could ever redeem it, so a used
    // code found elsewhere (history, logs) must not be a way to sign the admin out.
    const replay = await at({ code, state: await newState(agent), iss: keyward.issuer });
    expect(replay.status).toBe(400);
    expect(await replay.text()).toContain('could not be completed');
    agent.setCookie(keyward.issuer, 'keyward.admin', session!, '/admin');
    expect((await agent.get(url('/admin'))).status).toBe(200);

    // An answer from another issuer (RFC 9207) is refused before its code is looked at.
    const mixUp = await at({ code: 'a'.repeat(43), state: await newState(agent), iss: 'https://evil.example' });
    expect(mixUp.status).toBe(400);
    expect(await mixUp.text()).toContain('did not come from this server');

    // A code issued to another client, in this very browser.
    const webCallback = await signInAndConsent(agent, (await startAuthorization(await discoverTestClient(keyward.issuer))).url, { email: admin.email, password: ADMIN_PASSWORD });
    const foreign = await at({ code: webCallback.searchParams.get('code')!, state: await newState(agent), iss: keyward.issuer });
    expect(foreign.status).toBe(400);
    expect(refusals().slice(-2)).toEqual(['wrong_verifier', 'wrong_client']);
  });

  it('refuses a form without its CSRF token', async () => {
    const target = await createAdmin(keyward, 'csrf-target@example.com');
    const { html } = await consolePage(rootAgent, url(`/admin/users/${target.id}`));
    const response = await rootAgent.postForm(url(`/admin/users/${target.id}/disable`), { revision: revisionIn(html) });
    expect(response.status).toBe(403);
    expect((await keyward.running.container.stores.accounts.findById(target.id))!.disabled).toBe(false);
  });

  it('ends an admin\'s console at once when they are disabled, and audits the admin as the actor via the console', async () => {
    const target = await createAdmin(keyward, 'to-disable@example.com');
    const targetAgent = await openConsole(keyward, target);
    expect((await targetAgent.get(url('/admin/users'))).status).toBe(200);

    const disabled = await postFrom(rootAgent, `/admin/users/${target.id}`, `/admin/users/${target.id}/disable`);
    expect(disabled.status).toBe(303);
    expect((await consolePage(rootAgent, url(locationOf(disabled, keyward.issuer).pathname + locationOf(disabled, keyward.issuer).search))).html).toContain('disabled and signed out everywhere');
    await expectSignedOut(targetAgent);

    const { items } = await keyward.running.container.admin.audit.query({ event: 'admin_action', account_id: target.id }, { limit: 5 });
    expect(items[0]!.details).toMatchObject({ action: 'users.disable', actor: { kind: 'account', account_id: root.id, email: root.email, via: 'console' } });
  });

  it('answers 403 once an admin loses the role, and signs them out when their sessions are revoked', async () => {
    const demoted = await createAdmin(keyward, 'to-demote@example.com');
    const demotedAgent = await openConsole(keyward, demoted);
    const revoked = await createAdmin(keyward, 'to-revoke@example.com');
    const revokedAgent = await openConsole(keyward, revoked);

    expect((await postFrom(rootAgent, `/admin/users/${demoted.id}`, `/admin/users/${demoted.id}/roles`, { roles: 'support' })).status).toBe(303);
    const refused = await demotedAgent.get(url('/admin/users'));
    expect(refused.status).toBe(403);
    expect((await keyward.running.container.stores.accounts.findById(demoted.id))!.roles).toEqual(['support']);

    expect((await postFrom(rootAgent, `/admin/users/${revoked.id}`, `/admin/users/${revoked.id}/revoke-sessions`, {}, false)).status).toBe(303);
    await expectSignedOut(revokedAgent);
  });

  it('signs out of the console and of Keyward, then shows the signed-out page', async () => {
    const admin = await createAdmin(keyward, 'signs-out@example.com');
    const agent = await openConsole(keyward, admin);
    const { csrf } = await consolePage(agent, url('/admin'));
    const out = await agent.postForm(url('/admin/sign-out'), { _csrf: csrf });
    expect(locationOf(out, keyward.issuer).href).toBe(url('/admin/signed-out'));
    expect(await (await agent.get(url('/admin/signed-out'))).text()).toContain('Signed out of the admin console');
    await expectSignedOut(agent);
    // Keyward's browser session ended with it: the way back in is the sign-in page, not single sign-on.
    const authorize = locationOf(await agent.get(url('/admin')), keyward.issuer);
    expect(locationOf(await agent.get(authorize), keyward.issuer).pathname).toMatch(/^\/interaction\//);
    const account = (await keyward.running.container.stores.accounts.findByEmail(admin.email))!;
    expect(await keyward.running.container.stores.oidcRecords.listByAccountId('Session', account.id, 10)).toEqual([]);
  });

  it('shows a stale form as changed by someone else, and applies nothing', async () => {
    const target = await createAdmin(keyward, 'stale-target@example.com');
    const { html, csrf } = await consolePage(rootAgent, url(`/admin/users/${target.id}`));
    await keyward.running.container.admin.accounts.setRoles({ actor: { kind: 'cli', user: 'test' }, origin: {} }, target.id, ['admin', 'auditor']);
    const response = await rootAgent.postForm(url(`/admin/users/${target.id}/disable`), { _csrf: csrf, revision: revisionIn(html) });
    expect(response.status).toBe(412);
    const page = await response.text();
    expect(page).toContain('Someone else changed this since you opened the page.');
    expect(page).toContain('Reload the page');
    expect((await keyward.running.container.stores.accounts.findById(target.id))!.disabled).toBe(false);
  });

  it('shows a refusal with its problems on the page, never a 500', async () => {
    const { csrf } = await consolePage(rootAgent, url('/admin/clients/new'));
    const response = await rootAgent.postForm(url('/admin/clients'), { _csrf: csrf, kind: 'web', client_id: 'bad id!', redirect_uris: 'not a url' });
    expect(response.status).toBe(400);
    const page = await response.text();
    expect(page).toContain('This was not accepted');
    expect(page).toContain('client_id: must be 1-128 characters');
    expect((await rootAgent.get(url('/admin/users/no-such-user'))).status).toBe(404);
  });

  it('exports the filtered audit log as JSON lines', async () => {
    const response = await rootAgent.get(url('/admin/audit/export?event=admin_action'));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-disposition')).toMatch(/^attachment; filename="keyward-audit-[\d-]+\.jsonl"$/);
    const events = (await response.text()).trim().split('\n').map((line) => JSON.parse(line) as { event: string });
    expect(events.length).toBeGreaterThan(0);
    expect(new Set(events.map((e) => e.event))).toEqual(new Set(['admin_action']));
  });
});
