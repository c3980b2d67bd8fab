import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as oidc from 'openid-client';
import { backendsForTests } from '../helpers/backends.ts';
import { enrolTotp, nextCode, passwordStep, submitStep } from '../helpers/mfa-flow.ts';
import { discoverTestClient, redeem, startAuthorization } from '../helpers/relying-party.ts';
import { startTestKeyward, type TestKeyward } from '../helpers/test-server.ts';
import { csrfTokenIn, locationOf, signInAndConsent, UserAgent } from '../helpers/user-agent.ts';
import { createVerifiedAccount } from '../helpers/accounts.ts';

const PASSWORD = 'correct horse battery staple 42';

/**
 * MFA_POLICY=required: "refused for the last second factor". remove() reads the list, decides,
 * then deletes: two removals of two different factors at once each see two and both delete.
 */
describe.each(backendsForTests())('removing the last factor under MFA_POLICY=required, by racing two removals (%s)', (_name, backend) => {
  let keyward: TestKeyward;
  let rp: oidc.Configuration;
  beforeAll(async () => {
    await backend.start();
    keyward = await startTestKeyward({ env: { ...(await backend.freshDatabase()), MFA_POLICY: 'required' } });
    rp = await discoverTestClient(keyward.issuer);
  });
  afterAll(async () => {
    await keyward?.stop();
    await backend.stop();
  });
  const url = (path: string) => `${keyward.issuer}${path}`;

  it('service level: two concurrent removals leave the account with at least one factor', async () => {
    const email = 'two-apps-service@example.com';
    const { container } = keyward.running;
    await createVerifiedAccount(keyward, email, PASSWORD);
    await enrolTotp(keyward, email);
    await enrolTotp(keyward, email);
    const account = (await container.stores.accounts.findByEmail(email))!;
    const [a, b] = await container.mfa.authenticators.list(account.id);
    const origin = { ip: '127.0.0.9', userAgent: 'test' };
    const results = await Promise.all([container.mfa.authenticators.remove(account, a!.id, origin), container.mfa.authenticators.remove(account, b!.id, origin)]);
    expect(results.filter((r) => r === 'removed').length).toBeLessThanOrEqual(1);
    expect((await container.mfa.authenticators.list(account.id)).length).toBeGreaterThanOrEqual(1);
  });

  it('over HTTP: two concurrent removal posts leave the account with at least one factor', async () => {
    const email = 'two-apps-http@example.com';
    const { container } = keyward.running;
    await createVerifiedAccount(keyward, email, PASSWORD);
    const secret = await enrolTotp(keyward, email);
    await enrolTotp(keyward, email);
    const account = (await container.stores.accounts.findByEmail(email))!;

    const agent = new UserAgent();
    const started = await startAuthorization(rp);
    const { next, uid } = await passwordStep(agent, started.url, { email, password: PASSWORD });
    const done = await submitStep(agent, next!, `/interaction/${uid}/second-factor/totp`, { code: nextCode(secret) });
    await redeem(rp, started, await signInAndConsent(agent, locationOf(done, keyward.issuer), { email, password: PASSWORD }));

    const [a, b] = await container.mfa.authenticators.list(account.id);
    const csrf = csrfTokenIn(await (await agent.get(url('/account/security'))).text());
    const statuses = (await Promise.all([a!, b!].map((f) => agent.postForm(url('/account/security/authenticators/remove'), { _csrf: csrf, id: f.id })))).map((r) => r.status);
    expect(statuses.filter((s) => s === 303).length).toBeLessThanOrEqual(1);
    expect((await container.mfa.authenticators.list(account.id)).length).toBeGreaterThanOrEqual(1);
  });
});
