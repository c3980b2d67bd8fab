import { once } from 'node:events';
import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type * as oidc from 'openid-client';
import type { Browser, BrowserContext, CDPSession, ConsoleMessage, Page } from 'playwright-core';
import { DEMO_ACCOUNT } from '../../src/services/demo-data.service.ts';
import { totpCodeAt } from '../../src/services/mfa/totp.ts';
import { FakeClock } from '../helpers/fake-clock.ts';
import { launchBrowser, screenshot, expectAccessible, heading, follow } from '../helpers/browser.ts';
import { discoverTestClient, redeem, startAuthorization, type StartedAuthorization } from '../helpers/relying-party.ts';
import { startTestKeyward, type TestKeyward } from '../helpers/test-server.ts';
import { createVerifiedAccount } from '../helpers/accounts.ts';

/**
 * Multi-factor sign-in in headless Chromium: enrolling an authenticator app at sign-in and
 * signing in with it, passkeys through Chromium's virtual authenticator (WebAuthn over CDP),
 * and the sign-in page without JavaScript. The issuer is `localhost`: WebAuthn refuses an IP
 * address as relying party id.
 */

const STEP_TIMEOUT_MS = 10_000;
const TEST_TIMEOUT_MS = 60_000;
const PASSWORD = 'correct horse battery staple 42';

/** Screenshots at a phone's and a laptop's width; at the phone's, nothing may stick out sideways. */
async function screenshots(page: Page, name: string): Promise<void> {
  await page.setViewportSize({ width: 390, height: 844 });
  expect(await page.evaluate('document.documentElement.scrollWidth > window.innerWidth')).toBe(false);
  await screenshot(page, `${name}-390`);
  await page.setViewportSize({ width: 1280, height: 800 });
  await screenshot(page, `${name}-1280`);
}

/** Clicks and waits for the page the click leads to (through any redirects). */
/** Starts the app's server (a page that says it is the app) and a client redirecting to it. */
async function startApp(clientId: string, clientName: string) {
  const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('back in the app'));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const callback = `http://127.0.0.1:${(server.address() as { port: number }).port}/callback`;
  const client = { client_id: clientId, kind: 'web', client_name: clientName, client_secret: `${clientId}-secret-0123456789abcdef0123456789`, redirect_uris: [callback] };
  return { server, callback, client };
}

/** From a page that leads on to the app: allows on the consent page if it is shown, then expects the callback with a code. */
async function arriveAtCallback(page: Page, callback: string, clientName: string): Promise<URL> {
  if (!page.url().startsWith(callback)) {
    expect(await heading(page)).toBe(`Allow ${clientName}?`);
    await follow(page, 'button:has-text("Allow")');
  }
  const url = new URL(page.url());
  expect(url.href.startsWith(callback)).toBe(true);
  expect(url.searchParams.get('code')).toBeTruthy();
  return url;
}

/** Clicks a passkey button and waits for the page the ceremony leads to, or fails with the form's error and the console's. */
async function followPasskey(page: Page, button: string): Promise<void> {
  const consoleErrors: string[] = [];
  const onConsole = (message: ConsoleMessage) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  };
  page.on('console', onConsole);
  const arrived = page.waitForNavigation({ waitUntil: 'load' });
  const failed = page.locator('.passkey-error:visible').waitFor().then(async () => {
    throw new Error(`the passkey ceremony failed: ${await page.locator('.passkey-error:visible').textContent()}\nconsole: ${consoleErrors.join('\n')}`);
  });
  // Whichever loses the race must not reject unhandled later.
  arrived.catch(() => undefined);
  failed.catch(() => undefined);
  try {
    await page.click(button);
    await Promise.race([arrived, failed]);
  } finally {
    page.off('console', onConsole);
  }
}

/** Waits until a sign-in that runs by itself reaches the consent page or the app's callback. */
async function landed(page: Page, callback: string, clientName: string): Promise<void> {
  const consent = page.locator('h1', { hasText: `Allow ${clientName}?` }).waitFor();
  const back = page.waitForURL((url) => url.href.startsWith(callback));
  consent.catch(() => undefined);
  back.catch(() => undefined);
  await Promise.race([consent, back]);
}

