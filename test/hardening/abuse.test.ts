import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DEMO_ACCOUNT } from '../../src/services/demo-data.service.ts';
import { discoverTestClient, startAuthorization } from '../helpers/relying-party.ts';
import { attemptSignIn } from '../helpers/sign-in-attempt.ts';
import { startTestKeyward, TEST_WEB_CLIENT, type TestKeyward } from '../helpers/test-server.ts';
import { locationOf, UserAgent } from '../helpers/user-agent.ts';

/** Brute force from many IPs and across many accounts; framing, headers and open redirects. */
describe('abuse', () => {
  let keyward: TestKeyward;
  beforeAll(async () => {
    keyward = await startTestKeyward({ env: { TRUST_PROXY: 'true', THROTTLE_SIGN_IN_PER_ACCOUNT: '5', THROTTLE_SIGN_IN_PER_IP: '8' } });
  });
  afterAll(async () => keyward?.stop());

  /** A fresh sign-in page; each attempt posts from the given client IP (X-Forwarded-For, TRUST_PROXY). */
  const attempt = (email: string, ip: string) => attemptSignIn(keyward.issuer, { email, password: 'guessed password' }, { 'x-forwarded-for': ip });

  it('stops brute force on one account from many IPs (per-account limit)', async () => {
    const statuses = [];
    for (let i = 0; i < 7; i += 1) statuses.push(await attempt(DEMO_ACCOUNT.email, `198.51.100.${i + 1}`));
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
  });

  it('stops one IP trying many accounts (per-IP limit)', async () => {
    const statuses = [];
    for (let i = 0; i < 10; i += 1) statuses.push(await attempt(`victim-${i}@example.com`, '203.0.113.7'));
    expect(statuses.slice(0, 8).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(8)).toEqual([429, 429]);
  });

  it('sends security headers on every HTML page and lets no page be framed', async () => {
    const agent = new UserAgent();
    const started = await startAuthorization(await discoverTestClient(keyward.issuer));
    const login = locationOf(await agent.get(started.url), keyward.issuer);
    const pages = [login.href, `${keyward.issuer}/register`, `${keyward.issuer}/forgot-password`, `${keyward.issuer}/reset-password?token=x`, `${keyward.issuer}/verify-email?token=x`, `${keyward.issuer}/account`, `${keyward.issuer}/interaction/unknown`, `${keyward.issuer}/auth?client_id=nope`, `${keyward.issuer}/session/end`, `${keyward.issuer}/no/such/page`];
    for (const url of pages) {
      const response = await agent.get(url);
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      const csp = response.headers.get('content-security-policy') ?? '';
      expect({ url, frameAncestors: csp.includes("frame-ancestors 'none'"), inline: csp.includes('unsafe-inline') }).toEqual({ url, frameAncestors: true, inline: false });
      expect(response.headers.get('x-frame-options')).toBe('DENY');
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('referrer-policy')).toBe('no-referrer');
      for (const cookie of response.headers.getSetCookie()) expect(cookie).toMatch(/httponly/i);
    }
  });

  it('refuses open redirects through redirect_uri, post_logout_redirect_uri and return_to', async () => {
    const agent = new UserAgent();
    const evil = 'https://evil.example/steal';
    const auth = await agent.get(`${keyward.issuer}/auth?client_id=${TEST_WEB_CLIENT.client_id}&response_type=code&scope=openid&redirect_uri=${encodeURIComponent(evil)}&code_challenge=${'a'.repeat(43)}&code_challenge_method=S256`);
    expect(auth.status).toBe(400);
    expect(auth.headers.get('location')).toBeNull();
    const logout = await agent.get(`${keyward.issuer}/session/end?client_id=${TEST_WEB_CLIENT.client_id}&post_logout_redirect_uri=${encodeURIComponent(evil)}`);
    expect(logout.headers.get('location')).toBeNull();
    expect(logout.status).toBeGreaterThanOrEqual(400);
    for (const target of [evil, '//evil.example', '/\\evil.example', 'javascript:alert(1)']) {
      const page = await (await agent.get(`${keyward.issuer}/forgot-password?return_to=${encodeURIComponent(target)}`)).text();
      expect(page).not.toContain('evil.example');
      expect(page).not.toContain('javascript:');
    }
  });
});
