import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { DEMO_ACCOUNT } from '../../src/services/demo-data.service.ts';
import { totpCodeAt } from '../../src/services/mfa/totp.ts';
import { createAdmin, type TestAdmin } from '../helpers/admin-console.ts';
import { launchBrowser, screenshot, expectAccessible, heading, follow } from '../helpers/browser.ts';
import { completeCodeFlow, discoverTestClient } from '../helpers/relying-party.ts';
import { postAsClient, startTestKeyward, TEST_WEB_CLIENT, type TestKeyward } from '../helpers/test-server.ts';

/**
 * The admin console in headless Chromium: signing in with an authenticator app, creating a client
 * and re-keying it, disabling a user who holds a refresh token, filtering the audit log. Every
 * page is checked with axe in light and dark mode and screenshotted at 390 and 1280 px.
 */

const STEP_TIMEOUT_MS = 10_000;
const TEST_TIMEOUT_MS = 120_000;

/** axe in light and dark mode; screenshots at 390 px (nothing sticking out sideways) and 1280 px, dark at 1280 too. */
async function inspect(page: Page, name: string): Promise<void> {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    await page.setViewportSize({ width: 390, height: 844 });
    expect({ name, colorScheme, overflow: await page.evaluate('document.documentElement.scrollWidth > window.innerWidth') }).toEqual({ name, colorScheme, overflow: false });
    if (colorScheme === 'light') await screenshot(page, `admin-${name}-390`);
    await expectAccessible(page, `${name} (${colorScheme}, 390 px)`);
    await page.setViewportSize({ width: 1280, height: 800 });
    await screenshot(page, `admin-${name}-1280-${colorScheme}`);
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

describe('the admin console in a browser', () => {
  let keyward: TestKeyward;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let admin: TestAdmin;

  beforeAll(async () => {
    keyward = await startTestKeyward();
    admin = await createAdmin(keyward, 'ops@example.com');
    // A day of sign-ins and failures, a lockout and a refresh-token reuse, for the dashboard.
    const audit = keyward.running.container.stores.audit;
    const now = Date.now();
    for (let hour = 1; hour < 24; hour += 1) {
      for (let i = 0; i < (hour * 7) % 11; i += 1) await audit.record({ at: now - hour * 3_600_000, event: 'sign_in', outcome: 'success', ip: '192.0.2.10' });
      for (let i = 0; i < (hour * 5) % 4; i += 1) await audit.record({ at: now - hour * 3_600_000, event: 'sign_in', outcome: 'failure', ip: '198.51.100.7' });
    }
    await audit.record({ at: now - 2 * 3_600_000, event: 'lockout', outcome: 'blocked', ip: '198.51.100.7', details: { email: 'someone@example.com' } });
    await audit.record({ at: now - 5 * 3_600_000, event: 'refresh_token_reuse', outcome: 'denied', clientId: TEST_WEB_CLIENT.client_id, details: { detectedBy: 'reuse' } });
    browser = await launchBrowser();
    context = await browser.newContext();
    context.setDefaultTimeout(STEP_TIMEOUT_MS);
    page = await context.newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await keyward?.stop();
  });

  it('signs an admin in with the password and the authenticator app, onto the dashboard', async () => {
    await page.goto(`${keyward.issuer}/admin`);
    expect(await heading(page)).toBe('Sign in');
    await page.fill('#email', admin.email);
    await page.fill('#password', admin.password);
    await follow(page, 'button:has-text("Sign in")');
    expect(await heading(page)).toBe('Two-step verification');
    await page.fill('#code', totpCodeAt(admin.totp, Date.now() + 30_000));
    await follow(page, 'button:has-text("Verify")');
    expect(new URL(page.url()).pathname).toBe('/admin');
    expect(await heading(page)).toBe('Dashboard');
    expect(await page.locator('.console-nav a[aria-current=page]').textContent()).toBe('Dashboard');
    expect(await page.locator('svg.chart-svg rect.chart-bar-sign-ins').count()).toBeGreaterThan(10);
    expect(await page.locator('svg.chart-svg rect.chart-bar-failures').count()).toBeGreaterThan(5);
    expect(await page.locator('.audit-table tbody td:nth-child(2) code').allTextContents()).toEqual(['lockout', 'refresh_token_reuse']);
    await inspect(page, 'dashboard');
  }, TEST_TIMEOUT_MS);

  it('creates a client, shows its secret once, and a rotated secret replaces it at the token endpoint', async () => {
    await page.goto(`${keyward.issuer}/admin/clients`);
    expect(await page.locator('.data-table tbody tr', { hasText: 'keyward-admin-console' }).textContent()).toContain('built in');
    await inspect(page, 'clients');
    await follow(page, 'a:has-text("New client")');
    await inspect(page, 'client-new');
    // First an invalid one: the refusal and its problems on the page, the form kept.
    await page.selectOption('#kind', 'web');
    await page.fill('#client_id', 'console-made');
    await page.fill('#client_name', 'Console-made App');
    await follow(page, 'button:has-text("Create client")');
    expect(await page.locator('.error-summary').textContent()).toContain('redirect_uris');
    expect(await page.inputValue('#client_id')).toBe('console-made');
    await inspect(page, 'client-new-refused');
    await page.fill('#redirect_uris', 'https://app.example.com/callback\nhttps://app.example.com/other');
    await page.check('#first_party');
    await follow(page, 'button:has-text("Create client")');
    expect(await heading(page)).toBe('Client secret');
    const first = (await page.locator('#client-secret').textContent())!.trim();
    await inspect(page, 'client-secret');

    const probe = (secret: string) => postAsClient(`${keyward.issuer}/token`, { client_id: 'console-made', client_secret: secret }, { grant_type: 'refresh_token', refresh_token: 'not-a-real-token' });
    // Authenticated (the grant itself is bogus): the secret works.
    expect((await probe(first)).json.error).toBe('invalid_grant');

    await follow(page, 'a:has-text("Open client console-made")');
    expect(await page.locator('body').textContent()).not.toContain(first);
    await inspect(page, 'client');
    await follow(page, 'button:has-text("New secret")');
    const second = (await page.locator('#client-secret').textContent())!.trim();
    expect(second).not.toBe(first);
    expect((await probe(first)).json.error).toBe('invalid_client');
    expect((await probe(second)).json.error).toBe('invalid_grant');
  }, TEST_TIMEOUT_MS);

  it('disables a user who holds a refresh token, which the token endpoint then refuses', async () => {
    const tokens = await completeCodeFlow(await discoverTestClient(keyward.issuer));
    expect(tokens.refresh_token).toBeTruthy();
    await page.goto(`${keyward.issuer}/admin/users`);
    await inspect(page, 'users');
    await page.fill('#q', 'demo');
    await follow(page, 'button:has-text("Search")');
    await follow(page, `a:has-text("${DEMO_ACCOUNT.email}")`);
    expect(await heading(page)).toBe(DEMO_ACCOUNT.email);
    expect(await page.locator('.factors li').count()).toBe(1);
    await inspect(page, 'user');
    await follow(page, 'form[action$="/disable"] button');
    expect(await page.locator('.notice[role=status]').textContent()).toContain('disabled and signed out everywhere');
    expect(await page.locator('.factors li').count()).toBe(0);
    const refreshed = await postAsClient(`${keyward.issuer}/token`, TEST_WEB_CLIENT, { grant_type: 'refresh_token', refresh_token: String(tokens.refresh_token) });
    expect(refreshed.json.error).toBe('invalid_grant');

    await page.goto(`${keyward.issuer}/admin/users/new`);
    await inspect(page, 'user-new');
    await page.fill('#email', 'newhire@example.com');
    await page.fill('#roles', 'support');
    await follow(page, 'button:has-text("Create user")');
    expect(await page.locator('#generated-password').textContent()).toMatch(/^\S{20,}$/);
    await inspect(page, 'user-created');
  }, TEST_TIMEOUT_MS);

  it('creates an API, rotates the keys, and filters the audit log', async () => {
    await page.goto(`${keyward.issuer}/admin/apis/new`);
    await page.fill('#identifier', 'https://orders.example.com');
    await page.fill('#name', 'Orders');
    await page.fill('#scopes', 'orders:read = See your orders\norders:write = Place orders');
    await page.check('#claim-email');
    await follow(page, 'button:has-text("Create API")');
    expect(await page.locator('.notice[role=status]').textContent()).toContain('The API is created.');
    await inspect(page, 'api');
    await page.goto(`${keyward.issuer}/admin/apis`);
    await inspect(page, 'apis');

    await page.goto(`${keyward.issuer}/admin/keys`);
    const kids = async (state: string) => page.locator('.data-table tbody tr', { hasText: state }).locator('code').allTextContents();
    const published = await kids('next');
    // Keyward publishes a next key at its first start: rotating an hour early is refused with the wait …
    await follow(page, 'form[action="/admin/keys/rotate"] button');
    expect(await page.locator('.error-summary[role=status]').textContent()).toMatch(/Not rotated: .* Wait 1 h \d+ min, or force it\./);
    await inspect(page, 'keys-too-soon');
    // … and done when forced: the published key signs now.
    await page.check('#force');
    await follow(page, 'form[action="/admin/keys/rotate"] button');
    expect(await page.locator('.notice[role=status]').textContent()).toContain('Rotated: the next key signs now.');
    expect(await kids('current')).toEqual(expect.arrayContaining(published));
    await inspect(page, 'keys');

    await page.goto(`${keyward.issuer}/admin/audit`);
    await page.fill('#event', 'admin_action');
    await follow(page, 'button:has-text("Filter")');
    const events = await page.locator('.audit-table tbody td:nth-child(2) code').allTextContents();
    expect(events.length).toBeGreaterThan(3);
    expect(new Set(events)).toEqual(new Set(['admin_action']));
    expect(await page.locator('.audit-table tbody').textContent()).toContain('"via":"console"');
    expect(await page.getAttribute('a:has-text("Download as JSON lines")', 'href')).toBe('/admin/audit/export?event=admin_action');
    await inspect(page, 'audit');
  }, TEST_TIMEOUT_MS);

  it('signs out, and shows a person without the admin role a page that says so', async () => {
    // One click: the console and the Keyward browser session end together.
    await follow(page, 'button:has-text("Sign out")');
    expect(await heading(page)).toBe('Signed out of the admin console');
    await inspect(page, 'signed-out');

    const person = await createAdmin(keyward, 'helpdesk@example.com', ['support']);
    await follow(page, 'a:has-text("Sign in to the admin console")');
    await page.fill('#email', person.email);
    await page.fill('#password', person.password);
    await follow(page, 'button:has-text("Sign in")');
    await page.fill('#code', totpCodeAt(person.totp, Date.now() + 30_000));
    await follow(page, 'button:has-text("Verify")');
    expect(await heading(page)).toBe('No access to the admin console');
    await inspect(page, 'forbidden');
  }, TEST_TIMEOUT_MS);
});
