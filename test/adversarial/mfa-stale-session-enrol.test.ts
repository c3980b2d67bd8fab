import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as oidc from 'openid-client';
import { ACR_MULTI_FACTOR } from '../../src/services/mfa/mfa-policy.ts';
import { totpCodeAt } from '../../src/services/mfa/totp.ts';
import { ageSessions } from '../helpers/mfa-flow.ts';
import { discoverTestClient, redeem, startAuthorization } from '../helpers/relying-party.ts';
import { SoftAuthenticator } from '../helpers/soft-authenticator.ts';
import { startTestKeyward, type TestKeyward } from '../helpers/test-server.ts';
import { csrfTokenIn, locationOf, signInAndConsent, UserAgent } from '../helpers/user-agent.ts';
import { createVerifiedAccount } from '../helpers/accounts.ts';

const PASSWORD = 'correct horse battery staple 42';

/**
 * Sudo mode ("recent authentication") exists for someone who holds a signed-in browser but not
 * the password: a stolen session cookie, a shared computer. Adding a passkey from
 * /account/security then needs the password again. The step-up path must not be a way round
 * it: a request with acr_values=urn:keyward:acr:mfa (any client; the attacker writes the URL)
 * makes a one-factor session of an account without a second factor "enrol" one — with no first
 * factor given now, only the stale session.
 */
describe('step-up enrolment from a stale one-factor session', () => {
  let keyward: TestKeyward;
  let rp: oidc.Configuration;
  beforeAll(async () => {
    keyward = await startTestKeyward();
    rp = await discoverTestClient(keyward.issuer);
  });
  afterAll(async () => keyward?.stop());
  const url = (path: string) => `${keyward.issuer}${path}`;

  it('does not let a session older than the recent-authentication window add a passkey through the sign-in enrolment step', async () => {
    const email = 'left-signed-in@example.com';
    const { container } = keyward.running;
    const account = await createVerifiedAccount(keyward, email, PASSWORD);

    // The owner signs in with a password (MFA_POLICY=optional, no second factor) and walks away.
    const browser = new UserAgent();
    const first = await startAuthorization(rp);
    await redeem(rp, first, await signInAndConsent(browser, first.url, { email, password: PASSWORD }));
    await ageSessions(keyward, email, 60 * 60);

    // Baseline: the account page asks for the password before a passkey can be added.
    const csrf = csrfTokenIn(await (await browser.get(url('/account/security'))).text());
    const guarded = await browser.postForm(url('/account/security/passkey/options'), { _csrf: csrf });
    expect(guarded.status).toBe(303);
    expect(guarded.headers.get('location')).toBe('/account/reauthenticate');

    // The attacker at that browser: an authorization request asking for the multi-factor ACR.
    const stepUp = await startAuthorization(rp, 'openid', { acr_values: ACR_MULTI_FACTOR });
    const interaction = locationOf(await browser.get(stepUp.url), keyward.issuer);
    const uid = interaction.pathname.split('/')[2]!;
    const next = await browser.get(interaction);
    const landing = next.status === 303 ? locationOf(next, keyward.issuer).pathname : interaction.pathname;

    // What happens today: straight to /interaction/<uid>/enrol, no password asked.
    if (landing === `/interaction/${uid}/enrol`) {
      const page = await browser.get(url(landing));
      const pageCsrf = csrfTokenIn(await page.text());
      const options = await (await browser.postForm(url(`/interaction/${uid}/enrol/passkey/options`), { _csrf: pageCsrf })).json() as Parameters<SoftAuthenticator['register']>[0];
      const attackerKey = new SoftAuthenticator(keyward.issuer);
      await browser.postForm(url(`/interaction/${uid}/enrol/passkey`), { _csrf: pageCsrf, name: 'attacker', credential: JSON.stringify(attackerKey.register(options)) });
    }

    // The attacker's passkey must not be on the owner's account (it would sign in with no password,
    // and lock the owner out behind a second factor they do not have).
    expect((await container.stores.authenticators.listForAccount(account.id)).filter((a) => a.confirmed).map((a) => a.name)).toEqual([]);
    // And the stale session must not have become a "recent" one.
    const after = await browser.postForm(url('/account/security/passkey/options'), { _csrf: csrfTokenIn(await (await browser.get(url('/account/security'))).text()) });
    expect(after.status).toBe(303);
  });

  it('does not turn a stale session into a fresh two-factor one (sudo mode, max_age, auth_time) through the enrolment step', async () => {
    const email = 'left-signed-in-2@example.com';
    await createVerifiedAccount(keyward, email, PASSWORD);
    const browser = new UserAgent();
    const first = await startAuthorization(rp);
    const before = await redeem(rp, first, await signInAndConsent(browser, first.url, { email, password: PASSWORD }));
    await ageSessions(keyward, email, 60 * 60);

    const stepUp = await startAuthorization(rp, 'openid', { acr_values: ACR_MULTI_FACTOR });
    const interaction = locationOf(await browser.get(stepUp.url), keyward.issuer);
    const uid = interaction.pathname.split('/')[2]!;
    const next = await browser.get(interaction);
    if (next.status === 303 && locationOf(next, keyward.issuer).pathname === `/interaction/${uid}/enrol`) {
      // The attacker enrols an authenticator app of their own and lets the sign-in finish.
      const html = await (await browser.get(url(`/interaction/${uid}/enrol`))).text();
      const secret = /Key: <code>([A-Z2-7 ]+)<\/code>/.exec(html)![1]!.replace(/ /g, '');
      const id = /name="id" value="([^"]+)"/.exec(html)![1]!;
      const enrolled = await browser.postForm(url(`/interaction/${uid}/enrol/totp`), { _csrf: csrfTokenIn(html), id, code: totpCodeAt(secret, Date.now()), name: 'attacker' });
      const continueUrl = new URL(/href="([^"]+)">I have saved them/.exec(await enrolled.text())![1]!.replace(/&amp;/g, '&'), keyward.issuer);
      const tokens = await redeem(rp, stepUp, await signInAndConsent(browser, continueUrl, { email: 'x', password: 'x' }));
      // What the relying party is told: a password and a code, just now.
      console.log('ID token after step-up enrolment from a one-hour-old session:', JSON.stringify({ amr: tokens.claims()!.amr, acr: tokens.claims()!.acr, session_signed_in_at: Number(before.claims()!.auth_time) - 3600, auth_time_now: tokens.claims()!.auth_time }));
    }

    // Secure: the session is as old as its last first factor, so changes still need the password.
    const csrf = csrfTokenIn(await (await browser.get(url('/account/security'))).text());
    const options = await browser.postForm(url('/account/security/passkey/options'), { _csrf: csrf });
    expect(options.status).toBe(303);
    // And an RP's max_age=600 still makes this browser sign in again.
    const fresh = await startAuthorization(rp, 'openid', { max_age: '600' });
    expect(locationOf(await browser.get(fresh.url), keyward.issuer).pathname).toMatch(/^\/interaction\//);
  });
});
