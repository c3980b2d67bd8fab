import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { latestLink, mailsTo } from '../helpers/mailbox.ts';
import { discoverTestClient, startAuthorization } from '../helpers/relying-party.ts';
import { SoftAuthenticator } from '../helpers/soft-authenticator.ts';
import { startTestKeyward, type TestKeyward } from '../helpers/test-server.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { csrfTokenIn, locationOf, signInAndConsent, UserAgent } from '../helpers/user-agent.ts';

/**
 * Pre-takeover through a passkey: where unverified accounts may sign in, the attacker registers
 * the victim's address, adds a passkey, and waits. When the victim proves the address (a reset),
 * the attacker's passkey must stop working: it signs in without any password.
 */
describe('pre-takeover through a passkey added before the owner proved the address', () => {
  let keyward: TestKeyward;
  const mail = tempDir('keyward-mail-');
  beforeAll(async () => {
    keyward = await startTestKeyward({ env: { MAIL_DIRECTORY: mail, REQUIRE_VERIFIED_EMAIL: 'false' } });
  });
  afterAll(async () => keyward?.stop());
  const url = (path: string) => `${keyward.issuer}${path}`;

  async function submit(agent: UserAgent, page: string, fields: Record<string, string>) {
    const csrf = csrfTokenIn(await (await agent.get(page)).text());
    const token = new URL(page).searchParams.get('token');
    return agent.postForm(page.split('?')[0]!, { _csrf: csrf, ...(token ? { token } : {}), ...fields });
  }

  async function passkeySignIn(authenticator: SoftAuthenticator) {
    const agent = new UserAgent();
    const rp = await discoverTestClient(keyward.issuer);
    const interaction = locationOf(await agent.get((await startAuthorization(rp)).url), keyward.issuer);
    const csrf = csrfTokenIn(await (await agent.get(interaction)).text());
    const options = await (await agent.postForm(`${keyward.issuer}${interaction.pathname}/passkey/options`, { _csrf: csrf })).json() as Parameters<SoftAuthenticator['authenticate']>[0];
    const response = await agent.postForm(`${keyward.issuer}${interaction.pathname}/passkey`, { _csrf: csrf, credential: JSON.stringify(authenticator.authenticate(options)) });
    return locationOf(response, keyward.issuer);
  }

  it('removes the attacker\'s passkey when the victim resets the password, and tells the victim', async () => {
    const victim = 'early-bird@example.com';
    const attacker = new UserAgent();
    await submit(attacker, url('/register'), { email: victim, password: 'the attacker typed this', name: '' });
    // The attacker signs in (unverified accounts may here) and adds a passkey of their own.
    const rp = await discoverTestClient(keyward.issuer);
    await signInAndConsent(attacker, (await startAuthorization(rp)).url, { email: victim, password: 'the attacker typed this' });
    const attackerKey = new SoftAuthenticator(keyward.issuer);
    const csrf = csrfTokenIn(await (await attacker.get(url('/account/security'))).text());
    const options = await (await attacker.postForm(url('/account/security/passkey/options'), { _csrf: csrf })).json() as Parameters<SoftAuthenticator['register']>[0];
    await attacker.postForm(url('/account/security/passkey'), { _csrf: csrf, name: 'mine now', credential: JSON.stringify(attackerKey.register(options)) });
    expect((await passkeySignIn(attackerKey)).pathname).not.toMatch(/^\/interaction\/[^/]+$/); // it works before

    // The victim proves the mailbox with a reset.
    await submit(new UserAgent(), url('/forgot-password'), { email: victim });
    await keyward.flushMail();
    const reset = await submit(new UserAgent(), latestLink(mail, victim, /Reset your/), { password: 'the victim chose this', password_confirmation: 'the victim chose this' });
    expect(reset.status).toBe(200);

    const after = await passkeySignIn(attackerKey);
    expect(after.pathname).toMatch(/^\/interaction\/[^/]+$/);
    expect(after.searchParams.get('passkey')).toBe('failed');
    const account = (await keyward.running.container.stores.accounts.findByEmail(victim))!;
    expect(await keyward.running.container.stores.authenticators.listForAccount(account.id)).toEqual([]);
    await keyward.flushMail();
    expect(mailsTo(mail, victim).some((m) => /passkey or authenticator app added to it/.test(m.text))).toBe(true);
  });
});
