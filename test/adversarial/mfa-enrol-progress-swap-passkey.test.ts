import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as oidc from 'openid-client';
import { ACR_MULTI_FACTOR } from '../../src/services/mfa/mfa-policy.ts';
import { enrolTotp, passwordStep } from '../helpers/mfa-flow.ts';
import { discoverTestClient, redeem, startAuthorization } from '../helpers/relying-party.ts';
import { SoftAuthenticator } from '../helpers/soft-authenticator.ts';
import { startTestKeyward, type TestKeyward } from '../helpers/test-server.ts';
import { csrfTokenIn, signInAndConsent, UserAgent } from '../helpers/user-agent.ts';
import { createVerifiedAccount } from '../helpers/accounts.ts';

const PASSWORD = 'correct horse battery staple 42';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The same swap as mfa-enrol-progress-swap.test.ts, on SQLite with nothing injected, through the
 * passkey enrolment: the WebAuthn verification (WebCrypto) and production-cost argon2 leave
 * real gaps between the two progress reads. The attacker enrols a passkey of their own account
 * and, in the same interaction, posts the victim's password.
 */
describe('passkey enrolment finishing the victim\'s sign-in (SQLite, production argon2)', () => {
  let keyward: TestKeyward;
  let rp: oidc.Configuration;
  let victimId: string;
  beforeAll(async () => {
    keyward = await startTestKeyward({ env: { THROTTLE_SIGN_IN_PER_ACCOUNT: '1000', THROTTLE_SIGN_IN_PER_IP: '100000', ARGON2_MEMORY_KIB: '19456', ARGON2_TIME_COST: '2' } });
    rp = await discoverTestClient(keyward.issuer);
    victimId = (await createVerifiedAccount(keyward, 'victim@example.com', PASSWORD)).id;
    await enrolTotp(keyward, 'victim@example.com');
  }, 60_000);
  afterAll(async () => keyward?.stop());

  it('never signs in as the victim, whatever the timing', async () => {
    const subjects: string[] = [];
    // How long a password post takes here (argon2 at production cost): the sweep centres on it.
    const timings: number[] = [];
    for (let i = 0; i < 3; i += 1) {
      const probe = new UserAgent();
      const t0 = performance.now();
      await passwordStep(probe, (await startAuthorization(rp)).url, { email: 'victim@example.com', password: PASSWORD });
      timings.push(performance.now() - t0);
    }
    const loginMs = Math.round(timings.sort((a, b) => a - b)[1]! / 2);
    for (let i = 0; i < 40; i += 1) {
      const attackerEmail = `attacker-${i}@example.com`;
      await createVerifiedAccount(keyward, attackerEmail, PASSWORD);
      const agent = new UserAgent();
      const started = await startAuthorization(rp, 'openid', { acr_values: ACR_MULTI_FACTOR });
      const { next, uid } = await passwordStep(agent, started.url, { email: attackerEmail, password: PASSWORD });
      const csrf = csrfTokenIn(await (await agent.get(next!)).text());
      const options = await (await agent.postForm(`${keyward.issuer}/interaction/${uid}/enrol/passkey/options`, { _csrf: csrf })).json() as Parameters<SoftAuthenticator['register']>[0];
      const credential = JSON.stringify(new SoftAuthenticator(keyward.issuer).register(options));
      // The victim's password first (argon2 runs), the attacker's enrolment a moment later: a sweep
      // over the delay finds the few milliseconds where argon2 ends inside the enrolment.
      const login = agent.postForm(`${keyward.issuer}/interaction/${uid}/login`, { _csrf: csrf, email: 'victim@example.com', password: PASSWORD });
      await sleep(Math.max(0, loginMs - 25 + i));
      const enrol = agent.postForm(`${keyward.issuer}/interaction/${uid}/enrol/passkey`, { _csrf: csrf, name: 'mine', credential });
      const [, enrolled] = await Promise.all([login, enrol]);
      const link = /href="([^"]+)">I have saved them/.exec(await enrolled.text())?.[1];
      if (!link?.includes('/auth/')) continue;
      const tokens = await redeem(rp, started, await signInAndConsent(agent, new URL(link.replace(/&amp;/g, '&'), keyward.issuer), { email: 'x', password: 'x' }));
      subjects.push(String(tokens.claims()!.sub));
    }
    expect(subjects).not.toContain(victimId);
  }, 180_000);
});
