import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import { ACR_MULTI_FACTOR, ACR_ONE_FACTOR } from '../../src/services/mfa/mfa-policy.ts';
import { totpCodeAt } from '../../src/services/mfa/totp.ts';
import { ageSessions, enrolTotp, nextCode, passwordStep, submitStep } from '../helpers/mfa-flow.ts';
import { mailsTo } from '../helpers/mailbox.ts';
import { discoverTestClient, redeem, startAuthorization } from '../helpers/relying-party.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { startTestKeyward, TEST_WEB_CLIENT, type TestKeyward } from '../helpers/test-server.ts';
import { csrfTokenIn, locationOf, signInAndConsent, UserAgent } from '../helpers/user-agent.ts';
import { createVerifiedAccount } from '../helpers/accounts.ts';

const PASSWORD = 'correct horse battery staple 42';

/** Creates a verified account with a password through the store (the registration pages are tested elsewhere). */
async function createAccount(keyward: TestKeyward, email: string, roles: string[] = []): Promise<string> {
  return (await createVerifiedAccount(keyward, email, PASSWORD, roles)).id;
}

/** From wherever a sign-in stands, through consent, to the client's callback; the tokens. */
async function finish(agent: UserAgent, rp: oidc.Configuration, started: Awaited<ReturnType<typeof startAuthorization>>, from: URL) {
  const callback = await signInAndConsent(agent, from, { email: 'unused@example.com', password: 'unused' });
  return redeem(rp, started, callback);
}

