import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import * as oidc from 'openid-client';
import { ACR_MULTI_FACTOR } from '../../src/services/mfa/mfa-policy.ts';
import { totpCodeAt } from '../../src/services/mfa/totp.ts';
import { backendsForTests } from '../helpers/backends.ts';
import { enrolTotp, passwordStep } from '../helpers/mfa-flow.ts';
import { discoverTestClient, redeem, startAuthorization } from '../helpers/relying-party.ts';
import { startTestKeyward, type TestKeyward } from '../helpers/test-server.ts';
import { csrfTokenIn, signInAndConsent, UserAgent } from '../helpers/user-agent.ts';
import { createVerifiedAccount } from '../helpers/accounts.ts';

const PASSWORD = 'correct horse battery staple 42';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The enrolment step (/interaction/<uid>/enrol/totp, /enrol/passkey) reads the sign-in progress
 * twice: once to know whose factor it enrols (enrolmentAccount), once more afterwards in
 * interactions.enrolled() to decide whose sign-in it finishes. In between, the same browser can
 * post the victim's password to /interaction/<uid>/login, which replaces the progress with
 * { victim, [pwd] }. enrolled() then sees "the victim has a second factor" and finishes the
 * victim's login with amr pwd+otp+mfa: the victim's password and the attacker's own fresh
 * authenticator app, never the victim's.
 */
async function attempt(keyward: TestKeyward, rp: oidc.Configuration, attackerEmail: string, victimEmail: string, delayMs: number, enrolFirst = false): Promise<string | undefined> {
  await createVerifiedAccount(keyward, attackerEmail, PASSWORD);
  const agent = new UserAgent();
  // acr_values for mfa: the attacker's own account (no factor) is sent to enrolment.
  const started = await startAuthorization(rp, 'openid', { acr_values: ACR_MULTI_FACTOR });
  const { next, uid } = await passwordStep(agent, started.url, { email: attackerEmail, password: PASSWORD });
  if (next?.pathname !== `/interaction/${uid}/enrol`) throw new Error(`expected enrolment, got ${next?.pathname}`);
  const html = await (await agent.get(next)).text();
  const csrf = csrfTokenIn(html);
  const secret = /Key: <code>([A-Z2-7 ]+)<\/code>/.exec(html)![1]!.replace(/ /g, '');
  const id = /name="id" value="([^"]+)"/.exec(html)![1]!;

  const postLogin = () => agent.postForm(`${keyward.issuer}/interaction/${uid}/login`, { _csrf: csrf, email: victimEmail, password: PASSWORD });
  const postEnrol = () => agent.postForm(`${keyward.issuer}/interaction/${uid}/enrol/totp`, { _csrf: csrf, id, code: totpCodeAt(secret, Date.now()), name: 'mine' });
  const first = enrolFirst ? postEnrol() : postLogin();
  await sleep(delayMs);
  const second = enrolFirst ? postLogin() : postEnrol();
  const enrolled = enrolFirst ? await first : await second;
  await Promise.all([first, second]);
  const page = await enrolled.text();
  const link = /href="([^"]+)">I have saved them/.exec(page)?.[1];
  if (!link?.includes('/auth/')) return undefined;
  const tokens = await redeem(rp, started, await signInAndConsent(agent, new URL(link.replace(/&amp;/g, '&'), keyward.issuer), { email: 'x', password: 'x' }));
  return String(tokens.claims()!.sub);
}

describe.each(backendsForTests())('enrolment step finishing another account\'s sign-in (%s)', (name, backend) => {
  let keyward: TestKeyward;
  let rp: oidc.Configuration;
  let victimId: string;
  beforeAll(async () => {
    await backend.start();
    keyward = await startTestKeyward({ env: { ...(await backend.freshDatabase()), THROTTLE_SIGN_IN_PER_ACCOUNT: '1000', THROTTLE_SIGN_IN_PER_IP: '100000' } });
    rp = await discoverTestClient(keyward.issuer);
    victimId = (await createVerifiedAccount(keyward, 'victim@example.com', PASSWORD)).id;
    await enrolTotp(keyward, 'victim@example.com'); // the victim's phone: the attacker never sees it
  }, 60_000);
  afterAll(async () => {
    await keyward?.stop();
    await backend.stop();
  });

  it('when the enrolment is slow (a remote store\'s round trips), never signs in as the victim', async () => {
    // Deterministic ordering: the victim's password is posted while confirmTotp runs, and the
    // enrolment goes on once the progress has changed — what a database round trip allows.
    const { container } = keyward.running;
    const { authenticators } = container.mfa;
    const original = authenticators.confirmTotp.bind(authenticators);
    let entered!: () => void;
    const inEnrolment = new Promise<void>((resolve) => { entered = resolve; });
    const slow = jest.spyOn(authenticators, 'confirmTotp').mockImplementation(async (account, ...rest) => {
      const result = await original(account, ...rest);
      entered();
      for (let i = 0; i < 100; i += 1) {
        const uids = [...uidsOf.values()];
        const progress = await Promise.all(uids.map((uid) => container.mfa.progress.find(uid)));
        if (progress.some((p) => p?.accountId === victimId)) break;
        await sleep(10);
      }
      return result;
    });
    const uidsOf = new Set<string>();
    try {
      const attackerEmail = `attacker-slow-${name.length}@example.com`;
      await createVerifiedAccount(keyward, attackerEmail, PASSWORD);
      const agent = new UserAgent();
      const started = await startAuthorization(rp, 'openid', { acr_values: ACR_MULTI_FACTOR });
      const { next, uid } = await passwordStep(agent, started.url, { email: attackerEmail, password: PASSWORD });
      uidsOf.add(uid);
      const html = await (await agent.get(next!)).text();
      const csrf = csrfTokenIn(html);
      const secret = /Key: <code>([A-Z2-7 ]+)<\/code>/.exec(html)![1]!.replace(/ /g, '');
      const id = /name="id" value="([^"]+)"/.exec(html)![1]!;
      const enrol = agent.postForm(`${keyward.issuer}/interaction/${uid}/enrol/totp`, { _csrf: csrf, id, code: totpCodeAt(secret, Date.now()), name: 'mine' });
      await inEnrolment;
      await agent.postForm(`${keyward.issuer}/interaction/${uid}/login`, { _csrf: csrf, email: 'victim@example.com', password: PASSWORD });
      const link = /href="([^"]+)">I have saved them/.exec(await (await enrol).text())?.[1];
      const sub = link?.includes('/auth/')
        ? String((await redeem(rp, started, await signInAndConsent(agent, new URL(link.replace(/&amp;/g, '&'), keyward.issuer), { email: 'x', password: 'x' }))).claims()!.sub)
        : undefined;
      expect(sub).not.toBe(victimId);
    } finally {
      slow.mockRestore();
    }
  }, 60_000);

  it('as is: a few timed tries never sign in as the victim', async () => {
    const subjects: (string | undefined)[] = [];
    for (let i = 0; i < 12; i += 1) subjects.push(await attempt(keyward, rp, `attacker-${i}-${name.length}@example.com`, 'victim@example.com', i % 6));
    expect(subjects).not.toContain(victimId);
  }, 120_000);
});
