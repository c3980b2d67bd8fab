import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as oidc from 'openid-client';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { DEMO_ACCOUNT } from '../../src/services/demo-data.service.ts';
import { totpCodeAt } from '../../src/services/mfa/totp.ts';
import { launchBrowser, screenshot, expectAccessible, heading, follow } from '../helpers/browser.ts';
import { latestLink } from '../helpers/mailbox.ts';
import { discoverTestClient, redeem, startAuthorization } from '../helpers/relying-party.ts';
import { freePort, startTestKeyward, type TestKeyward } from '../helpers/test-server.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { startUpstreamProvider } from '../helpers/upstreams.ts';

/**
 * The look of every hosted page: each is screenshotted at a phone's and a laptop's width, in
 * light and dark mode, and checked with axe in both schemes. At 390 px nothing may stick out
 * sideways and the card must be the whole screen (no band of page background below it).
 */

const TEST_TIMEOUT_MS = 120_000;
const SCHEMES = ['light', 'dark'] as const;

/** At a phone's width: no sideways scrolling, and the card's background reaches the bottom of the screen. */
async function expectPhoneLayout(page: Page, where: string): Promise<void> {
  // A string: the test's TypeScript has no DOM types.
  const layout = await page.evaluate(`(() => {
    const background = (selector) => getComputedStyle(document.querySelector(selector)).backgroundColor;
    const wrapper = document.querySelector('.page').getBoundingClientRect();
    return {
      overflow: document.documentElement.scrollWidth > window.innerWidth,
      tallEnough: document.documentElement.scrollHeight >= window.innerHeight && wrapper.bottom + window.scrollY >= window.innerHeight,
      sameBackground: background('.card') === background('.page') && background('.card') === background('html'),
      cardWidth: document.querySelector('.card').getBoundingClientRect().width,
    };
  })()`) as Record<string, unknown>;
  expect({ where, ...layout }).toEqual({ where, overflow: false, tallEnough: true, sameBackground: true, cardWidth: 390 });
}

