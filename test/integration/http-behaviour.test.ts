import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type * as oidc from 'openid-client';
import { discoverTestClient, startAuthorization } from '../helpers/relying-party.ts';
import { DEMO_ACCOUNT } from '../../src/services/demo-data.service.ts';
import { startTestKeyward, TEST_WEB_CLIENT, type TestKeyward } from '../helpers/test-server.ts';
import { csrfTokenIn, locationOf, UserAgent } from '../helpers/user-agent.ts';

const STACK_TRACE = /at .+\.(ts|js):\d+|node_modules|\bError:\s/;

describe('HTTP behaviour', () => {
  let keyward: TestKeyward;
  let rp: oidc.Configuration;

  beforeAll(async () => {
    keyward = await startTestKeyward();
    rp = await discoverTestClient(keyward.issuer);
  });
  afterAll(async () => keyward?.stop());

  const url = (path: string) => `${keyward.issuer}${path}`;

  /** Starts an authorization request and returns the agent on the login page. */
  async function openLoginPage(): Promise<{ agent: UserAgent; loginUrl: URL; csrf: string }> {
    const agent = new UserAgent();
    const authorizationUrl = (await startAuthorization(rp)).url;
    const loginUrl = locationOf(await agent.get(authorizationUrl), keyward.issuer);
    const page = await agent.get(loginUrl);
    expect(page.status).toBe(200);
    return { agent, loginUrl, csrf: csrfTokenIn(await page.text()) };
  }

  describe('health', () => {
    it('answers /healthz and /readyz with JSON', async () => {
      const health = await fetch(url('/healthz'));
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok' });
      const ready = await fetch(url('/readyz'));
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: 'ready' });
    });
  });

  describe('errors', () => {
    it('answers an unknown route with a clear 404, JSON or HTML by Accept, with the request id', async () => {
      const json = await fetch(url('/no/such/route'), { headers: { accept: 'application/json' } });
      expect(json.status).toBe(404);
      const body = (await json.json()) as Record<string, string>;
      expect(body.error).toBeDefined();
      const html = await fetch(url('/no/such/route'), { headers: { accept: 'text/html' } });
      expect(html.status).toBe(404);
      expect(html.headers.get('x-request-id')).toMatch(/^[\w-]+$/);
    });

    it('answers a wrong method on a Keyward route with 405', async () => {
      const response = await fetch(url('/healthz'), { method: 'DELETE' });
      expect(response.status).toBe(405);
    });

    it('answers a wrong method on a protocol endpoint with a clear 404 naming method and path', async () => {
      const response = await fetch(url('/token'), { method: 'GET', headers: { accept: 'application/json' } });
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ error: 'not_found', error_description: 'Nothing answers GET /token here.' });
    });

    it('answers a malformed token request with an RFC 6749 error and no stack trace', async () => {
      const response = await fetch(url('/token'), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${TEST_WEB_CLIENT.client_id}:${TEST_WEB_CLIENT.client_secret}`).toString('base64')}` },
        body: 'grant_type=authorization_code&code=%E0%A4%A',
      });
      const text = await response.text();
      expect(response.status).toBe(400);
      expect(JSON.parse(text)).toMatchObject({ error: expect.stringMatching(/^invalid_/) });
      expect(text).not.toMatch(STACK_TRACE);
    });

    it('answers a JSON body on the token endpoint with a clear 4xx', async () => {
      const response = await fetch(url('/token'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"grant_type": ' });
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
    });

    it('answers an unknown interaction with a friendly page, not SessionNotFound', async () => {
      const response = await new UserAgent().get(url('/interaction/does-not-exist'));
      const html = await response.text();
      expect(response.status).toBe(400);
      expect(html).toContain('This sign-in request has expired');
      expect(html).toContain(response.headers.get('x-request-id')!);
      expect(html).not.toMatch(/SessionNotFound|STACK_TRACE/);
      expect(html).not.toMatch(STACK_TRACE);
    });

    it('renders protocol errors on the authorization endpoint as a friendly page', async () => {
      const response = await new UserAgent().get(url('/auth?client_id=unknown-client&response_type=code&scope=openid'));
      const html = await response.text();
      expect(response.status).toBe(400);
      expect(html).toContain('The application is not registered');
      expect(html).not.toMatch(STACK_TRACE);
    });
  });

  describe('sign-in form', () => {
    it('refuses a post without the CSRF token', async () => {
      const { agent, loginUrl } = await openLoginPage();
      const response = await agent.postForm(`${loginUrl}/login`, { email: DEMO_ACCOUNT.email, password: DEMO_ACCOUNT.password });
      expect(response.status).toBe(403);
      expect(await response.text()).toContain('Reload the page');
    });

    it('refuses a post with another session’s CSRF token', async () => {
      const first = await openLoginPage();
      const second = await openLoginPage();
      const response = await second.agent.postForm(`${second.loginUrl}/login`, { _csrf: first.csrf, email: DEMO_ACCOUNT.email, password: DEMO_ACCOUNT.password });
      expect(response.status).toBe(403);
    });

    it('answers a wrong password and an unknown email identically', async () => {
      const wrongPassword = await openLoginPage();
      const unknownEmail = await openLoginPage();
      const a = await wrongPassword.agent.postForm(`${wrongPassword.loginUrl}/login`, { _csrf: wrongPassword.csrf, email: DEMO_ACCOUNT.email, password: 'wrong' });
      const b = await unknownEmail.agent.postForm(`${unknownEmail.loginUrl}/login`, { _csrf: unknownEmail.csrf, email: 'nobody@keyward.test', password: 'wrong' });
      expect(a.status).toBe(401);
      expect(b.status).toBe(401);
      const normalise = (html: string) => html.replace(/value="[^"]*"/g, '').replace(/(\/|%2F)interaction(\/|%2F)[\w-]+/g, '').replace(/<code>[^<]*<\/code>/g, '');
      expect(normalise(await a.text())).toBe(normalise(await b.text()));
    });

    it('escapes what the user typed when showing the form again', async () => {
      const { agent, loginUrl, csrf } = await openLoginPage();
      const response = await agent.postForm(`${loginUrl}/login`, { _csrf: csrf, email: '"><script>alert(1)</script>', password: 'x' });
      const html = await response.text();
      expect(html).not.toContain('<script>alert(1)</script>');
      expect(html).toContain('&#34;&gt;&lt;script&gt;');
    });

    it('answers a form with missing fields with 400 and a message', async () => {
      const { agent, loginUrl, csrf } = await openLoginPage();
      const response = await agent.postForm(`${loginUrl}/login`, { _csrf: csrf });
      expect(response.status).toBe(400);
      const html = await response.text();
      expect(html).toContain('<a href="#email">Enter your email address.</a>');
      expect(html).toContain('<a href="#password">Enter your password.</a>');
      expect(html).toContain('aria-invalid="true"');
    });

    it('refuses an oversized form body with 413', async () => {
      const { agent, loginUrl, csrf } = await openLoginPage();
      const response = await agent.postForm(`${loginUrl}/login`, { _csrf: csrf, email: 'a@b.c', password: 'x'.repeat(64 * 1024) });
      expect(response.status).toBe(413);
    });

    it('sends no-store and security headers on interaction pages', async () => {
      const { agent, loginUrl } = await openLoginPage();
      const response = await agent.get(loginUrl);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(response.headers.get('content-security-policy')).not.toContain('unsafe-inline');
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      const cookies = response.headers.getSetCookie().join('\n');
      expect(cookies === '' || /httponly/i.test(cookies)).toBe(true);
    });
  });

  describe('logs', () => {
    it('writes one line per request with id, method, path, status and duration, and no secret', async () => {
      await fetch(url('/healthz?code=secret-in-query'), { headers: { 'x-request-id': 'test-request-0001' } });
      const line = keyward.logs.lines().find((l) => l.reqId === 'test-request-0001' && l.msg === 'request');
      expect(line).toMatchObject({ method: 'GET', path: '/healthz', status: 200, durationMs: expect.any(Number) });
      expect(keyward.logs.text()).not.toContain('secret-in-query');
      expect(keyward.logs.text()).not.toContain(DEMO_ACCOUNT.password);
      expect(keyward.logs.text()).not.toContain(TEST_WEB_CLIENT.client_secret);
      expect(keyward.logs.text()).not.toMatch(/"d":"[\w-]{20,}"/);
    });
  });
});
