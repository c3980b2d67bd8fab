import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as oidc from 'openid-client';
import { enrolTotp, nextCode } from '../helpers/mfa-flow.ts';
import { completeCodeFlow, discoverTestClient, startAuthorization } from '../helpers/relying-party.ts';
import { SoftAuthenticator } from '../helpers/soft-authenticator.ts';
import { startTestKeyward, type TestKeyward } from '../helpers/test-server.ts';
import { csrfTokenIn, locationOf, UserAgent } from '../helpers/user-agent.ts';
import { createVerifiedAccount } from '../helpers/accounts.ts';

const PASSWORD = 'correct horse battery staple 42';
type GetOptions = Parameters<SoftAuthenticator['authenticate']>[0];

/** Attacks that hold (UV, clones, challenges across purposes and interactions, concurrent code use): regression guards. */
describe('passkey probes', () => {
  let keyward: TestKeyward;
  let rp: oidc.Configuration;
  beforeAll(async () => {
    keyward = await startTestKeyward();
    rp = await discoverTestClient(keyward.issuer);
  });
  afterAll(async () => keyward?.stop());
  const url = (path: string) => `${keyward.issuer}${path}`;

  async function signedInAgent(email: string) {
    await createVerifiedAccount(keyward, email, PASSWORD);
    const agent = new UserAgent();
    await completeCodeFlow(rp, { agent, credentials: { email, password: PASSWORD } });
    return agent;
  }
  async function register(agent: UserAgent, key: SoftAuthenticator) {
    const csrf = csrfTokenIn(await (await agent.get(url('/account/security'))).text());
    const options = await (await agent.postForm(url('/account/security/passkey/options'), { _csrf: csrf })).json() as Parameters<SoftAuthenticator['register']>[0];
    const done = await agent.postForm(url('/account/security/passkey'), { _csrf: csrf, name: 'k', credential: JSON.stringify(key.register(options)) });
    expect(done.status).toBe(200);
  }
  async function openSignIn() {
    const agent = new UserAgent();
    const interaction = locationOf(await agent.get((await startAuthorization(rp)).url), keyward.issuer);
    const csrf = csrfTokenIn(await (await agent.get(interaction)).text());
    const options = async () => (await agent.postForm(url(`${interaction.pathname}/passkey/options`), { _csrf: csrf })).json() as Promise<GetOptions>;
    const post = (assertion: unknown) => agent.postForm(url(`${interaction.pathname}/passkey`), { _csrf: csrf, credential: JSON.stringify(assertion) });
    return { options, post };
  }
  const failed = (response: Response) => response.status !== 303 || (response.headers.get('location') ?? '').includes('passkey=failed');

  it('refuses a passwordless assertion without user verification', async () => {
    const owner = await signedInAgent('uv@example.com');
    const key = new SoftAuthenticator(keyward.issuer);
    await register(owner, key);
    const noUv = new SoftAuthenticator(keyward.issuer, { userVerified: false });
    noUv.credentials.push(...key.credentials);
    const attempt = await openSignIn();
    expect(failed(await attempt.post(noUv.authenticate(await attempt.options())))).toBe(true);
  });

  it('refuses a cloned device-bound authenticator whose counter went back', async () => {
    const owner = await signedInAgent('clone@example.com');
    const key = new SoftAuthenticator(keyward.issuer, { backedUp: false });
    await register(owner, key);
    const first = await openSignIn();
    expect(failed(await first.post(key.authenticate(await first.options())))).toBe(false);
    key.credentials[0]!.counter = 0; // the clone starts from the registration's counter
    const second = await openSignIn();
    expect(failed(await second.post(key.authenticate(await second.options())))).toBe(true);
  });

  it('refuses an assertion over another interaction\'s or the re-authentication\'s challenge', async () => {
    const owner = await signedInAgent('challenge@example.com');
    const key = new SoftAuthenticator(keyward.issuer);
    await register(owner, key);
    const a = await openSignIn();
    const b = await openSignIn();
    const optionsA = await a.options();
    await b.options();
    expect(failed(await b.post(key.authenticate(optionsA)))).toBe(true);
    const csrf = csrfTokenIn(await (await owner.get(url('/account/reauthenticate'))).text());
    const reauth = await (await owner.postForm(url('/account/reauthenticate/passkey/options'), { _csrf: csrf })).json() as GetOptions;
    expect(failed(await b.post(key.authenticate(reauth)))).toBe(true);
  });

  it('accepts one TOTP code, and one recovery code, once out of 20 concurrent uses', async () => {
    const { container } = keyward.running;
    const email = 'concurrent@example.com';
    const account = await createVerifiedAccount(keyward, email, PASSWORD);
    const secret = await enrolTotp(keyward, email);
    const codes = (await container.mfa.authenticators.regenerateRecoveryCodes(account, { ip: '127.0.0.9', userAgent: 'test' }))!;
    const attempt = (i: number) => ({ accountId: account.id, origin: { ip: `10.0.0.${i}`, userAgent: 'test' }, clientId: undefined });
    const code = nextCode(secret);
    const totp = await Promise.all(Array.from({ length: 20 }, (_, i) => container.mfa.factors.totp.verify({ code }, attempt(i))));
    expect(totp.filter((o) => o.outcome === 'passed')).toHaveLength(1);
    const recovery = await Promise.all(Array.from({ length: 20 }, (_, i) => container.mfa.factors.recoveryCode.verify({ code: codes[0]! }, attempt(i))));
    expect(recovery.filter((o) => o.outcome === 'passed')).toHaveLength(1);
  });
});
