import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { SMTPServer } from 'smtp-server';
import { DEMO_ACCOUNT } from '../../src/services/demo-data.service.ts';
import { discoverTestClient, startAuthorization } from '../helpers/relying-party.ts';
import { freePort, startTestKeyward, type TestKeyward } from '../helpers/test-server.ts';
import { csrfTokenIn, locationOf, UserAgent } from '../helpers/user-agent.ts';

/** What operators configure about the pages: branding, registration, TLS, and real SMTP delivery. */
describe('hosted pages configuration', () => {
  describe('branding, closed registration and SMTP', () => {
    let keyward: TestKeyward;
    let smtp: SMTPServer;
    const delivered: { to: string[]; body: string }[] = [];

    beforeAll(async () => {
      smtp = new SMTPServer({
        authOptional: true,
        disabledCommands: ['STARTTLS'],
        onData(stream, session, callback) {
          let body = '';
          stream.on('data', (chunk: Buffer) => (body += chunk.toString()));
          stream.on('end', () => {
            delivered.push({ to: session.envelope.rcptTo.map((r) => r.address), body });
            callback();
          });
        },
      });
      const smtpPort = await freePort();
      await new Promise<void>((resolve) => smtp.listen(smtpPort, '127.0.0.1', resolve));
      keyward = await startTestKeyward({
        env: { PRODUCT_NAME: 'Acme ID', LOGO_URL: 'https://cdn.example.com/acme.svg', ACCENT_COLOR: '#aa3300', REGISTRATION_ENABLED: 'false', SMTP_URL: `smtp://127.0.0.1:${smtpPort}` },
      });
    });
    afterAll(async () => {
      await keyward?.stop();
      await new Promise<void>((resolve) => smtp.close(() => resolve()));
    });

    it('shows the product name and logo, and serves the accent colour as a stylesheet', async () => {
      const html = await (await new UserAgent().get(`${keyward.issuer}/forgot-password`)).text();
      expect(html).toContain('<title>Reset your password · Acme ID</title>');
      expect(html).toContain('<img class="brand-logo" src="https://cdn.example.com/acme.svg"');
      const css = await (await fetch(`${keyward.issuer}/assets/theme.css`)).text();
      expect(css).toBe(':root { --accent: #aa3300; }\n');
    });

    it('hides and refuses registration when it is turned off', async () => {
      const started = await startAuthorization(await discoverTestClient(keyward.issuer));
      const agent = new UserAgent();
      const login = await (await agent.get(locationOf(await agent.get(started.url), keyward.issuer))).text();
      expect(login).toContain('Forgot your password?');
      expect(login).not.toContain('Create an account');
      expect((await agent.get(`${keyward.issuer}/register`)).status).toBe(404);
    });

    it('delivers mail through SMTP', async () => {
      const agent = new UserAgent();
      const csrf = csrfTokenIn(await (await agent.get(`${keyward.issuer}/forgot-password`)).text());
      await agent.postForm(`${keyward.issuer}/forgot-password`, { _csrf: csrf, email: DEMO_ACCOUNT.email });
      await keyward.flushMail();
      const mail = delivered.find((m) => m.to.includes(DEMO_ACCOUNT.email));
      expect(mail?.body).toMatch(/Subject: Reset your Acme ID password/);
      const decoded = mail!.body.replace(/=\r?\n/g, '').replaceAll('=3D', '='); // quoted-printable
      expect(decoded).toMatch(new RegExp(`${keyward.issuer}/reset-password\\?token=[\\w-]{43}`));
    });

    it('runs a dummy password verification for an unknown email at the sign-in form', async () => {
      const started = await startAuthorization(await discoverTestClient(keyward.issuer));
      const agent = new UserAgent();
      const loginUrl = locationOf(await agent.get(started.url), keyward.issuer);
      const csrf = csrfTokenIn(await (await agent.get(loginUrl)).text());
      const dummy = jest.spyOn(keyward.running.container.passwords, 'verifyDummy');
      const response = await agent.postForm(`${loginUrl}/login`, { _csrf: csrf, email: 'nobody@example.com', password: 'whatever it is' });
      expect(response.status).toBe(401);
      expect(dummy).toHaveBeenCalledTimes(1);
      dummy.mockRestore();
    });
  });

  describe('behind a TLS-terminating proxy', () => {
    let keyward: TestKeyward;
    beforeAll(async () => {
      keyward = await startTestKeyward({ env: { ISSUER: 'https://id.example.test', TRUST_PROXY: 'true', DEMO_DATA: 'false' } });
    });
    afterAll(async () => keyward?.stop());

    it('marks every cookie Secure, HttpOnly and SameSite=Lax, and sends HSTS', async () => {
      const local = `http://127.0.0.1:${keyward.port}`;
      const agent = new UserAgent();
      const headers = { 'x-forwarded-proto': 'https', host: 'id.example.test' };
      const auth = await agent.request(`${local}/auth?client_id=test-web&response_type=code&scope=openid&redirect_uri=http%3A%2F%2Flocalhost%3A8080%2Fcallback&code_challenge=${'a'.repeat(43)}&code_challenge_method=S256`, { headers });
      const interaction = await agent.request(`${local}${new URL(auth.headers.get('location')!, 'https://id.example.test').pathname}`, { headers });
      const cookies = [...auth.headers.getSetCookie(), ...interaction.headers.getSetCookie()];
      expect(cookies.map((c) => c.split('=')[0])).toEqual(expect.arrayContaining(['_interaction', 'keyward.ui']));
      for (const cookie of cookies) {
        expect(cookie).toMatch(/; secure/i);
        expect(cookie).toMatch(/; httponly/i);
        expect(cookie).toMatch(/; samesite=lax/i);
      }
      expect(interaction.headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
    });
  });
});
