import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as oidc from 'openid-client';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { FakeClock } from '../helpers/fake-clock.ts';
import { launchBrowser, screenshot, expectAccessible } from '../helpers/browser.ts';
import { latestLink } from '../helpers/mailbox.ts';
import { discoverTestClient, redeem, startAuthorization, type StartedAuthorization } from '../helpers/relying-party.ts';
import { startTestKeyward, type TestKeyward } from '../helpers/test-server.ts';
import { tempDir } from '../helpers/temp-dir.ts';


describe('hosted pages in a real browser', () => {
  let keyward: TestKeyward;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let rp: oidc.Configuration;
  let appServer: Server;
  let app: { client_id: string; kind: string; client_name: string; client_secret: string; redirect_uris: string[]; post_logout_redirect_uris: string[] };
  let CALLBACK: string;
  let SIGNED_OUT: string;
  const clock = new FakeClock(Date.now());
  const mailDirectory = tempDir('keyward-mail-');
  const email = 'ada@example.com';
  const password = 'correct horse battery staple';
  const newPassword = 'a brand new passphrase for ada';

  beforeAll(async () => {
    // The app the browser returns to: a page on 127.0.0.1 that just says so.
    appServer = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('back in the app'));
    appServer.listen(0, '127.0.0.1');
    await once(appServer, 'listening');
    const appOrigin = `http://127.0.0.1:${(appServer.address() as { port: number }).port}`;
    CALLBACK = `${appOrigin}/callback`;
    SIGNED_OUT = `${appOrigin}/signed-out`;
    app = { client_id: 'browser-app', kind: 'web', client_name: 'Browser Test App', client_secret: 'browser-app-secret-0123456789abcdef012345', redirect_uris: [CALLBACK], post_logout_redirect_uris: [SIGNED_OUT] };
    keyward = await startTestKeyward({
      clock,
      registry: { clients: [app] },
      env: { MAIL_DIRECTORY: mailDirectory, REQUIRE_VERIFIED_EMAIL: 'true', THROTTLE_SIGN_IN_PER_ACCOUNT: '3', THROTTLE_SIGN_IN_WINDOW_SECONDS: '600' },
    });
    rp = await discoverTestClient(keyward.issuer, app);
    browser = await launchBrowser();
    context = await browser.newContext();
    page = await context.newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await keyward?.stop();
    appServer?.close();
  });

  const authorize = async (): Promise<StartedAuthorization> => {
    const started = await startAuthorization(rp, 'openid email profile');
    await page.goto(started.url.href);
    return started;
  };
  /** Clicks and waits for the page the click leads to (every button and link here navigates). */
  const follow = async (selector: string) => {
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click(selector)]);
  };
  const heading = async () => (await page.locator('h1').textContent())?.trim();
  const errorSummary = async () => ((await page.locator('.error-summary').count()) > 0 ? await page.locator('.error-summary').textContent() : '');
  const signIn = async (withPassword: string) => {
    await page.fill('#email', email);
    await page.fill('#password', withPassword);
    await follow('button:has-text("Sign in")');
  };

  it('creates an account, confirms the email from the mail folder, signs in, consents, and the client gets a code', async () => {
    const started = await authorize();
    expect(await heading()).toBe('Sign in');
    await screenshot(page, '01-sign-in');
    await expectAccessible(page);

    await follow('text=Create an account');
    expect(await heading()).toBe('Create your account');
    await screenshot(page, '02-create-account');
    await expectAccessible(page);
    await page.fill('#name', 'Ada Lovelace');
    await page.fill('#email', email);
    await page.fill('#password', 'password1');
    await follow('button:has-text("Create account")');
    expect(await errorSummary()).toContain('too common');
    await screenshot(page, '03-create-account-errors');
    await expectAccessible(page);
    await page.fill('#password', password);
    await follow('button:has-text("Create account")');
    expect(await heading()).toBe('Check your email');
    await screenshot(page, '04-check-email');

    // Signing in before confirming is refused.
    await follow('text=Back to sign in');
    await signIn(password);
    expect(await errorSummary()).toContain('Confirm your email address first');

    await keyward.flushMail();
    await page.goto(latestLink(mailDirectory, email, /Confirm your email/));
    await screenshot(page, '05-confirm-email');
    await expectAccessible(page);
    await page.fill('#password', password);
    await follow('button:has-text("Confirm my email")');
    expect(await heading()).toBe('Email confirmed');
    await screenshot(page, '06-email-confirmed');

    await page.goto(started.url.href);
    await signIn(password);
    expect(await heading()).toBe(`Allow ${app.client_name}?`);
    expect(await page.locator('.shared').textContent()).toContain(email);
    await screenshot(page, '07-consent');
    await expectAccessible(page);
    const callback = page.waitForURL((url) => url.href.startsWith(CALLBACK));
    await page.click('button:has-text("Allow")');
    await callback;
    const tokens = await redeem(rp, started, new URL(page.url()));
    const account = await keyward.running.container.stores.accounts.findByEmail(email);
    expect(tokens.claims()!.sub).toBe(account!.id);
    expect(await oidc.fetchUserInfo(rp, tokens.access_token, account!.id)).toMatchObject({ email, email_verified: true, name: 'Ada Lovelace' });
  });

  it('shows a wrong password as an error, locks the account after the limit, and lets it in again after the wait', async () => {
    await context.clearCookies();
    await authorize();
    await signIn('not the password');
    expect(await errorSummary()).toContain('The email or password is incorrect.');
    await screenshot(page, '08-wrong-password');
    await expectAccessible(page);
    await signIn('not the password either');
    await signIn('still not the password');
    await signIn(password);
    expect(await errorSummary()).toContain('Too many attempts');
    await screenshot(page, '09-locked-out');
    clock.advance(601_000);
    // Consent was given in the first test and is remembered: straight back to the app.
    const callback = page.waitForURL((url) => url.href.startsWith(CALLBACK), { timeout: 10_000 });
    await page.fill('#email', email);
    await page.fill('#password', password);
    await page.click('button:has-text("Sign in")');
    await callback;
    const audited = await keyward.running.container.stores.audit.list({ event: 'lockout', limit: 5 });
    expect(audited).toHaveLength(1);
  });

  it('resets a forgotten password through the mailed link, and the old password stops working', async () => {
    await context.clearCookies();
    await authorize();
    await follow('text=Forgot your password?');
    expect(await heading()).toBe('Reset your password');
    await screenshot(page, '10-forgot-password');
    await expectAccessible(page);
    await page.fill('#email', email);
    await follow('button:has-text("Send the link")');
    expect(await heading()).toBe('Check your email');

    await keyward.flushMail();
    await page.goto(latestLink(mailDirectory, email, /Reset your/));
    expect(await heading()).toBe('Choose a new password');
    await screenshot(page, '11-reset-password');
    await expectAccessible(page);
    await page.fill('#password', newPassword);
    await page.fill('#password_confirmation', 'something else entirely');
    await follow('button:has-text("Change password")');
    expect(await errorSummary()).toContain('not the same');
    await page.fill('#password', newPassword);
    await page.fill('#password_confirmation', newPassword);
    await follow('button:has-text("Change password")');
    expect(await heading()).toBe('Password changed');
    await screenshot(page, '12-password-changed');

    await authorize();
    await signIn(password);
    expect(await errorSummary()).toContain('incorrect');
    await signIn(newPassword);
    expect(await heading()).toBe(`Allow ${app.client_name}?`);
  });

  it('signs out through the confirmation page', async () => {
    await context.clearCookies();
    const started = await authorize();
    await signIn(newPassword);
    const callback = page.waitForURL((url) => url.href.startsWith(CALLBACK));
    await page.click('button:has-text("Allow")');
    await callback;
    const tokens = await redeem(rp, started, new URL(page.url()));
    await page.goto(oidc.buildEndSessionUrl(rp, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: SIGNED_OUT }).href);
    expect(await heading()).toBe('Sign out?');
    await screenshot(page, '13-sign-out');
    await expectAccessible(page);
    const signedOut = page.waitForURL((url) => url.href.startsWith(SIGNED_OUT));
    await page.click('button:has-text("Yes, sign me out")');
    await signedOut;
    const audited = await keyward.running.container.stores.audit.list({ event: 'sign_out', limit: 5 });
    expect(audited[0]).toMatchObject({ outcome: 'success' });
  });

  it('shows a friendly error page for an expired sign-in, and works on a 360 px phone', async () => {
    await page.goto(`${keyward.issuer}/interaction/expired-or-unknown`);
    expect(await heading()).toBe('Something went wrong');
    expect(await page.locator('.request-id').textContent()).toContain('Request id');
    await screenshot(page, '14-error');
    await expectAccessible(page);
    await page.setViewportSize({ width: 360, height: 740 });
    await authorize();
    const overflow = await page.evaluate('document.documentElement.scrollWidth > window.innerWidth');
    expect(overflow).toBe(false);
    await screenshot(page, '15-sign-in-phone');
  });

  it('sends every page with a CSP that forbids inline script and framing', async () => {
    const response = await page.goto(`${keyward.issuer}/forgot-password`);
    const csp = response!.headers()['content-security-policy']!;
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(await page.locator('script').count()).toBe(0);
    expect(response!.headers()['x-frame-options']).toBe('DENY');
  });
});
