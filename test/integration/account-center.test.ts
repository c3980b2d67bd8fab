import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type * as oidc from 'openid-client';
import { ageSessions, passwordStep } from '../helpers/mfa-flow.ts';
import { latestLink, mailsTo } from '../helpers/mailbox.ts';
import { completeCodeFlow, discoverTestClient, startAuthorization } from '../helpers/relying-party.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { postAsClient, startTestKeyward, TEST_WEB_CLIENT, type TestKeyward } from '../helpers/test-server.ts';
import { csrfTokenIn, UserAgent } from '../helpers/user-agent.ts';
import { createVerifiedAccount } from '../helpers/accounts.ts';

const PASSWORD = 'correct horse battery staple 42';

/** The account center over HTTP: every section, its gates, and what each change ends or tells. */
describe('account center', () => {
  let keyward: TestKeyward;
  let rp: oidc.Configuration;
  const mail = tempDir('keyward-mail-');

  beforeAll(async () => {
    keyward = await startTestKeyward({ env: { MAIL_DIRECTORY: mail } });
    rp = await discoverTestClient(keyward.issuer);
  });
  afterAll(async () => keyward?.stop());

  const url = (path: string) => `${keyward.issuer}${path}`;
  async function createAccount(email: string) {
    return await createVerifiedAccount(keyward, email, PASSWORD);
  }
  /** A browser signed in to the test app (a session, a grant, tokens); its tokens. */
  async function signIn(email: string, agent = new UserAgent(), password = PASSWORD) {
    const tokens = await completeCodeFlow(rp, { scope: 'openid offline_access', agent, credentials: { email, password } });
    return { agent, tokens };
  }
  const csrfOf = async (agent: UserAgent, path = '/account') => csrfTokenIn(await (await agent.get(url(path))).text());

  it('shows the sections to a signed-in person, and nothing to anyone else', async () => {
    await createAccount('center@example.com');
    const { agent } = await signIn('center@example.com');
    const page = await (await agent.get(url('/account'))).text();
    for (const link of ['/account/security', '/account/password', '/account/sessions', '/account/apps', '/account/data.json', '/account/delete']) expect(page).toContain(`href="${link}"`);
    const stranger = await new UserAgent().get(url('/account/sessions'));
    expect(stranger.status).toBe(401);
  });

  it('saves the profile after a recent sign-in, refuses a picture that is not https, and asks again when the sign-in is old', async () => {
    await createAccount('profile@example.com');
    const { agent } = await signIn('profile@example.com');
    const csrf = await csrfOf(agent);
    const bad = await agent.postForm(url('/account/profile'), { _csrf: csrf, name: 'Ada', picture: 'javascript:alert(1)' });
    expect(bad.status).toBe(400);
    expect((await agent.postForm(url('/account/profile'), { _csrf: csrf, name: 'Ada Lovelace', picture: 'https://img.example/ada.png' })).status).toBe(303);
    expect(await keyward.running.container.stores.accounts.findByEmail('profile@example.com')).toMatchObject({ name: 'Ada Lovelace', picture: 'https://img.example/ada.png' });
    await ageSessions(keyward, 'profile@example.com', 3600);
    const stale = await agent.postForm(url('/account/profile'), { _csrf: csrf, name: 'Mallory' });
    expect(stale.headers.get('location')).toBe('/account/reauthenticate');
  });

  it('changes the password with the current one, signs the other sessions out, and mails the owner', async () => {
    await createAccount('password@example.com');
    const { agent } = await signIn('password@example.com');
    const other = await signIn('password@example.com');
    const csrf = await csrfOf(agent, '/account/password');
    const wrong = await agent.postForm(url('/account/password'), { _csrf: csrf, current_password: 'not it at all', password: 'a whole new passphrase', password_confirmation: 'a whole new passphrase', end_other_sessions: 'yes' });
    expect(wrong.status).toBe(401);
    const changed = await agent.postForm(url('/account/password'), { _csrf: csrf, current_password: PASSWORD, password: 'a whole new passphrase', password_confirmation: 'a whole new passphrase', end_other_sessions: 'yes' });
    expect(changed.status).toBe(303);
    expect((await other.agent.get(url('/account'))).status).toBe(401);
    expect((await agent.get(url('/account'))).status).toBe(200);
    await keyward.flushMail();
    expect(mailsTo(mail, 'password@example.com').some((m) => /password of your account was changed, and 1 other session was signed out/.test(m.text))).toBe(true);
  });

  it('lists sessions with their browser and signs one out, with the app access it gave', async () => {
    await createAccount('sessions@example.com');
    const { agent } = await signIn('sessions@example.com');
    const firefox = new UserAgent((input, init) => fetch(input, { ...init, headers: { ...Object.fromEntries(new Headers(init.headers)), 'user-agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:140.0) Gecko/20100101 Firefox/140.0' } }));
    const stolen = await signIn('sessions@example.com', firefox);
    const page = await (await agent.get(url('/account/sessions'))).text();
    expect(page).toContain('Firefox on Windows');
    expect(page).toContain('this device');
    const id = /name="session" value="([^"]+)"/.exec(page)![1]!;
    expect((await agent.postForm(url('/account/sessions/sign-out'), { _csrf: csrfTokenIn(page), session: id })).status).toBe(303);
    expect((await firefox.get(url('/account'))).status).toBe(401);
    expect((await agent.get(url('/account'))).status).toBe(200);
    // What an app got through that session ends with it: a refresh token taken with it stops working.
    expect((await postAsClient(url('/token'), TEST_WEB_CLIENT, { grant_type: 'refresh_token', refresh_token: stolen.tokens.refresh_token! })).json.error).toBe('invalid_grant');
  });

  it('lists connected apps and revokes one: its refresh tokens from every browser stop working; another account\'s access stays', async () => {
    await createAccount('apps@example.com');
    await createAccount('bystander@example.com');
    const { agent, tokens } = await signIn('apps@example.com');
    const bystander = await signIn('bystander@example.com');
    const page = await (await agent.get(url('/account/apps'))).text();
    expect(page).toContain(TEST_WEB_CLIENT.client_id);
    // Signed in from a second browser too: its own grant, revoked with the app all the same.
    const second = await signIn('apps@example.com');
    expect(page.match(/name="client" value=/g)).toHaveLength(1);
    await agent.postForm(url('/account/apps/revoke'), { _csrf: csrfTokenIn(page), client: TEST_WEB_CLIENT.client_id });
    // Revoking names the account's own grants only: the bystander's app access stays.
    expect((await postAsClient(url('/token'), TEST_WEB_CLIENT, { grant_type: 'refresh_token', refresh_token: bystander.tokens.refresh_token! })).status).toBe(200);
    for (const refresh of [tokens.refresh_token!, second.tokens.refresh_token!]) {
      expect((await postAsClient(url('/token'), TEST_WEB_CLIENT, { grant_type: 'refresh_token', refresh_token: refresh })).json.error).toBe('invalid_grant');
    }
  });

  it('changes the email once the new address confirms, tells the old one, and lets it undo', async () => {
    await createAccount('old-address@example.com');
    const { agent } = await signIn('old-address@example.com');
    expect((await agent.postForm(url('/account/email'), { _csrf: await csrfOf(agent), email: 'new-address@example.com' })).status).toBe(200);
    await keyward.flushMail();
    const confirmLink = latestLink(mail, 'new-address@example.com', /Confirm your new email/);
    const opened = new UserAgent();
    const form = await (await opened.get(confirmLink)).text();
    expect(await keyward.running.container.stores.accounts.findByEmail('new-address@example.com')).toBeUndefined(); // opening the link changes nothing
    const confirmed = await opened.postForm(url('/account/email/confirm'), { _csrf: csrfTokenIn(form), token: new URL(confirmLink).searchParams.get('token')! });
    expect(confirmed.status).toBe(200);
    expect(await keyward.running.container.stores.accounts.findByEmail('new-address@example.com')).toBeDefined();
    await keyward.flushMail();
    const undoLink = latestLink(mail, 'old-address@example.com', /email of your .* account changed/);
    const undoForm = await (await opened.get(undoLink)).text();
    expect((await opened.postForm(url('/account/email/undo'), { _csrf: csrfTokenIn(undoForm), token: new URL(undoLink).searchParams.get('token')! })).status).toBe(200);
    expect(await keyward.running.container.stores.accounts.findByEmail('old-address@example.com')).toBeDefined();
    expect((await agent.get(url('/account'))).status).toBe(401); // undo signs everyone out
  });

  it('answers a change to a taken address like any other, and mails that address instead of a link', async () => {
    await createAccount('wants-move@example.com');
    await createAccount('taken@example.com');
    const { agent } = await signIn('wants-move@example.com');
    const response = await agent.postForm(url('/account/email'), { _csrf: await csrfOf(agent), email: 'TAKEN@example.com' });
    expect(response.status).toBe(200);
    await keyward.flushMail();
    expect(mailsTo(mail, 'TAKEN@example.com').some((m) => /already has a/.test(m.subject) && !m.link)).toBe(true);
  });

  it('exports the person\'s data without secrets', async () => {
    const account = await createAccount('export@example.com');
    const { agent } = await signIn('export@example.com');
    const response = await agent.get(url('/account/data.json'));
    expect(response.headers.get('content-disposition')).toContain('attachment');
    const data = await response.json() as { profile: { id: string }; sessions: unknown[]; connectedApps: { clientId: string }[]; auditEvents: { event: string }[] };
    expect(data.profile.id).toBe(account.id);
    expect(data.sessions.length).toBeGreaterThan(0);
    expect(data.connectedApps[0]!.clientId).toBe(TEST_WEB_CLIENT.client_id);
    expect(data.auditEvents.some((e) => e.event === 'sign_in')).toBe(true);
    expect(JSON.stringify(data)).not.toMatch(/argon2|passwordHash|secret/i);
  });

  it('deletes the account only with the typed confirmation: everything ends, sign-in fails, the owner is told', async () => {
    await createAccount('leaving@example.com');
    const { agent, tokens } = await signIn('leaving@example.com');
    const csrf = await csrfOf(agent, '/account/delete');
    expect((await agent.postForm(url('/account/delete'), { _csrf: csrf, confirm: 'yes' })).status).toBe(400);
    expect((await agent.postForm(url('/account/delete'), { _csrf: csrf, confirm: 'Leaving@Example.com' })).status).toBe(200);
    expect(await keyward.running.container.stores.accounts.findByEmail('leaving@example.com')).toBeUndefined();
    expect((await postAsClient(url('/token'), TEST_WEB_CLIENT, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! })).json.error).toBe('invalid_grant');
    const again = await passwordStep(new UserAgent(), (await startAuthorization(rp)).url, { email: 'leaving@example.com', password: PASSWORD });
    expect(again.response.status).toBe(401);
    await keyward.flushMail();
    expect(mailsTo(mail, 'leaving@example.com').some((m) => /account was deleted/.test(m.text))).toBe(true);
  });
});
