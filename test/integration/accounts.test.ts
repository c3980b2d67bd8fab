import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type * as oidc from 'openid-client';
import { hashToken } from '../../src/lib/ids.ts';
import { FakeClock } from '../helpers/fake-clock.ts';
import { latestLink, mailsTo } from '../helpers/mailbox.ts';
import { completeCodeFlow, discoverTestClient } from '../helpers/relying-party.ts';
import { postAsClient, startTestKeyward, TEST_WEB_CLIENT, type TestKeyward } from '../helpers/test-server.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { csrfTokenIn, UserAgent } from '../helpers/user-agent.ts';

/** The account pages over HTTP: CSRF, no user enumeration, throttling, single-use links, revocation after reset. */
describe('account pages', () => {
  let keyward: TestKeyward;
  let rp: oidc.Configuration;
  const clock = new FakeClock(Date.now());
  const mail = tempDir('keyward-mail-');

  beforeAll(async () => {
    keyward = await startTestKeyward({ clock, env: { MAIL_DIRECTORY: mail, REQUIRE_VERIFIED_EMAIL: 'false', THROTTLE_REQUESTS_PER_EMAIL: '3', THROTTLE_REQUESTS_PER_IP: '1000' } });
    rp = await discoverTestClient(keyward.issuer);
  });
  afterAll(async () => keyward?.stop());

  const url = (path: string) => `${keyward.issuer}${path}`;
  /** Opens a form page and posts it with its CSRF token (or without, when `csrf` is false). */
  const submit = async (path: string, fields: Record<string, string>, options: { csrf?: boolean; agent?: UserAgent } = {}) => {
    const agent = options.agent ?? new UserAgent();
    const page = await agent.get(url(path));
    const csrf = csrfTokenIn(await page.text());
    const response = await agent.postForm(url(path.split('?')[0]!), options.csrf === false ? fields : { _csrf: csrf, ...fields });
    return { status: response.status, html: await response.text(), headers: response.headers };
  };
  /** The page without what differs between any two renderings (request id, CSRF token). */
  const normalise = (html: string) => html.replace(/value="[^"]*"/g, '').replace(/<code>[^<]*<\/code>/g, '');

  it('refuses every account form without the CSRF token', async () => {
    for (const path of ['/register', '/forgot-password']) {
      const response = await submit(path, { email: 'x@example.com', password: 'long enough password' }, { csrf: false });
      expect(response.status).toBe(403);
    }
  });

  it('answers a registration for a taken email exactly like a new one, and mails the owner instead', async () => {
    const fresh = await submit('/register', { email: 'new-person@example.com', password: 'a perfectly fine passphrase' });
    const taken = await submit('/register', { email: 'demo@keyward.test', password: 'a perfectly fine passphrase' });
    expect(fresh.status).toBe(200);
    expect(taken.status).toBe(200);
    expect(normalise(taken.html).replace('demo@keyward.test', 'X')).toBe(normalise(fresh.html).replace('new-person@example.com', 'X'));
    await keyward.flushMail();
    expect(mailsTo(mail, 'demo@keyward.test').map((m) => m.subject)).toContain('You already have a Keyward account');
    expect(mailsTo(mail, 'new-person@example.com').map((m) => m.subject)).toContain('Confirm your email for Keyward');
  });

  it('refuses short and common passwords at registration, next to the field', async () => {
    const short = await submit('/register', { email: 'a@example.com', password: 'short' });
    expect(short.status).toBe(400);
    expect(short.html).toContain('Use at least 8 characters.');
    const common = await submit('/register', { email: 'a@example.com', password: 'iloveyou1' });
    expect(common.html).toContain('too common');
    expect(common.html).toContain('aria-invalid="true"');
  });

  it('creates exactly one account when the same email registers many times at once', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, () => submit('/register', { email: 'Race@Example.com', password: 'a perfectly fine passphrase' })));
    expect(results.every((r) => r.status === 200 || r.status === 429)).toBe(true);
    const accounts = await keyward.running.container.stores.audit.list({ event: 'registration', limit: 100 });
    const created = accounts.filter((e) => e.outcome === 'success' && e.accountId);
    const raceAccount = await keyward.running.container.stores.accounts.findByEmail('race@example.com');
    expect(raceAccount).toBeDefined();
    expect(created.filter((e) => e.accountId === raceAccount!.id)).toHaveLength(1);
  });

  it('answers a reset request identically whether or not the email has an account', async () => {
    const known = await submit('/forgot-password', { email: 'demo@keyward.test' });
    const unknown = await submit('/forgot-password', { email: 'nobody-here@example.com' });
    expect(known.status).toBe(unknown.status);
    expect(normalise(known.html).replace('demo@keyward.test', 'X')).toBe(normalise(unknown.html).replace('nobody-here@example.com', 'X'));
    await keyward.flushMail();
    expect(mailsTo(mail, 'nobody-here@example.com')).toHaveLength(0);
  });

  it('throttles reset requests per email with 429 and Retry-After, and audits it', async () => {
    const email = 'throttled@example.com';
    const answers = [];
    for (let i = 0; i < 4; i += 1) answers.push(await submit('/forgot-password', { email }));
    expect(answers.slice(0, 3).map((a) => a.status)).toEqual([200, 200, 200]);
    expect(answers[3]!.status).toBe(429);
    expect(Number(answers[3]!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(answers[3]!.html).toContain('Too many attempts');
    const blocked = await keyward.running.container.stores.audit.list({ event: 'password_reset_request', limit: 20 });
    expect(blocked.some((e) => e.outcome === 'blocked')).toBe(true);
  });

  it('resets a password with a single-use link, then ends every session and refresh token of the account', async () => {
    const agent = new UserAgent();
    const tokens = await completeCodeFlow(rp, { agent });
    await submit('/forgot-password', { email: 'demo@keyward.test' });
    await keyward.flushMail();
    const link = new URL(latestLink(mail, 'demo@keyward.test', /Reset your/));
    const path = `${link.pathname}${link.search}`;
    const done = await submit(path, { token: link.searchParams.get('token')!, password: 'the new demo passphrase', password_confirmation: 'the new demo passphrase' });
    expect(done.html).toContain('Password changed');
    // Refresh token and browser session are gone; the link cannot be used again.
    expect((await postAsClient(url('/token'), TEST_WEB_CLIENT, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! })).json.error).toBe('invalid_grant');
    const again = await agent.get(url('/auth?client_id=test-web&response_type=code&scope=openid&redirect_uri=http%3A%2F%2Flocalhost%3A8080%2Fcallback&code_challenge=' + 'a'.repeat(43) + '&code_challenge_method=S256'));
    expect(again.headers.get('location')).toMatch(/^\/interaction\//);
    expect((await new UserAgent().get(link)).status).toBe(400);
    const audit = await keyward.running.container.stores.audit.list({ event: 'password_reset', limit: 5 });
    expect(audit[0]).toMatchObject({ outcome: 'success', details: { revokedRecords: expect.any(Number) } });
    expect((audit[0]!.details as { revokedRecords: number }).revokedRecords).toBeGreaterThanOrEqual(3);
  });

  it('expires reset links after 30 minutes and verification links after their lifetime', async () => {
    await submit('/forgot-password', { email: 'new-person@example.com' });
    await keyward.flushMail();
    const reset = latestLink(mail, 'new-person@example.com', /Reset your/);
    const verify = latestLink(mail, 'new-person@example.com', /Confirm your email/);
    clock.advance(30 * 60 * 1000);
    expect((await new UserAgent().get(reset)).status).toBe(400);
    expect((await new UserAgent().get(verify)).status).toBe(200);
    clock.advance(24 * 3600 * 1000);
    expect((await new UserAgent().get(verify)).status).toBe(400);
  });

  it('stores only a hash of each link token', async () => {
    await submit('/forgot-password', { email: 'race@example.com' });
    await keyward.flushMail();
    const token = new URL(latestLink(mail, 'Race@Example.com', /Reset your/)).searchParams.get('token')!;
    expect(token).toMatch(/^[\w-]{43}$/);
    expect(await keyward.running.container.stores.oneTimeTokens.ownerOf(token, 'reset_password')).toBeUndefined();
    expect(await keyward.running.container.stores.oneTimeTokens.ownerOf(hashToken(token), 'reset_password')).toBeDefined();
  });
});
