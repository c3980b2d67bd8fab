import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { Browser } from 'playwright-core';
import { launchBrowser, screenshot } from '../helpers/browser.ts';
import { discoverTestClient, redeem, startAuthorization } from '../helpers/relying-party.ts';
import { freePort, startTestKeyward, type TestKeyward } from '../helpers/test-server.ts';
import { startUpstreamProvider } from '../helpers/upstreams.ts';

let keyward: TestKeyward;
let browser: Browser;
let app: Server;
let google: Awaited<ReturnType<typeof startUpstreamProvider>>;
let callback: string;

beforeAll(async () => {
  app = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('back in the app'));
  app.listen(0, '127.0.0.1');
  await once(app, 'listening');
  callback = `http://127.0.0.1:${(app.address() as { port: number }).port}/callback`;
  const port = await freePort();
  google = await startUpstreamProvider(() => `http://127.0.0.1:${port}/federation/callback/google`);
  keyward = await startTestKeyward({
    port,
    registry: { clients: [{ client_id: 'fed-app', kind: 'public', client_name: 'Federated App', redirect_uris: [callback] }] },
    env: { GOOGLE_CLIENT_ID: google.client.id, GOOGLE_CLIENT_SECRET: google.client.secret, GOOGLE_ISSUER: google.issuer },
  });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await keyward?.stop();
  await google?.close();
  app?.close();
});

it('signs in with "Continue with Google": upstream, back, consent, and the client gets a code for the linked account', async () => {
  google.people.set('g-grace', { sub: 'g-grace', email: 'grace@example.com', email_verified: true, name: 'Grace Hopper' });
  google.state.signInAs = 'g-grace';
  const rp = await discoverTestClient(keyward.issuer, { client_id: 'fed-app', redirect_uris: [callback] });
  const started = await startAuthorization(rp, 'openid email profile');
  const page = await browser.newPage();
  await page.goto(started.url.href);
  await screenshot(page, '20-sign-in-with-google-button');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('button:has-text("Continue with Google")')]);
  expect((await page.locator('h1').textContent())?.trim()).toBe('Allow Federated App?');
  await screenshot(page, '21-consent-after-google');
  const back = page.waitForURL((url) => url.href.startsWith(callback));
  await page.click('button:has-text("Allow")');
  await back;
  const tokens = await redeem(rp, started, new URL(page.url()));
  const linked = await keyward.running.container.stores.federatedIdentities.find('google', 'g-grace');
  expect(linked).toBeDefined();
  expect(tokens.claims()!.sub).toBe(linked!.accountId);
});
