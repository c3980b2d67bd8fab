import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { latestLink, mailsTo } from '../helpers/mailbox.ts';
import { discoverTestClient, startAuthorization } from '../helpers/relying-party.ts';
import { attemptSignIn } from '../helpers/sign-in-attempt.ts';
import { freePort, startTestKeyward, type TestKeyward } from '../helpers/test-server.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { startUpstreamProvider } from '../helpers/upstreams.ts';
import { csrfTokenIn, locationOf, UserAgent } from '../helpers/user-agent.ts';

/**
 * Account pre-takeover: the attacker creates or attaches to an account for the victim's address
 * before the victim arrives (by registration, or through an upstream that does not verify
 * email), and waits for the victim to bless it.
 */
async function startWithUpstream(env: Record<string, string>) {
  const port = await freePort();
  const google = await startUpstreamProvider(() => `http://127.0.0.1:${port}/federation/callback/google`);
  const mail = tempDir('keyward-mail-');
  const keyward = await startTestKeyward({ port, env: { MAIL_DIRECTORY: mail, GOOGLE_CLIENT_ID: google.client.id, GOOGLE_CLIENT_SECRET: google.client.secret, GOOGLE_ISSUER: google.issuer, ...env } });
  return { keyward, google, mail };
}

/** A fresh browser signs in through the upstream as `sub`; returns Keyward's answer to the callback. */
async function federatedSignIn(keyward: TestKeyward, google: Awaited<ReturnType<typeof startUpstreamProvider>>, sub: string) {
  google.state.signInAs = sub;
  const agent = new UserAgent();
  const login = locationOf(await agent.get((await startAuthorization(await discoverTestClient(keyward.issuer))).url), keyward.issuer);
  let response = await agent.postForm(`${login}/federated/google`, { _csrf: csrfTokenIn(await (await agent.get(login)).text()) });
  for (let hop = 0; hop < 10 && [302, 303].includes(response.status); hop += 1) {
    const next = locationOf(response, response.url || keyward.issuer);
    response = await agent.get(next);
    if (next.pathname.startsWith('/federation/callback/')) return response;
  }
  throw new Error('never came back from the upstream');
}

/** A password sign-in in a fresh browser; 303 means signed in. */
const passwordSignIn = (keyward: TestKeyward, email: string, password: string) => attemptSignIn(keyward.issuer, { email, password });

async function submit(keyward: TestKeyward, url: string, fields: Record<string, string>) {
  const agent = new UserAgent();
  const csrf = csrfTokenIn(await (await agent.get(url)).text());
  // Link pages (reset, confirmation) carry their token in a hidden field, as the browser would post it.
  const token = new URL(url).searchParams.get('token');
  const response = await agent.postForm(url.split('?')[0]!, { _csrf: csrf, ...(token ? { token } : {}), ...fields });
  return { status: response.status, html: await response.text() };
}

describe('pre-takeover through an upstream that does not verify email', () => {
  it('creates no account for an unverified upstream email where verified emails are required', async () => {
    const { keyward, google } = await startWithUpstream({});
    try {
      google.people.set('g-attacker', { sub: 'g-attacker', email: 'victim@example.com', email_verified: false });
      const answer = await federatedSignIn(keyward, google, 'g-attacker');
      expect(answer.status).toBe(400);
      expect(await keyward.running.container.stores.accounts.findByEmail('victim@example.com')).toBeUndefined();
    } finally {
      await keyward.stop();
      await google.close();
    }
  });

  it('drops the attacker\'s link when the victim proves the address with a reset, and tells the victim', async () => {
    const { keyward, google, mail } = await startWithUpstream({ REQUIRE_VERIFIED_EMAIL: 'false' });
    try {
      google.people.set('g-attacker', { sub: 'g-attacker', email: 'victim@example.com', email_verified: false });
      expect((await federatedSignIn(keyward, google, 'g-attacker')).status).toBe(303);
      // The victim arrives, uses "forgot password" on their own address and chooses a password.
      await submit(keyward, `${keyward.issuer}/forgot-password`, { email: 'victim@example.com' });
      await keyward.flushMail();
      const reset = await submit(keyward, latestLink(mail, 'victim@example.com', /Reset your/), { password: 'the victim chose this one', password_confirmation: 'the victim chose this one' });
      expect(reset.status).toBe(200);
      const account = await keyward.running.container.stores.accounts.findByEmail('victim@example.com');
      expect(account?.emailVerified).toBe(true);
      expect(await keyward.running.container.stores.federatedIdentities.listForAccount(account!.id)).toEqual([]);
      // The attacker's upstream no longer reaches the account.
      expect((await federatedSignIn(keyward, google, 'g-attacker')).status).toBe(400);
      await keyward.flushMail();
      expect(mailsTo(mail, 'victim@example.com').map((m) => m.subject)).toContain('Your Keyward account is now confirmed');
      expect(await passwordSignIn(keyward, 'victim@example.com', 'the victim chose this one')).toBe(303);
    } finally {
      await keyward.stop();
      await google.close();
    }
  });

  it('answers an unverified upstream email the same whether or not an account has it (no enumeration)', async () => {
    const { keyward, google } = await startWithUpstream({});
    try {
      google.people.set('g-probe-taken', { sub: 'g-probe-taken', email: 'demo@keyward.test', email_verified: false });
      google.people.set('g-probe-free', { sub: 'g-probe-free', email: 'nobody-here@example.com', email_verified: false });
      const taken = await federatedSignIn(keyward, google, 'g-probe-taken');
      const free = await federatedSignIn(keyward, google, 'g-probe-free');
      expect([taken.status, free.status]).toEqual([400, 400]);
      const message = (html: string) => /<p[^>]*>([^<]*does not confirm[^<]*)<\/p>/.exec(html)?.[1];
      const shown = message(await taken.text());
      expect(shown).toMatch(/does not confirm/);
      expect(message(await free.text())).toBe(shown);
    } finally {
      await keyward.stop();
      await google.close();
    }
  });

  it('takes a CR/LF-laden upstream email for no email at all (no header injection)', async () => {
    const { keyward, google } = await startWithUpstream({ REQUIRE_VERIFIED_EMAIL: 'false' });
    try {
      google.people.set('g-injector', { sub: 'g-injector', email: 'a@x.example\r\nbcc: evil@attacker.example', email_verified: true });
      expect((await federatedSignIn(keyward, google, 'g-injector')).status).toBe(400);
      expect(await keyward.running.container.stores.federatedIdentities.find('google', 'g-injector')).toBeUndefined();
    } finally {
      await keyward.stop();
      await google.close();
    }
  });
});