describe('multi-factor sign-in (MFA_POLICY=optional)', () => {
  let keyward: TestKeyward;
  let rp: oidc.Configuration;
  const mail = tempDir('keyward-mail-');

  beforeAll(async () => {
    keyward = await startTestKeyward({ env: { MAIL_DIRECTORY: mail, THROTTLE_SIGN_IN_PER_ACCOUNT: '5', MFA_REQUIRED_ROLES: 'admin, auditor' }, registry: { clients: [{ ...TEST_WEB_CLIENT, client_id: 'strict-app', client_secret: 'strict-app-secret-0123456789abcdef012345', require_mfa: true }] } });
    rp = await discoverTestClient(keyward.issuer);
  });
  afterAll(async () => keyward?.stop());

  it('publishes its ACR values in discovery', async () => {
    expect(rp.serverMetadata().acr_values_supported).toEqual([ACR_ONE_FACTOR, ACR_MULTI_FACTOR]);
  });

  it('signs in without a second step when the account has none; the ID token says pwd and one factor', async () => {
    await createAccount(keyward, 'plain@example.com');
    const started = await startAuthorization(rp);
    const agent = new UserAgent();
    const { next } = await passwordStep(agent, started.url, { email: 'plain@example.com', password: PASSWORD });
    const tokens = await finish(agent, rp, started, next!);
    const claims = tokens.claims()!;
    expect(claims.amr).toEqual(['pwd']);
    expect(claims.acr).toBe(ACR_ONE_FACTOR);
  });

  it('asks an account with an authenticator app for a code after the password, and accepts each code once', async () => {
    await createAccount(keyward, 'totp@example.com');
    const secret = await enrolTotp(keyward, 'totp@example.com');
    const started = await startAuthorization(rp);
    const agent = new UserAgent();
    const { next, uid } = await passwordStep(agent, started.url, { email: 'totp@example.com', password: PASSWORD });
    expect(next!.pathname).toBe(`/interaction/${uid}/second-factor`);

    const wrong = await submitStep(agent, next!, `/interaction/${uid}/second-factor/totp`, { code: '000000' === nextCode(secret) ? '111111' : '000000' });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain('That code did not work');

    const code = nextCode(secret);
    const right = await submitStep(agent, next!, `/interaction/${uid}/second-factor/totp`, { code });
    expect(right.status).toBe(303);
    const tokens = await finish(agent, rp, started, locationOf(right, keyward.issuer));
    expect(tokens.claims()!.amr).toEqual(['pwd', 'otp', 'mfa']);
    expect(tokens.claims()!.acr).toBe(ACR_MULTI_FACTOR);

    // The same code in another sign-in within its window: refused (RFC 6238 §5.2).
    const again = await startAuthorization(rp);
    const agent2 = new UserAgent();
    const second = await passwordStep(agent2, again.url, { email: 'totp@example.com', password: PASSWORD });
    const replay = await submitStep(agent2, second.next!, `/interaction/${second.uid}/second-factor/totp`, { code });
    expect(replay.status).toBe(401);
  });

  it('never shows the second step to someone without the password, and never takes a code without it', async () => {
    await createAccount(keyward, 'guarded@example.com');
    const secret = await enrolTotp(keyward, 'guarded@example.com');
    const started = await startAuthorization(rp);
    const agent = new UserAgent();
    const { response, uid } = await passwordStep(agent, started.url, { email: 'guarded@example.com', password: 'not the password at all' });
    expect(response.status).toBe(401);
    // A code posted straight to the second step, with no first factor passed: the interaction has no progress.
    const page = await agent.get(`${keyward.issuer}/interaction/${uid}`);
    const direct = await agent.postForm(`${keyward.issuer}/interaction/${uid}/second-factor/totp`, { _csrf: csrfTokenIn(await page.text()), code: nextCode(secret) });
    expect([400, 401]).toContain(direct.status);
    expect(direct.headers.get('location')).toBeNull();
  });

  it('refuses to enrol a new factor during the sign-in of an account that already has one (no way round the second factor)', async () => {
    await createAccount(keyward, 'noskip@example.com');
    await enrolTotp(keyward, 'noskip@example.com');
    const started = await startAuthorization(rp);
    const agent = new UserAgent();
    const { next, uid } = await passwordStep(agent, started.url, { email: 'noskip@example.com', password: PASSWORD });
    const html = await (await agent.get(next!)).text();
    const enrolPage = await agent.get(`${keyward.issuer}/interaction/${uid}/enrol`);
    expect(enrolPage.status).toBe(400);
    const post = await agent.postForm(`${keyward.issuer}/interaction/${uid}/enrol/totp`, { _csrf: csrfTokenIn(html), id: 'x', code: '123456' });
    expect(post.status).toBe(400);
  });

  it('signs in with a recovery code once, tells the owner, and refuses it the second time', async () => {
    await createAccount(keyward, 'recover@example.com');
    const { container } = keyward.running;
    await enrolTotp(keyward, 'recover@example.com');
    const account = (await container.stores.accounts.findByEmail('recover@example.com'))!;
    const codes = (await container.mfa.authenticators.regenerateRecoveryCodes(account, { ip: '127.0.0.9', userAgent: 'test' }))!;
    expect(codes).toHaveLength(10);

    const started = await startAuthorization(rp);
    const agent = new UserAgent();
    const { next, uid } = await passwordStep(agent, started.url, { email: 'recover@example.com', password: PASSWORD });
    const used = await submitStep(agent, next!, `/interaction/${uid}/second-factor/recovery-code`, { code: ` ${codes[0]!.toUpperCase()} ` });
    expect(used.status).toBe(303);
    const tokens = await finish(agent, rp, started, locationOf(used, keyward.issuer));
    expect(tokens.claims()!.amr).toContain('mfa');
    await keyward.flushMail();
    expect(mailsTo(mail, 'recover@example.com').some((m) => /recovery code was used/.test(m.subject) && /9 unused codes are left/.test(m.text))).toBe(true);

    const again = await startAuthorization(rp);
    const agent2 = new UserAgent();
    const second = await passwordStep(agent2, again.url, { email: 'recover@example.com', password: PASSWORD });
    const reused = await submitStep(agent2, second.next!, `/interaction/${second.uid}/second-factor/recovery-code`, { code: codes[0]! });
    expect(reused.status).toBe(401);
  });

  it('throttles codes per account, counted before checking: after 5 failures even the right code is refused with 429', async () => {
    await createAccount(keyward, 'guess@example.com');
    const secret = await enrolTotp(keyward, 'guess@example.com');
    const started = await startAuthorization(rp);
    const agent = new UserAgent();
    const { next, uid } = await passwordStep(agent, started.url, { email: 'guess@example.com', password: PASSWORD });
    const valid = new Set([-1, 0, 1].map((step) => totpCodeAt(secret, Date.now() + step * 30_000)));
    const wrongCodes = ['000001', '000002', '000003', '000004', '000005', '000006'].filter((c) => !valid.has(c)).slice(0, 5);
    const statuses = await Promise.all(wrongCodes.map(async (code) => (await submitStep(agent, next!, `/interaction/${uid}/second-factor/totp`, { code })).status));
    expect(statuses.every((status) => status === 401)).toBe(true);
    const blocked = await submitStep(agent, next!, `/interaction/${uid}/second-factor/totp`, { code: nextCode(secret) });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('a client with require_mfa makes an account without a second factor enrol one, then signs in with mfa', async () => {
    await createAccount(keyward, 'strict@example.com');
    const strict = await discoverTestClient(keyward.issuer, { ...TEST_WEB_CLIENT, client_id: 'strict-app', client_secret: 'strict-app-secret-0123456789abcdef012345' } as never);
    const started = await startAuthorization(strict);
    const agent = new UserAgent();
    const { next, uid } = await passwordStep(agent, started.url, { email: 'strict@example.com', password: PASSWORD });
    expect(next!.pathname).toBe(`/interaction/${uid}/enrol`);
    const html = await (await agent.get(next!)).text();
    expect(html).toContain('<svg');
    const secret = /Key: <code>([A-Z2-7 ]+)<\/code>/.exec(html)![1]!.replace(/ /g, '');
    const id = /name="id" value="([^"]+)"/.exec(html)![1]!;
    const confirmed = await agent.postForm(`${keyward.issuer}/interaction/${uid}/enrol/totp`, { _csrf: csrfTokenIn(html), id, code: totpCodeAt(secret, Date.now()), name: 'My phone' });
    expect(confirmed.status).toBe(200);
    const codesPage = await confirmed.text();
    expect(codesPage.match(/<li><code>[a-z2-9]{5}-[a-z2-9]{5}<\/code><\/li>/g)).toHaveLength(10);
    const continueUrl = new URL(/href="([^"]+)">I have saved them/.exec(codesPage)![1]!.replace(/&amp;/g, '&'), keyward.issuer);
    const tokens = await finish(agent, strict, started, continueUrl);
    expect(tokens.claims()!.amr).toEqual(['pwd', 'otp', 'mfa']);
    await keyward.flushMail();
    expect(mailsTo(mail, 'strict@example.com').some((m) => /Sign-in settings/.test(m.subject) && /My phone/.test(m.text))).toBe(true);
  });

  it('makes an account with a role in MFA_REQUIRED_ROLES enrol, and leaves other roles alone', async () => {
    await createAccount(keyward, 'admin@example.com', ['admin']);
    await createAccount(keyward, 'editor@example.com', ['editor']);
    const admin = await passwordStep(new UserAgent(), (await startAuthorization(rp)).url, { email: 'admin@example.com', password: PASSWORD });
    expect(admin.next!.pathname).toBe(`/interaction/${admin.uid}/enrol`);
    const editor = await passwordStep(new UserAgent(), (await startAuthorization(rp)).url, { email: 'editor@example.com', password: PASSWORD });
    expect(editor.next!.pathname).not.toContain('/interaction/');
  });

  it('keeps the second factor through a password reset: a mailbox alone never signs in', async () => {
    await createAccount(keyward, 'reset@example.com');
    const secret = await enrolTotp(keyward, 'reset@example.com');
    const agent = new UserAgent();
    const forgot = `${keyward.issuer}/forgot-password`;
    await agent.postForm(forgot, { _csrf: csrfTokenIn(await (await agent.get(forgot)).text()), email: 'reset@example.com' });
    await keyward.flushMail();
    const link = mailsTo(mail, 'reset@example.com').filter((m) => /Reset your/.test(m.subject)).at(-1)!.link!;
    const token = new URL(link).searchParams.get('token')!;
    const reset = await agent.postForm(link.split('?')[0]!, { _csrf: csrfTokenIn(await (await agent.get(link)).text()), token, password: 'a brand new long password', password_confirmation: 'a brand new long password' });
    expect(reset.status).toBe(200);
    const after = await passwordStep(new UserAgent(), (await startAuthorization(rp)).url, { email: 'reset@example.com', password: 'a brand new long password' });
    expect(after.next!.pathname).toBe(`/interaction/${after.uid}/second-factor`);
    expect(nextCode(secret)).toMatch(/^\d{6}$/);
  });

  it('honours max_age: an old session signs in again, with both factors', async () => {
    await createAccount(keyward, 'maxage@example.com');
    const secret = await enrolTotp(keyward, 'maxage@example.com');
    const agent = new UserAgent();
    const first = await startAuthorization(rp);
    const step = await passwordStep(agent, first.url, { email: 'maxage@example.com', password: PASSWORD });
    const done = await submitStep(agent, step.next!, `/interaction/${step.uid}/second-factor/totp`, { code: nextCode(secret) });
    await finish(agent, rp, first, locationOf(done, keyward.issuer));
    await ageSessions(keyward, 'maxage@example.com', 120);
    const again = await startAuthorization(rp, 'openid', { max_age: '60' });
    const interaction = locationOf(await agent.get(again.url), keyward.issuer);
    const page = await agent.get(interaction);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(`/interaction/${interaction.pathname.split('/')[2]}/login`);
  });

  it('steps up: a browser signed in with a password is asked only for the code when the client sends acr_values for mfa', async () => {
    await createAccount(keyward, 'stepup@example.com');
    const agent = new UserAgent();
    const first = await startAuthorization(rp);
    const { next } = await passwordStep(agent, first.url, { email: 'stepup@example.com', password: PASSWORD });
    const oneFactor = await finish(agent, rp, first, next!);
    expect(oneFactor.claims()!.acr).toBe(ACR_ONE_FACTOR);
    const secret = await enrolTotp(keyward, 'stepup@example.com');

    // Without acr_values the session is enough: no prompt.
    const quiet = await startAuthorization(rp);
    const quietRedirect = locationOf(await agent.get(quiet.url), keyward.issuer);
    expect(quietRedirect.origin).toBe('http://localhost:8080');

    const stepUp = await startAuthorization(rp, 'openid', { acr_values: ACR_MULTI_FACTOR });
    const interaction = locationOf(await agent.get(stepUp.url), keyward.issuer);
    const secondStep = locationOf(await agent.get(interaction), keyward.issuer);
    expect(secondStep.pathname).toMatch(/\/second-factor$/);
    const uid = secondStep.pathname.split('/')[2]!;
    const done = await submitStep(agent, secondStep, `/interaction/${uid}/second-factor/totp`, { code: nextCode(secret) });
    const tokens = await finish(agent, rp, stepUp, locationOf(done, keyward.issuer));
    expect(tokens.claims()!.acr).toBe(ACR_MULTI_FACTOR);
    expect(tokens.claims()!.amr).toEqual(['pwd', 'otp', 'mfa']);
    expect(decodeJwt(tokens.id_token!).sub).toBe(oneFactor.claims()!.sub);
  });
});

