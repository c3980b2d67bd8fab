import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type * as oidc from 'openid-client';
import { ageSessions } from '../helpers/mfa-flow.ts';
import { latestLink, mailsTo } from '../helpers/mailbox.ts';
import { completeCodeFlow, discoverTestClient } from '../helpers/relying-party.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { startTestKeyward, type TestKeyward } from '../helpers/test-server.ts';
import { csrfTokenIn, UserAgent } from '../helpers/user-agent.ts';
import { createVerifiedAccount } from '../helpers/accounts.ts';

const PASSWORD = 'correct horse battery staple 42';

/**
 * The email change's undo link is "the owner's way back if a stolen session made the change"
 * (email-change.service.ts). Here the thief holds a fresh session of the victim's account and
 * mailboxes of their own; each case ends with the victim having used the undo link, and checks
 * that the thief does not get the account back.
 */
describe('account center: email change undo against a session thief', () => {
  let keyward: TestKeyward;
  let rp: oidc.Configuration;
  const mail = tempDir('keyward-mail-');

  beforeAll(async () => {
    keyward = await startTestKeyward({ env: { MAIL_DIRECTORY: mail } });
    rp = await discoverTestClient(keyward.issuer);
  });
  afterAll(async () => keyward?.stop());

  const url = (path: string) => `${keyward.issuer}${path}`;
  const accounts = () => keyward.running.container.stores.accounts;
  async function createAccount(email: string) {
    return await createVerifiedAccount(keyward, email, PASSWORD);
  }
  async function signIn(email: string, agent = new UserAgent()) {
    await completeCodeFlow(rp, { agent, credentials: { email, password: PASSWORD } });
    return agent;
  }
  const requestChange = async (agent: UserAgent, email: string) => {
    const csrf = csrfTokenIn(await (await agent.get(url('/account'))).text());
    expect((await agent.postForm(url('/account/email'), { _csrf: csrf, email })).status).toBe(200);
    await keyward.flushMail();
  };
  /** Opens a mailed link in a fresh browser and presses its button, as the page offers. */
  const usePostedLink = async (link: string) => {
    const agent = new UserAgent();
    const form = await (await agent.get(link)).text();
    const response = await agent.postForm(link.split('?')[0]!, { _csrf: csrfTokenIn(form), token: new URL(link).searchParams.get('token')! });
    return response.status;
  };
  const confirmLinks = (to: string) => mailsTo(mail, to).filter((m) => /Confirm your new email/.test(m.subject)).map((m) => m.link!);
  const undoLink = (to: string) => latestLink(mail, to, /email of your .* account changed/);

  it('a second confirmation link, requested before the undo, does not move the account again after it', async () => {
    const account = await createAccount('undo-a@example.com');
    const thief = await signIn('undo-a@example.com');
    await requestChange(thief, 'thief-a@evil.example');
    await requestChange(thief, 'thief-a@evil.example'); // a spare link, kept for later
    const [first, spare] = confirmLinks('thief-a@evil.example');
    // One pending change per account: the newer request made the first link stop working.
    expect(await usePostedLink(first!)).toBe(400);
    expect(await usePostedLink(spare!)).toBe(200);
    await keyward.flushMail();
    // The owner takes it back: the address again, and everyone signed out.
    expect(await usePostedLink(undoLink('undo-a@example.com'))).toBe(200);
    expect((await accounts().findById(account.id))!.email).toBe('undo-a@example.com');
    // The thief's spare link, for the change from the address the account has again:
    await usePostedLink(spare!);
    expect((await accounts().findById(account.id))!.email).toBe('undo-a@example.com');
  });

  it('no later change (whose undo link would go to the thief\'s address) is made while the owner\'s undo link is live', async () => {
    const account = await createAccount('undo-b@example.com');
    const thief = await signIn('undo-b@example.com');
    await requestChange(thief, 'thief-b1@evil.example');
    expect(await usePostedLink(confirmLinks('thief-b1@evil.example').at(-1)!)).toBe(200);
    await keyward.flushMail();
    // A second change from the same (still recent) session would send its undo link to the
    // thief's first address: no change is made while the owner's undo link is live.
    const csrf = csrfTokenIn(await (await thief.get(url('/account'))).text());
    expect((await thief.postForm(url('/account/email'), { _csrf: csrf, email: 'thief-b2@evil.example' })).status).toBe(409);
    await keyward.flushMail();
    expect(confirmLinks('thief-b2@evil.example')).toEqual([]);
    expect(mailsTo(mail, 'thief-b1@evil.example').filter((m) => /email of your .* account changed/.test(m.subject))).toEqual([]);
    expect(await usePostedLink(undoLink('undo-b@example.com'))).toBe(200);
    expect((await accounts().findById(account.id))!.email).toBe('undo-b@example.com');
  });

  it('registering the old address while it is free does not defeat the owner\'s undo', async () => {
    const account = await createAccount('undo-c@example.com');
    const thief = await signIn('undo-c@example.com');
    await requestChange(thief, 'thief-c@evil.example');
    expect(await usePostedLink(confirmLinks('thief-c@evil.example').at(-1)!)).toBe(200);
    await keyward.flushMail();
    // The victim's address is free now: anyone may register it (unverified; no mailbox needed).
    const registrar = new UserAgent();
    const csrf = csrfTokenIn(await (await registrar.get(url('/register'))).text());
    await registrar.postForm(url('/register'), { _csrf: csrf, email: 'undo-c@example.com', password: 'squatting on the old address', name: '' });
    expect(await accounts().findByEmail('undo-c@example.com')).toBeDefined();
    await usePostedLink(undoLink('undo-c@example.com'));
    // The owner's way back must still work, and must end the thief's session.
    expect((await accounts().findById(account.id))!.email).toBe('undo-c@example.com');
    expect((await thief.get(url('/account'))).status).toBe(401);
  });
});

describe('account center: password change gate', () => {
  let keyward: TestKeyward;
  let rp: oidc.Configuration;

  beforeAll(async () => {
    keyward = await startTestKeyward();
    rp = await discoverTestClient(keyward.issuer);
  });
  afterAll(async () => keyward?.stop());

  it('a stale session of an account without a password (federated-only) cannot set one', async () => {
    const { container } = keyward.running;
    const account = await createVerifiedAccount(keyward, 'fed-only@example.com', PASSWORD);
    const agent = new UserAgent();
    await completeCodeFlow(rp, { agent, credentials: { email: 'fed-only@example.com', password: PASSWORD } });
    // As if the account had only ever signed in through an upstream: no password.
    const { DatabaseSync } = await import('node:sqlite');
    const db = new DatabaseSync(keyward.databaseFile);
    try {
      db.prepare('UPDATE accounts SET password_hash = NULL WHERE id = ?').run(account.id);
    } finally {
      db.close();
    }
    // A browser left signed in a day ago (or a stolen cookie): not a recent authentication.
    await ageSessions(keyward, 'fed-only@example.com', 24 * 3600);
    const page = await (await agent.get(`${keyward.issuer}/account/password`)).text();
    const response = await agent.postForm(`${keyward.issuer}/account/password`, {
      _csrf: csrfTokenIn(page), current_password: '', password: 'the thief now has a way in', password_confirmation: 'the thief now has a way in', end_other_sessions: 'yes',
    });
    expect(response.headers.get('location')).toBe('/account/reauthenticate');
    expect((await container.stores.accounts.findById(account.id))!.passwordHash).toBeUndefined();
  });
});