describe('pre-takeover through registration', () => {
  let keyward: TestKeyward;
  const mail = tempDir('keyward-mail-');
  beforeAll(async () => {
    keyward = await startTestKeyward({ env: { MAIL_DIRECTORY: mail } });
  });
  afterAll(async () => keyward?.stop());

  it('never lets a confirmation bless the password an attacker chose', async () => {
    const victim = 'prey@example.com';
    await submit(keyward, `${keyward.issuer}/register`, { email: victim, password: 'attacker chose this', name: '' });
    await keyward.flushMail();
    // The victim opens the confirmation the attacker's registration sent to their mailbox.
    const verifyLink = latestLink(mail, victim, /Confirm your email/);
    const confirmed = await submit(keyward, verifyLink, { password: 'the victim guesses' });
    expect(confirmed.status).toBe(400);
    expect((await keyward.running.container.stores.accounts.findByEmail(victim))?.emailVerified).toBe(false);

    // The victim registers the same address: the mail offers to choose a password, not to confirm.
    await submit(keyward, `${keyward.issuer}/register`, { email: victim, password: 'the victim chose this', name: '' });
    await keyward.flushMail();
    const exists = mailsTo(mail, victim).filter((m) => /already have/.test(m.subject)).at(-1)!;
    expect(exists.link).toMatch(/\/reset-password\?token=/);
    const set = await submit(keyward, exists.link!, { password: 'the victim chose this', password_confirmation: 'the victim chose this' });
    expect(set.status).toBe(200);

    expect(await passwordSignIn(keyward, victim, 'attacker chose this')).toBe(401);
    expect(await passwordSignIn(keyward, victim, 'the victim chose this')).toBe(303);
    expect((await keyward.running.container.stores.accounts.findByEmail(victim))?.emailVerified).toBe(true);
  });

  it('ends a sign-in held half-way when the owner resets the password (no code after the reset)', async () => {
    await submit(keyward, `${keyward.issuer}/register`, { email: 'held@example.com', password: 'the old shared password', name: '' });
    await keyward.flushMail();
    const link = latestLink(mail, 'held@example.com', /Confirm your email/);
    expect((await submit(keyward, link, { password: 'the old shared password' })).status).toBe(200);
    // The attacker knows the old password, signs in, and stops before going back to /auth.
    const attacker = new UserAgent();
    const login = locationOf(await attacker.get((await startAuthorization(await discoverTestClient(keyward.issuer))).url), keyward.issuer);
    const csrf = csrfTokenIn(await (await attacker.get(login)).text());
    const held = await attacker.postForm(`${login}/login`, { _csrf: csrf, email: 'held@example.com', password: 'the old shared password' });
    expect(held.status).toBe(303);
    // The owner resets the password.
    await submit(keyward, `${keyward.issuer}/forgot-password`, { email: 'held@example.com' });
    await keyward.flushMail();
    const reset = await submit(keyward, latestLink(mail, 'held@example.com', /Reset your/), { password: 'the owner chose anew', password_confirmation: 'the owner chose anew' });
    expect(reset.status).toBe(200);
    // The held sign-in leads nowhere: through consent too, no redirect to the client with a code.
    let next = locationOf(held, keyward.issuer);
    for (let hop = 0; hop < 8 && next.origin === keyward.issuer; hop += 1) {
      const response = await attacker.get(next);
      if ([302, 303].includes(response.status)) {
        next = locationOf(response, keyward.issuer);
        continue;
      }
      const html = await response.text();
      if (response.status !== 200 || !html.includes('/consent"')) break;
      next = locationOf(await attacker.postForm(`${next.pathname}/consent`.replace(/^/, keyward.issuer), { _csrf: csrfTokenIn(html) }), keyward.issuer);
    }
    expect(next.searchParams.get('code')).toBeNull();
  });

  it('confirms the email of whoever registered, with the password they chose', async () => {
    await submit(keyward, `${keyward.issuer}/register`, { email: 'honest@example.com', password: 'my own long password', name: '' });
    await keyward.flushMail();
    const link = latestLink(mail, 'honest@example.com', /Confirm your email/);
    const confirmed = await submit(keyward, link, { password: 'my own long password' });
    expect(confirmed.status).toBe(200);
    expect(confirmed.html).toContain('Email confirmed');
    expect(await passwordSignIn(keyward, 'honest@example.com', 'my own long password')).toBe(303);
  });
});