describe('multi-factor sign-in (MFA_POLICY=required)', () => {
  let keyward: TestKeyward;
  let rp: oidc.Configuration;

  beforeAll(async () => {
    keyward = await startTestKeyward({ env: { MFA_POLICY: 'required' } });
    rp = await discoverTestClient(keyward.issuer);
  });
  afterAll(async () => keyward?.stop());

  it('sends an account without a second factor to enrolment, and refuses to remove its last factor afterwards', async () => {
    await createAccount(keyward, 'must@example.com');
    const started = await startAuthorization(rp);
    const agent = new UserAgent();
    const { next, uid } = await passwordStep(agent, started.url, { email: 'must@example.com', password: PASSWORD });
    expect(next!.pathname).toBe(`/interaction/${uid}/enrol`);
    // Nothing was finished: the app gets no code before the enrolment.
    const resume = await agent.get(`${keyward.issuer}/auth/${uid}`);
    expect(resume.headers.get('location') ?? '').not.toContain('code=');

    const { container } = keyward.running;
    const account = (await container.stores.accounts.findByEmail('must@example.com'))!;
    const secret = await enrolTotp(keyward, 'must@example.com');
    const [app] = await container.mfa.authenticators.list(account.id);
    expect(await container.mfa.authenticators.remove(account, app!.id, { ip: '127.0.0.9', userAgent: 'test' })).toBe('last_factor_required');
    expect(secret).toMatch(/^[A-Z2-7]+$/);
  });
});
