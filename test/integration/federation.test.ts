import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as oidc from 'openid-client';
import { DEMO_ACCOUNT } from '../../src/services/demo-data.service.ts';
import { enrolTotp, nextCode, submitStep } from '../helpers/mfa-flow.ts';
import { discoverTestClient, redeem, startAuthorization } from '../helpers/relying-party.ts';
import { freePort, startTestKeyward, type TestKeyward } from '../helpers/test-server.ts';
import { startGithubStandIn, startRogueProvider, startUpstreamProvider } from '../helpers/upstreams.ts';
import { csrfTokenIn, locationOf, UserAgent } from '../helpers/user-agent.ts';

/** Federated sign-in against local stand-ins: a real oidc-provider for Google, a GitHub look-alike, a rogue OP. */
describe('federated sign-in', () => {
  let keyward: TestKeyward;
  let rp: oidc.Configuration;
  let google: Awaited<ReturnType<typeof startUpstreamProvider>>;
  let github: Awaited<ReturnType<typeof startGithubStandIn>>;
  let rogue: Awaited<ReturnType<typeof startRogueProvider>>;

  beforeAll(async () => {
    const port = await freePort();
    const callback = (id: string) => `http://127.0.0.1:${port}/federation/callback/${id}`;
    google = await startUpstreamProvider(() => callback('google'));
    github = await startGithubStandIn();
    rogue = await startRogueProvider();
    keyward = await startTestKeyward({
      port,
      env: {
        GOOGLE_CLIENT_ID: google.client.id, GOOGLE_CLIENT_SECRET: google.client.secret, GOOGLE_ISSUER: google.issuer,
        GITHUB_CLIENT_ID: github.client.id, GITHUB_CLIENT_SECRET: github.client.secret, GITHUB_URL: github.base, GITHUB_API_URL: github.api,
        OIDC_UPSTREAMS: JSON.stringify([
          { id: 'rogue', name: 'Rogue', issuer: rogue.issuer, client_id: rogue.client.id, client_secret: rogue.client.secret },
          { id: 'offline', name: 'Offline', issuer: `http://localhost:${await freePort()}`, client_id: 'x', client_secret: 'y' },
        ]),
      },
    });
    rp = await discoverTestClient(keyward.issuer);
  });
  afterAll(async () => {
    await keyward?.stop();
    await Promise.all([google?.close(), github?.close(), rogue?.close()]);
  });

  /** From a client's authorization request to Keyward's callback, through `upstream`; returns where the browser ends up. */
  async function continueWith(upstream: string, agent = new UserAgent()) {
    const started = await startAuthorization(rp, 'openid email profile');
    const loginUrl = locationOf(await agent.get(started.url), keyward.issuer);
    const page = await (await agent.get(loginUrl)).text();
    expect(page).toContain(`action="${loginUrl.pathname}/federated/${upstream}"`);
    let response = await agent.postForm(`${loginUrl}/federated/${upstream}`, { _csrf: csrfTokenIn(page) });
    // Follow the upstream's redirects until the browser is back at Keyward's callback.
    for (let hop = 0; hop < 10 && [302, 303].includes(response.status); hop += 1) {
      const next = locationOf(response, response.url);
      if (next.pathname.startsWith('/federation/callback/')) return { started, agent, loginUrl, callback: next, response: await agent.get(next) };
      response = await agent.get(next);
    }
    throw new Error(`never came back from ${upstream}: ${response.status}`);
  }

  /** After Keyward's callback: consent, then the client's redirect with a code. */
  async function toClient(agent: UserAgent, from: Response): Promise<URL> {
    let next = locationOf(from, keyward.issuer);
    for (let hop = 0; hop < 10; hop += 1) {
      if (next.origin !== keyward.issuer) return next;
      const response = await agent.get(next);
      if ([302, 303].includes(response.status)) {
        next = locationOf(response, keyward.issuer);
        continue;
      }
      const html = await response.text();
      next = locationOf(await agent.postForm(new URL(`${next.pathname}/consent`, keyward.issuer), { _csrf: csrfTokenIn(html) }), keyward.issuer);
    }
    throw new Error('never reached the client');
  }

  it('creates and links an account on a first Google sign-in, and signs the same account in next time', async () => {
    google.people.set('g-alice', { sub: 'g-alice', email: 'alice@example.com', email_verified: true, name: 'Alice', picture: 'https://img.example/alice.png' });
    google.state.signInAs = 'g-alice';
    const first = await continueWith('google');
    expect(first.response.status).toBe(303);
    expect(first.response.headers.get('location')).toBe(`${first.loginUrl.pathname}/federated/complete`);
    const code = await toClient(first.agent, first.response);
    const tokens = await redeem(rp, first.started, code);
    const account = await keyward.running.container.stores.accounts.findByEmail('alice@example.com');
    expect(account).toMatchObject({ name: 'Alice', picture: 'https://img.example/alice.png', emailVerified: true, passwordHash: undefined });
    expect(tokens.claims()!.sub).toBe(account!.id);
    expect(await keyward.running.container.stores.federatedIdentities.find('google', 'g-alice')).toMatchObject({ accountId: account!.id });

    const second = await continueWith('google');
    expect((await redeem(rp, second.started, await toClient(second.agent, second.response))).claims()!.sub).toBe(account!.id);
  });

  it('links to an existing account only after its password sign-in, when the upstream verified the email', async () => {
    google.people.set('g-demo', { sub: 'g-demo', email: DEMO_ACCOUNT.email, email_verified: true, name: 'Demo' });
    google.state.signInAs = 'g-demo';
    const flow = await continueWith('google');
    expect(flow.response.status).toBe(303);
    // Through the interaction's own path (only the browser holding it gets the offer), then back to sign-in.
    expect(flow.response.headers.get('location')).toBe(`${flow.loginUrl.pathname}/federated/complete`);
    const offered = await flow.agent.get(new URL(flow.response.headers.get('location')!, keyward.issuer));
    expect(offered.status).toBe(303);
    expect(offered.headers.get('location')).toBe(flow.loginUrl.pathname);
    expect(await keyward.running.container.stores.federatedIdentities.find('google', 'g-demo')).toBeUndefined();
    const page = await (await flow.agent.get(flow.loginUrl)).text();
    expect(page).toContain('Sign in with its password once to link your Google account');
    const signedIn = await flow.agent.postForm(`${flow.loginUrl}/login`, { _csrf: csrfTokenIn(page), email: DEMO_ACCOUNT.email, password: DEMO_ACCOUNT.password });
    expect(signedIn.status).toBe(303);
    const demo = await keyward.running.container.stores.accounts.findByEmail(DEMO_ACCOUNT.email);
    expect(await keyward.running.container.stores.federatedIdentities.find('google', 'g-demo')).toMatchObject({ accountId: demo!.id });
  });

  it('follows the MFA policy after an upstream sign-in: an account with an authenticator app is asked for its code', async () => {
    google.people.set('g-carol', { sub: 'g-carol', email: 'carol@example.com', email_verified: true, name: 'Carol' });
    google.state.signInAs = 'g-carol';
    const first = await continueWith('google');
    await redeem(rp, first.started, await toClient(first.agent, first.response));
    const secret = await enrolTotp(keyward, 'carol@example.com');

    const flow = await continueWith('google');
    const complete = await flow.agent.get(locationOf(flow.response, keyward.issuer));
    const secondStep = locationOf(complete, keyward.issuer);
    expect(secondStep.pathname).toBe(`${flow.loginUrl.pathname}/second-factor`);
    const done = await submitStep(flow.agent, secondStep, `${flow.loginUrl.pathname}/second-factor/totp`, { code: nextCode(secret) });
    const tokens = await redeem(rp, flow.started, await toClient(flow.agent, done));
    expect(tokens.claims()!.amr).toEqual(['fed', 'otp', 'mfa']);
  });

  it('never links on an email the upstream does not verify', async () => {
    google.people.set('g-mallory', { sub: 'g-mallory', email: 'alice@example.com', email_verified: false });
    google.state.signInAs = 'g-mallory';
    const flow = await continueWith('google');
    expect(flow.response.status).toBe(400);
    expect(await flow.response.text()).toContain('does not confirm that this email address is yours');
    expect(await keyward.running.container.stores.federatedIdentities.find('google', 'g-mallory')).toBeUndefined();
  });

  it('refuses a replayed callback (state already used)', async () => {
    google.state.signInAs = 'g-alice';
    const flow = await continueWith('google');
    expect(flow.response.status).toBe(303);
    const replay = await flow.agent.get(flow.callback);
    expect(replay.status).toBe(400);
    expect(await replay.text()).toContain('could not be matched to the one you started');
  });

  it('refuses a callback whose state does not match, from another browser', async () => {
    google.state.signInAs = 'g-alice';
    const flow = await continueWith('google');
    const stranger = await new UserAgent().get(flow.callback);
    expect(stranger.status).toBe(400);
  });

  it('shows a friendly page when the person refuses at the upstream', async () => {
    google.state.signInAs = undefined;
    const flow = await continueWith('google');
    expect(flow.response.status).toBe(400);
    expect(await flow.response.text()).toContain('cancelled or refused');
    const audited = await keyward.running.container.stores.audit.list({ event: 'federated_sign_in', limit: 1 });
    expect(audited[0]).toMatchObject({ outcome: 'failure', details: { upstream: 'google', reason: 'upstream_denied' } });
  });

  it.each([['signature', 'a forged ID token'], ['nonce', 'an ID token with the wrong nonce']] as const)('refuses %s (%s) and creates nothing', async (forge: 'signature' | 'nonce', _what: string) => {
    rogue.mode.forge = forge;
    const flow = await continueWith('rogue');
    expect(flow.response.status).toBe(400);
    const html = await flow.response.text();
    expect(html).toContain('could not be verified');
    expect(html).not.toMatch(/at .+\.(ts|js):\d+/);
    expect(await keyward.running.container.stores.accounts.findByEmail('victim@example.com')).toBeUndefined();
  });

  it('signs in with GitHub using the primary verified email only', async () => {
    github.person.emails = [
      { email: 'octo-old@example.com', primary: false, verified: true },
      { email: 'octo@example.com', primary: true, verified: true },
    ];
    const flow = await continueWith('github');
    const tokens = await redeem(rp, flow.started, await toClient(flow.agent, flow.response));
    const account = await keyward.running.container.stores.accounts.findByEmail('octo@example.com');
    expect(tokens.claims()!.sub).toBe(account!.id);
    expect(account).toMatchObject({ name: 'Octo Cat', picture: 'https://avatars.example/octo.png' });
  });

  it('refuses a GitHub account without a verified primary email', async () => {
    github.person.user = { ...github.person.user, id: 5151, login: 'nomail' };
    github.person.emails = [{ email: 'nomail@example.com', primary: true, verified: false }];
    const flow = await continueWith('github');
    expect(flow.response.status).toBe(400);
    expect(await flow.response.text()).toContain('did not share a verified email');
    expect(await keyward.running.container.stores.accounts.findByEmail('nomail@example.com')).toBeUndefined();
  });

  it('shows a friendly page, and audits it, when an upstream cannot be reached', async () => {
    const agent = new UserAgent();
    const started = await startAuthorization(rp, 'openid');
    const loginUrl = locationOf(await agent.get(started.url), keyward.issuer);
    const page = await (await agent.get(loginUrl)).text();
    const response = await agent.postForm(`${loginUrl}/federated/offline`, { _csrf: csrfTokenIn(page) });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('could not be reached');
    const audited = await keyward.running.container.stores.audit.list({ event: 'federated_sign_in', limit: 1 });
    expect(audited[0]).toMatchObject({ outcome: 'failure', details: { upstream: 'offline', reason: 'upstream_unavailable' } });
  });

  it('lists linked identities on the account page, and keeps the last way in', async () => {
    google.state.signInAs = 'g-alice';
    const flow = await continueWith('google');
    await toClient(flow.agent, flow.response);
    const page = await (await flow.agent.get(`${keyward.issuer}/account`)).text();
    expect(page).toContain('<strong>Google</strong> · alice@example.com');
    const refused = await flow.agent.postForm(`${keyward.issuer}/account/identities/remove`, { _csrf: csrfTokenIn(page), upstream: 'google', subject: 'g-alice' });
    expect(refused.status).toBe(409);
    expect(await refused.text()).toContain('only way to sign in');
    expect(await keyward.running.container.stores.federatedIdentities.find('google', 'g-alice')).toBeDefined();
  });
});
