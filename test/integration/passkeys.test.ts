import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import * as oidc from 'openid-client';
import { ACR_MULTI_FACTOR } from '../../src/services/mfa/mfa-policy.ts';
import { ageSessions, enrolTotp, nextCode, passwordStep } from '../helpers/mfa-flow.ts';
import { mailsTo } from '../helpers/mailbox.ts';
import { completeCodeFlow, discoverTestClient, redeem, startAuthorization } from '../helpers/relying-party.ts';
import { SoftAuthenticator } from '../helpers/soft-authenticator.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { startTestKeyward, type TestKeyward } from '../helpers/test-server.ts';
import { csrfTokenIn, locationOf, signInAndConsent, UserAgent } from '../helpers/user-agent.ts';
import { createVerifiedAccount } from '../helpers/accounts.ts';

const PASSWORD = 'correct horse battery staple 42';

/** Passkeys over HTTP with a software authenticator: registration, passwordless sign-in, second factor. */
describe('passkeys', () => {
  let keyward: TestKeyward;
  let rp: oidc.Configuration;
  const mail = tempDir('keyward-mail-');

  beforeAll(async () => {
    keyward = await startTestKeyward({ env: { MAIL_DIRECTORY: mail } });
    rp = await discoverTestClient(keyward.issuer);
  });
  afterAll(async () => keyward?.stop());

  const url = (path: string) => `${keyward.issuer}${path}`;

  async function signedInAgent(email: string) {
    const { container } = keyward.running;
    if (!(await container.stores.accounts.findByEmail(email))) {
      await createVerifiedAccount(keyward, email, PASSWORD);
    }
    const agent = new UserAgent();
    await completeCodeFlow(rp, { agent, credentials: { email, password: PASSWORD } });
    return agent;
  }

  /** Adds a passkey from /account/security the way passkey.js does: options, ceremony, post. */
  async function registerPasskey(agent: UserAgent, authenticator: SoftAuthenticator, name: string) {
    const csrf = csrfTokenIn(await (await agent.get(url('/account/security'))).text());
    const options = await (await agent.postForm(url('/account/security/passkey/options'), { _csrf: csrf })).json() as Parameters<SoftAuthenticator['register']>[0];
    return agent.postForm(url('/account/security/passkey'), { _csrf: csrf, name, credential: JSON.stringify(authenticator.register(options)) });
  }

  /** A passwordless sign-in from an authorization URL; the response to the passkey post. */
  async function passkeySignIn(agent: UserAgent, authorizationUrl: URL, authenticator: SoftAuthenticator, tamper = (assertion: Record<string, unknown>) => assertion) {
    const interaction = locationOf(await agent.get(authorizationUrl), keyward.issuer);
    const csrf = csrfTokenIn(await (await agent.get(interaction)).text());
    const options = await (await agent.postForm(new URL(`${interaction.pathname}/passkey/options`, keyward.issuer), { _csrf: csrf })).json() as Parameters<SoftAuthenticator['authenticate']>[0];
    const assertion = tamper(authenticator.authenticate(options));
    const response = await agent.postForm(new URL(`${interaction.pathname}/passkey`, keyward.issuer), { _csrf: csrf, credential: JSON.stringify(assertion) });
    return { response, interaction, csrf, assertion };
  }

  it('registers a passkey from the account page, mails the owner, and signs in with it without a password (no argon2)', async () => {
    const agent = await signedInAgent('passkey@example.com');
    const authenticator = new SoftAuthenticator(keyward.issuer);
    const registered = await registerPasskey(agent, authenticator, 'Laptop');
    expect(registered.status).toBe(200); // the first factor comes with recovery codes, shown once
    expect(await registered.text()).toContain('Save your recovery codes');
    expect(await (await agent.get(url('/account/security'))).text()).toContain('Laptop');
    await keyward.flushMail();
    expect(mailsTo(mail, 'passkey@example.com').some((m) => /A passkey \("Laptop"\) was added/.test(m.text))).toBe(true);

    const verify = jest.spyOn(keyward.running.container.passwords, 'verify');
    const started = await startAuthorization(rp);
    const browser = new UserAgent();
    const { response } = await passkeySignIn(browser, started.url, authenticator);
    expect(response.status).toBe(303);
    const tokens = await redeem(rp, started, await signInAndConsent(browser, locationOf(response, keyward.issuer), { email: 'x', password: 'x' }));
    expect(verify).not.toHaveBeenCalled();
    verify.mockRestore();
    expect(tokens.claims()!.amr).toEqual(['swk', 'user', 'mfa']);
    expect(tokens.claims()!.acr).toBe(ACR_MULTI_FACTOR);
  });

  it('refuses a replayed assertion, a tampered one, and one from another origin', async () => {
    const agent = await signedInAgent('replay@example.com');
    const authenticator = new SoftAuthenticator(keyward.issuer);
    await registerPasskey(agent, authenticator, 'Phone');

    const first = await passkeySignIn(new UserAgent(), (await startAuthorization(rp)).url, authenticator);
    expect(first.response.status).toBe(303);
    expect(locationOf(first.response, keyward.issuer).search).not.toContain('passkey=failed');
    // The same assertion again on the same interaction: its challenge was taken.
    const again = await new UserAgent().postForm(new URL(`${first.interaction.pathname}/passkey`, keyward.issuer), { _csrf: first.csrf, credential: JSON.stringify(first.assertion) });
    expect([303, 400, 403]).toContain(again.status);
    expect(again.headers.get('location') ?? '').not.toContain('/auth/');

    const tampered = await passkeySignIn(new UserAgent(), (await startAuthorization(rp)).url, authenticator, (assertion) => {
      const response = assertion.response as Record<string, string>;
      const signature = Buffer.from(response.signature!, 'base64url');
      signature[signature.length - 1]! ^= 1;
      return { ...assertion, response: { ...response, signature: signature.toString('base64url') } };
    });
    expect(locationOf(tampered.response, keyward.issuer).search).toContain('passkey=failed');

    const phishing = new SoftAuthenticator('https://evil.example');
    phishing.credentials.push(...authenticator.credentials);
    const phished = await passkeySignIn(new UserAgent(), (await startAuthorization(rp)).url, phishing);
    expect(locationOf(phished.response, keyward.issuer).search).toContain('passkey=failed');

    const malformed = await new UserAgent().postForm(new URL(`${first.interaction.pathname}/passkey`, keyward.issuer), { _csrf: first.csrf, credential: '{"id":1' });
    expect(malformed.status).toBeLessThan(500);
  });

  it('uses a passkey as the second factor after a password', async () => {
    const agent = await signedInAgent('second@example.com');
    const authenticator = new SoftAuthenticator(keyward.issuer, { backedUp: false });
    await registerPasskey(agent, authenticator, 'Security key');
    const started = await startAuthorization(rp);
    const browser = new UserAgent();
    const { next, uid } = await passwordStep(browser, started.url, { email: 'second@example.com', password: PASSWORD });
    expect(next!.pathname).toBe(`/interaction/${uid}/second-factor`);
    const csrf = csrfTokenIn(await (await browser.get(next!)).text());
    const options = await (await browser.postForm(url(`/interaction/${uid}/passkey/options`), { _csrf: csrf })).json() as { allowCredentials: { id: string }[] };
    expect(options.allowCredentials).toHaveLength(1);
    const done = await browser.postForm(url(`/interaction/${uid}/passkey`), { _csrf: csrf, credential: JSON.stringify(authenticator.authenticate(options as never)) });
    const tokens = await redeem(rp, started, await signInAndConsent(browser, locationOf(done, keyward.issuer), { email: 'x', password: 'x' }));
    expect(tokens.claims()!.amr).toEqual(['pwd', 'hwk', 'user', 'mfa']);
  });

  it('does not let one account pass its second step with another account\'s passkey', async () => {
    const mallory = await signedInAgent('mallory@example.com');
    const malloryKey = new SoftAuthenticator(keyward.issuer);
    await registerPasskey(mallory, malloryKey, 'Mallory');
    const victim = await signedInAgent('victim@example.com');
    await registerPasskey(victim, new SoftAuthenticator(keyward.issuer), 'Victim key');

    const started = await startAuthorization(rp);
    const browser = new UserAgent();
    const { uid, next } = await passwordStep(browser, started.url, { email: 'victim@example.com', password: PASSWORD });
    const csrf = csrfTokenIn(await (await browser.get(next!)).text());
    const options = await (await browser.postForm(url(`/interaction/${uid}/passkey/options`), { _csrf: csrf })).json() as { challenge: string };
    const forged = await browser.postForm(url(`/interaction/${uid}/passkey`), { _csrf: csrf, credential: JSON.stringify(malloryKey.authenticate({ challenge: options.challenge })) });
    expect(forged.status).toBe(401);
  });

  it('with a second factor on, re-authenticates with that factor, not the password alone', async () => {
    const agent = await signedInAgent('sudo-mfa@example.com');
    const secret = await enrolTotp(keyward, 'sudo-mfa@example.com');
    await ageSessions(keyward, 'sudo-mfa@example.com', 3600);
    const page = await (await agent.get(url('/account/reauthenticate'))).text();
    expect(page).not.toContain('name="password"');
    const csrf = csrfTokenIn(page);
    expect((await agent.postForm(url('/account/reauthenticate/password'), { _csrf: csrf, password: PASSWORD })).status).toBe(401);
    expect((await agent.postForm(url('/account/security/recovery-codes'), { _csrf: csrf })).status).toBe(303);
    expect((await agent.postForm(url('/account/reauthenticate/totp'), { _csrf: csrf, code: nextCode(secret) })).status).toBe(303);
    const codes = await agent.postForm(url('/account/security/recovery-codes'), { _csrf: csrf });
    expect(codes.status).toBe(200);
    expect(await codes.text()).toContain('Save your recovery codes');
  });

  it('asks for a recent authentication before a change, then accepts the password on the re-authentication page', async () => {
    const agent = await signedInAgent('sudo@example.com');
    await ageSessions(keyward, 'sudo@example.com', 3600);
    const csrf = csrfTokenIn(await (await agent.get(url('/account/security'))).text());
    const start = await agent.postForm(url('/account/security/totp/start'), { _csrf: csrf });
    expect(start.status).toBe(303);
    expect(start.headers.get('location')).toBe('/account/reauthenticate');
    const wrong = await agent.postForm(url('/account/reauthenticate/password'), { _csrf: csrf, password: 'wrong password here' });
    expect(wrong.status).toBe(401);
    const right = await agent.postForm(url('/account/reauthenticate/password'), { _csrf: csrf, password: PASSWORD });
    expect(right.status).toBe(303);
    const enrol = await agent.postForm(url('/account/security/totp/start'), { _csrf: csrf });
    expect(enrol.status).toBe(200);
    expect(await enrol.text()).toContain('<svg');
  });
});