describe('two-step verification with an authenticator app (MFA_POLICY=required)', () => {
  let keyward: TestKeyward;
  let browser: Browser;
  let rp: oidc.Configuration;
  let app: Awaited<ReturnType<typeof startApp>>;
  const contexts: BrowserContext[] = [];
  const email = 'totp@example.com';
  let secret: string;

  beforeAll(async () => {
    app = await startApp('mfa-app', 'MFA Test App');
    keyward = await startTestKeyward({ issuerHost: 'localhost', registry: { clients: [app.client] }, env: { MFA_POLICY: 'required' } });
    await createVerifiedAccount(keyward, email, PASSWORD);
    rp = await discoverTestClient(keyward.issuer, app.client);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await keyward?.stop();
    app?.server.close();
  });

  const freshPage = async (): Promise<Page> => {
    const context = await browser.newContext();
    context.setDefaultTimeout(STEP_TIMEOUT_MS);
    contexts.push(context);
    return context.newPage();
  };
  const signInWithPassword = async (page: Page): Promise<StartedAuthorization> => {
    const started = await startAuthorization(rp, 'openid email');
    await page.goto(started.url.href);
    expect(await heading(page)).toBe('Sign in');
    await page.fill('#email', email);
    await page.fill('#password', PASSWORD);
    await follow(page, 'button:has-text("Sign in")');
    return started;
  };

  it('enrols an app at sign-in from the key on the page, shows 10 recovery codes, and the client gets a code', async () => {
    const page = await freshPage();
    const started = await signInWithPassword(page);
    expect(new URL(page.url()).pathname).toMatch(/^\/interaction\/[^/]+\/enrol$/);
    expect(await heading(page)).toBe('Set up two-step verification');
    expect(await page.locator('.qr-code svg').count()).toBe(1);
    await expectAccessible(page);
    await screenshots(page, 'mfa-01-enrol');

    secret = (await page.locator('.secret code').textContent())!.replace(/\s+/g, '');
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    await page.fill('#code', totpCodeAt(secret, Date.now()));
    await page.fill('#name', 'My phone');
    await follow(page, 'button:has-text("Turn on")');
    expect(await heading(page)).toBe('Save your recovery codes');
    const codes = await page.locator('.recovery-codes li').allTextContents();
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    await expectAccessible(page);
    await screenshots(page, 'mfa-02-recovery-codes');

    await follow(page, 'a:has-text("I have saved them, continue")');
    const callback = await arriveAtCallback(page, app.callback, app.client.client_name);
    const tokens = await redeem(rp, started, callback);
    expect(tokens.claims()!.amr).toEqual(['pwd', 'otp', 'mfa']);
    const account = await keyward.running.container.stores.accounts.findByEmail(email);
    expect((await keyward.running.container.mfa.authenticators.list(account!.id)).map((a) => [a.kind, a.name])).toEqual([['totp', 'My phone']]);
  }, TEST_TIMEOUT_MS);

  it('asks a new browser for the app code after the password, and the client gets a code', async () => {
    expect(secret).toBeDefined();
    const page = await freshPage();
    const started = await signInWithPassword(page);
    expect(new URL(page.url()).pathname).toMatch(/^\/interaction\/[^/]+\/second-factor$/);
    expect(await heading(page)).toBe('Two-step verification');
    await expectAccessible(page);
    await screenshots(page, 'mfa-03-second-factor');

    // A spent or wrong code is refused on the page, next to the field.
    await page.fill('#code', '000000');
    await follow(page, 'button:has-text("Verify")');
    expect(await page.locator('#code-error').textContent()).toContain('did not work');
    await expectAccessible(page);
    await screenshots(page, 'mfa-04-second-factor-error');

    // The enrolment spent the current step's code: the next step's is the app's next one.
    await page.fill('#code', totpCodeAt(secret, Date.now() + 30_000));
    await follow(page, 'button:has-text("Verify")');
    const callback = await arriveAtCallback(page, app.callback, app.client.client_name);
    expect((await redeem(rp, started, callback)).claims()!.amr).toEqual(['pwd', 'otp', 'mfa']);
  }, TEST_TIMEOUT_MS);
});