/** Screenshots at 390 and 1280 px in light and dark mode, with axe in each scheme. */
async function inspect(page: Page, name: string): Promise<void> {
  for (const colorScheme of SCHEMES) {
    await page.emulateMedia({ colorScheme });
    await page.setViewportSize({ width: 390, height: 844 });
    await expectPhoneLayout(page, `${name} (${colorScheme})`);
    await screenshot(page, `design-${name}-390-${colorScheme}`);
    await expectAccessible(page, `${name} (${colorScheme})`);
    await page.setViewportSize({ width: 1280, height: 800 });
    await screenshot(page, `design-${name}-1280-${colorScheme}`);
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

describe('the hosted pages at 390 and 1280 px, in light and dark mode', () => {
  let keyward: TestKeyward;
  let browser: Browser;
  let appServer: Server;
  let google: Awaited<ReturnType<typeof startUpstreamProvider>>;
  let plainRp: oidc.Configuration;
  let brandedRp: oidc.Configuration;
  let callback: string;
  const contexts: BrowserContext[] = [];
  const mailDirectory = tempDir('keyward-design-mail-');
  const newcomer = { email: 'newcomer@example.com', password: 'a long and unusual passphrase' };
  let totpSecret: string;

  beforeAll(async () => {
    appServer = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('back in the app'));
    appServer.listen(0, '127.0.0.1');
    await once(appServer, 'listening');
    callback = `http://127.0.0.1:${(appServer.address() as { port: number }).port}/callback`;
    const port = await freePort();
    google = await startUpstreamProvider(() => `http://127.0.0.1:${port}/federation/callback/google`);
    const plain = { client_id: 'plain-app', kind: 'web', client_name: 'Plain App', client_secret: 'plain-app-secret-0123456789abcdef0123456789', redirect_uris: [callback] };
    // Its own logo and accent colour, and a second factor for every sign-in (enrolment, second-factor pages).
    const branded = {
      client_id: 'branded-app', kind: 'web', client_name: 'Branded App', client_secret: 'branded-app-secret-0123456789abcdef0123456789', redirect_uris: [callback],
      logo_uri: `http://127.0.0.1:${port}/assets/icons/openid.svg`, accent_color: '#0f766e', require_mfa: true,
    };
    keyward = await startTestKeyward({
      port,
      registry: { clients: [plain, branded] },
      env: {
        MAIL_DIRECTORY: mailDirectory,
        PRIVACY_URL: 'https://example.com/privacy', TERMS_URL: 'https://example.com/terms', SUPPORT_URL: '/account',
        GOOGLE_CLIENT_ID: google.client.id, GOOGLE_CLIENT_SECRET: google.client.secret, GOOGLE_ISSUER: google.issuer,
      },
    });
    plainRp = await discoverTestClient(keyward.issuer, plain);
    brandedRp = await discoverTestClient(keyward.issuer, branded);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await keyward?.stop();
    await google?.close();
    appServer?.close();
  });

  const freshPage = async (): Promise<Page> => {
    const context = await browser.newContext();
    context.setDefaultTimeout(15_000);
    contexts.push(context);
    return context.newPage();
  };
  const signIn = async (page: Page, email: string, password: string) => {
    await page.fill('#email', email);
    await page.fill('#password', password);
    await follow(page, 'button:has-text("Sign in")');
  };

  it('sign-in, create account, check email, confirm email, forgot and reset password', async () => {
    const page = await freshPage();
    await page.goto((await startAuthorization(plainRp, 'openid email profile')).url.href);
    expect(await heading(page)).toBe('Sign in');
    // The request id is for error pages only.
    expect(await page.locator('.request-id').count()).toBe(0);
    expect(await page.locator('.site-footer .footer-links a').allTextContents()).toEqual(['Privacy', 'Terms', 'Help']);
    expect(await page.locator('.site-footer .language-switcher a').allTextContents()).toEqual(['English', 'Français', 'Deutsch']);
    expect(await page.locator('.language-switcher a[aria-current]').textContent()).toBe('English');
    expect(await page.locator('link[rel=icon]').getAttribute('href')).toBe('/assets/favicon.svg');
    await inspect(page, 'sign-in');

    await follow(page, 'text=Create an account');
    await inspect(page, 'create-account');
    await page.fill('#email', newcomer.email);
    await page.fill('#password', 'password1');
    await follow(page, 'button:has-text("Create account")');
    expect(await page.locator('.error-summary').textContent()).toContain('too common');
    await inspect(page, 'create-account-errors');
    await page.fill('#password', newcomer.password);
    await follow(page, 'button:has-text("Create account")');
    expect(await heading(page)).toBe('Check your email');
    await inspect(page, 'check-email');

    await keyward.flushMail();
    await page.goto(latestLink(mailDirectory, newcomer.email, /Confirm your email/));
    await inspect(page, 'confirm-email');
    await page.fill('#password', newcomer.password);
    await follow(page, 'button:has-text("Confirm my email")');
    expect(await heading(page)).toBe('Email confirmed');
    await inspect(page, 'email-confirmed');

    await page.goto(`${keyward.issuer}/forgot-password`);
    await inspect(page, 'forgot-password');
    await page.fill('#email', newcomer.email);
    await follow(page, 'button:has-text("Send the link")');
    await keyward.flushMail();
    await page.goto(latestLink(mailDirectory, newcomer.email, /Reset your/));
    expect(await heading(page)).toBe('Choose a new password');
    await inspect(page, 'reset-password');
  }, TEST_TIMEOUT_MS);

  it('the show-password button works with the keyboard, and is only a button when JavaScript runs', async () => {
    const page = await freshPage();
    await page.goto((await startAuthorization(plainRp)).url.href);
    const toggle = page.locator('button.password-toggle');
    expect(await toggle.getAttribute('aria-controls')).toBe('password');
    expect(await toggle.getAttribute('aria-pressed')).toBe('false');
    expect((await toggle.textContent())?.trim()).toBe('Show password');
    await page.fill('#password', 'secret words');
    await page.focus('#password');
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement.className')).toBe('password-toggle');
    await page.keyboard.press('Space');
    expect(await page.locator('#password').getAttribute('type')).toBe('text');
    expect(await toggle.getAttribute('aria-pressed')).toBe('true');
    await screenshot(page, 'design-password-shown');
    await page.keyboard.press('Enter');
    expect(await page.locator('#password').getAttribute('type')).toBe('password');
    expect(await toggle.getAttribute('aria-pressed')).toBe('false');
    expect(await page.inputValue('#password')).toBe('secret words');

    const noScript = await browser.newContext({ javaScriptEnabled: false });
    const plainPage = await noScript.newPage();
    await plainPage.goto((await startAuthorization(plainRp)).url.href);
    expect(await plainPage.locator('#password').getAttribute('type')).toBe('password');
    expect(await plainPage.locator('button.password-toggle').count()).toBe(0);
    await noScript.close();
  }, TEST_TIMEOUT_MS);

  it('consent, the account pages, and the sign-out confirmation', async () => {
    const page = await freshPage();
    const started = await startAuthorization(plainRp, 'openid email profile');
    await page.goto(started.url.href);
    await signIn(page, DEMO_ACCOUNT.email, DEMO_ACCOUNT.password);
    expect(await heading(page)).toBe('Allow Plain App?');
    await inspect(page, 'consent');
    await follow(page, 'button:has-text("Allow")');
    const tokens = await redeem(plainRp, started, new URL(page.url()));

    for (const [path, name] of [['', 'account'], ['/security', 'account-security'], ['/sessions', 'account-sessions'], ['/apps', 'account-apps'], ['/password', 'account-password'], ['/delete', 'account-delete'], ['/reauthenticate', 'reauthenticate']] as const) {
      await page.goto(`${keyward.issuer}/account${path}`);
      expect(new URL(page.url()).pathname).toBe(`/account${path}`);
      await inspect(page, name);
    }

    await page.goto(oidc.buildEndSessionUrl(plainRp, { id_token_hint: tokens.id_token! }).href);
    expect(await heading(page)).toBe('Sign out?');
    await inspect(page, 'sign-out');
    await follow(page, 'button:has-text("Yes, sign me out")');
    expect(await heading(page)).toBe('You are signed out');
    await inspect(page, 'signed-out');
  }, TEST_TIMEOUT_MS);

  it('a client\'s logo and accent colour on its sign-in page, enrolment and the second factor', async () => {
    const page = await freshPage();
    await page.goto((await startAuthorization(brandedRp, 'openid email')).url.href);
    expect(await page.locator('.lead img.client-logo-inline').getAttribute('src')).toContain('/assets/icons/openid.svg');
    const theme = await page.locator('link[href^="/assets/client-theme/"]').getAttribute('href');
    expect(theme).toBe('/assets/client-theme/branded-app.css');
    expect(await (await page.request.get(`${keyward.issuer}${theme}`)).text()).toBe(':root { --accent: #0f766e; }\n');
    expect((await page.request.get(`${keyward.issuer}/assets/client-theme/plain-app.css`)).status()).toBe(404);
    expect(await page.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--accent').trim()")).toBe('#0f766e');
    await inspect(page, 'sign-in-client-logo');

    await signIn(page, newcomer.email, newcomer.password);
    expect(await heading(page)).toBe('Set up two-step verification');
    await inspect(page, 'enrol');
    totpSecret = (await page.locator('.secret code').textContent())!.replace(/\s+/g, '');
    await page.fill('#code', totpCodeAt(totpSecret, Date.now()));
    await follow(page, 'button:has-text("Turn on")');
    expect(await heading(page)).toBe('Save your recovery codes');
    await inspect(page, 'recovery-codes');
    await follow(page, 'a:has-text("I have saved them, continue")');
    expect(await heading(page)).toBe('Allow Branded App?');
    await inspect(page, 'consent-client-logo');

    const second = await freshPage();
    await second.goto((await startAuthorization(brandedRp, 'openid email')).url.href);
    await signIn(second, newcomer.email, newcomer.password);
    expect(await heading(second)).toBe('Two-step verification');
    expect(await second.locator('link[href="/assets/client-theme/branded-app.css"]').count()).toBe(1);
    await inspect(second, 'second-factor');
  }, TEST_TIMEOUT_MS);

  it('error pages show the request id and a way on', async () => {
    const page = await freshPage();
    await page.goto(`${keyward.issuer}/interaction/expired-or-unknown`);
    expect(await heading(page)).toBe('Something went wrong');
    expect(await page.locator('.request-id').textContent()).toMatch(/Request id: \S+/);
    expect(await page.locator('main a.button').getAttribute('href')).toBe('/account');
    await inspect(page, 'error');

    await page.goto(`${keyward.issuer}/federation/callback/google`);
    expect(await heading(page)).toBe('Sign-in did not work');
    expect(await page.locator('.request-id').count()).toBe(1);
    expect(await page.locator('main a.button').count()).toBe(1);
    await inspect(page, 'federation-error');

    // oidc-provider's own error page (an unknown client): the request id, and the account page as a way on.
    await page.goto(`${keyward.issuer}/auth?client_id=nobody&response_type=code&scope=openid&redirect_uri=${encodeURIComponent(callback)}`);
    expect(await page.locator('.error-code').textContent()).toContain('invalid_client');
    expect(await page.locator('.request-id').count()).toBe(1);
    await inspect(page, 'provider-error');
  }, TEST_TIMEOUT_MS);
});