describe('passkeys with Chromium\'s virtual authenticator, and the sign-in page without JavaScript', () => {
  let keyward: TestKeyward;
  let browser: Browser;
  let rp: oidc.Configuration;
  let app: Awaited<ReturnType<typeof startApp>>;
  /** One tab for the passkey tests: Chromium's virtual authenticator belongs to it. */
  let context: BrowserContext;
  let page: Page;
  let cdp: CDPSession;
  let authenticatorId: string;
  const email = 'passkey@example.com';
  const clock = new FakeClock(Date.now());

  beforeAll(async () => {
    app = await startApp('passkey-app', 'Passkey Test App');
    keyward = await startTestKeyward({ clock, issuerHost: 'localhost', registry: { clients: [app.client] } });
    await createVerifiedAccount(keyward, email, PASSWORD);
    rp = await discoverTestClient(keyward.issuer, app.client);
    browser = await launchBrowser();
    context = await browser.newContext();
    context.setDefaultTimeout(STEP_TIMEOUT_MS);
    page = await context.newPage();
    cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    ({ authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    }));
  });
  afterAll(async () => {
    await browser?.close();
    await keyward?.stop();
    app?.server.close();
  });

  /** The ID token's claims for a passkey sign-in that reached the callback. */
  const passwordlessClaims = async (started: StartedAuthorization, callback: URL) => {
    const claims = (await redeem(rp, started, callback)).claims()!;
    const account = await keyward.running.container.stores.accounts.findByEmail(email);
    expect(claims.sub).toBe(account!.id);
    expect(claims.amr).toEqual(expect.arrayContaining(['user', 'mfa']));
    expect(claims.amr).not.toContain('pwd');
    return claims;
  };

  it('adds a passkey on /account/security right after a password sign-in', async () => {
    // A password sign-in (MFA optional, no factor yet) makes the recent authentication the page needs.
    const started = await startAuthorization(rp, 'openid email');
    await page.goto(started.url.href);
    await page.fill('#email', email);
    await page.fill('#password', PASSWORD);
    await follow(page, 'button:has-text("Sign in")');
    const callback = await arriveAtCallback(page, app.callback, app.client.client_name);
    expect((await redeem(rp, started, callback)).claims()!.amr).toEqual(['pwd']);

    await page.goto(`${keyward.issuer}/account/security`);
    expect(await heading(page)).toBe('Sign-in and security');
    expect(await page.locator('text=No passkeys yet').count()).toBe(1);
    await expectAccessible(page);
    await screenshots(page, 'mfa-05-security-empty');
    await page.fill('#passkey-name', 'Virtual laptop');
    await followPasskey(page, 'button:has-text("Add a passkey")');
    expect(await heading(page)).toBe('Save your recovery codes');
    expect(await page.locator('.recovery-codes li').count()).toBe(10);
    await follow(page, 'a:has-text("I have saved them, continue")');
    expect(await heading(page)).toBe('Sign-in and security');
    expect(await page.locator('.factors li strong').allTextContents()).toEqual(['Virtual laptop']);
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    expect(credentials).toHaveLength(1);
    expect(credentials[0]!.isResidentCredential).toBe(true);
    await expectAccessible(page);
    await screenshots(page, 'mfa-06-security-with-passkey');
  }, TEST_TIMEOUT_MS);

  it('signs in with the passkey offered in the email field (conditional UI), without a password', async () => {
    // Signed out (no cookies), the same tab and authenticator. The virtual authenticator answers
    // the page's conditional request at once, as a person picking the passkey from the autofill would.
    await context.clearCookies();
    const started = await startAuthorization(rp, 'openid email');
    const posted = page.waitForRequest((request) => request.method() === 'POST' && /\/interaction\/[^/]+\/passkey$/.test(new URL(request.url()).pathname));
    await page.goto(started.url.href);
    await posted;
    await landed(page, app.callback, app.client.client_name);
    await passwordlessClaims(started, await arriveAtCallback(page, app.callback, app.client.client_name));
  }, TEST_TIMEOUT_MS);

  it('signs in with the "Sign in with a passkey" button in a browser without conditional UI', async () => {
    await context.clearCookies();
    // From now on this tab's browser says it cannot offer passkeys in autofill: only the button remains.
    await page.addInitScript('if (window.PublicKeyCredential) PublicKeyCredential.isConditionalMediationAvailable = () => Promise.resolve(false);');
    const started = await startAuthorization(rp, 'openid email');
    await page.goto(started.url.href);
    expect(await heading(page)).toBe('Sign in');
    expect(await page.locator('button:has-text("Sign in with a passkey")').isVisible()).toBe(true);
    await followPasskey(page, 'button:has-text("Sign in with a passkey")');
    const claims = await passwordlessClaims(started, await arriveAtCallback(page, app.callback, app.client.client_name));
    expect(claims.amr).toEqual(['hwk', 'user', 'mfa']);
  }, TEST_TIMEOUT_MS);

  it('asks for the passkey as the second factor after the password', async () => {
    // The tab still has no conditional UI (previous test), so the password form is used.
    await context.clearCookies();
    const started = await startAuthorization(rp, 'openid email');
    await page.goto(started.url.href);
    await page.fill('#email', email);
    await page.fill('#password', PASSWORD);
    await follow(page, 'button:has-text("Sign in")');
    expect(await heading(page)).toBe('Two-step verification');
    expect(await page.locator('#code').count()).toBe(0);
    expect(await page.locator('details.recovery').getAttribute('open')).not.toBeNull();
    await expectAccessible(page);
    await screenshots(page, 'mfa-07-second-factor-passkey');
    await followPasskey(page, 'button:has-text("Use a passkey")');
    const callback = await arriveAtCallback(page, app.callback, app.client.client_name);
    expect((await redeem(rp, started, callback)).claims()!.amr).toEqual(['pwd', 'hwk', 'user', 'mfa']);
  }, TEST_TIMEOUT_MS);

  it('asks to confirm it is you after five minutes, takes the passkey for it, then adds an authenticator app without new recovery codes', async () => {
    clock.advance(6 * 60_000);
    await page.goto(`${keyward.issuer}/account/security`);
    // passkey.js fetches the options, is sent to the re-authentication page, and goes there.
    await page.fill('#passkey-name', 'Too late');
    await followPasskey(page, 'button:has-text("Add a passkey")');
    expect(await heading(page)).toBe('Confirm it is you');
    await expectAccessible(page);
    await screenshots(page, 'mfa-08-reauthenticate');
    await followPasskey(page, 'button:has-text("Use a passkey")');
    expect(await heading(page)).toBe('Sign-in and security');

    await follow(page, 'button:has-text("Add an authenticator app")');
    expect(await heading(page)).toBe('Add an authenticator app');
    await expectAccessible(page);
    await screenshots(page, 'mfa-09-add-app');
    const secret = (await page.locator('.secret code').textContent())!.replace(/\s+/g, '');
    await page.fill('#code', totpCodeAt(secret, clock.now()));
    await page.fill('#name', 'Backup phone');
    await follow(page, 'button:has-text("Turn on")');
    // Recovery codes came with the first factor: this one goes straight back to the list.
    expect(await heading(page)).toBe('Sign-in and security');
    expect(await page.locator('.factors li strong').allTextContents()).toEqual(['Virtual laptop', 'Backup phone']);
  }, TEST_TIMEOUT_MS);

  it('without JavaScript, keeps the passkey form hidden and still signs in with a password', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    context.setDefaultTimeout(STEP_TIMEOUT_MS);
    const page = await context.newPage();
    const started = await startAuthorization(rp, 'openid email');
    await page.goto(started.url.href);
    expect(await heading(page)).toBe('Sign in');
    expect(await page.locator('form.passkey-form').count()).toBe(1);
    expect(await page.locator('form.passkey-form').isHidden()).toBe(true);
    expect(await page.locator('button:has-text("Sign in with a passkey")').isVisible()).toBe(false);
    await page.fill('#email', DEMO_ACCOUNT.email);
    await page.fill('#password', DEMO_ACCOUNT.password);
    await follow(page, 'button:has-text("Sign in")');
    const callback = await arriveAtCallback(page, app.callback, app.client.client_name);
    expect((await redeem(rp, started, callback)).claims()!.amr).toEqual(['pwd']);
    await context.close();
  }, TEST_TIMEOUT_MS);
});
