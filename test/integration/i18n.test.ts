import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DEMO_ACCOUNT } from '../../src/services/demo-data.service.ts';
import { mailsTo } from '../helpers/mailbox.ts';
import { discoverTestClient, startAuthorization } from '../helpers/relying-party.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { startTestKeyward, type TestKeyward } from '../helpers/test-server.ts';
import { csrfTokenIn, locationOf, UserAgent } from '../helpers/user-agent.ts';

/** Pages and mails in English, French or German: switcher, then ui_locales, then Accept-Language, then DEFAULT_LOCALE. */
describe('languages', () => {
  let keyward: TestKeyward;
  const mail = tempDir('keyward-mail-');

  beforeAll(async () => {
    keyward = await startTestKeyward({ env: { MAIL_DIRECTORY: mail } });
  });
  afterAll(async () => {
    await keyward?.stop();
  });

  async function signInPage(agent: UserAgent, extra: Record<string, string> = {}, headers: Record<string, string> = {}) {
    const started = await startAuthorization(await discoverTestClient(keyward.issuer), 'openid', extra);
    const loginUrl = locationOf(await agent.request(started.url, { headers }), keyward.issuer);
    return { loginUrl, html: await (await agent.request(loginUrl, { headers })).text() };
  }

  it('answers Accept-Language: de with a German sign-in page', async () => {
    const { html } = await signInPage(new UserAgent(), {}, { 'accept-language': 'de-DE,de;q=0.9,en;q=0.5' });
    expect(html).toContain('<html lang="de">');
    expect(html).toContain('<h1>Anmelden</h1>');
    expect(html).toContain('Passwort vergessen?');
    expect(html).toMatch(/<a href="[^"]*\?lang=de" lang="de" hreflang="de" aria-current="true">Deutsch<\/a>/);
  });

  it('prefers the request\'s ui_locales over Accept-Language', async () => {
    const { html } = await signInPage(new UserAgent(), { ui_locales: 'fr-CA en' }, { 'accept-language': 'de' });
    expect(html).toContain('<html lang="fr">');
    expect(html).toContain('<h1>Connexion</h1>');
    expect(html).toContain('Mot de passe oublié ?');
  });

  it('keeps the switcher\'s choice for the UI session, over ui_locales and Accept-Language', async () => {
    const agent = new UserAgent();
    const { loginUrl } = await signInPage(agent, { ui_locales: 'fr' }, { 'accept-language': 'de' });
    const switched = await (await agent.request(`${loginUrl}?lang=en`, { headers: { 'accept-language': 'de' } })).text();
    expect(switched).toContain('<html lang="en">');
    expect(switched).toContain('<h1>Sign in</h1>');
    const later = await (await agent.request(`${keyward.issuer}/forgot-password`, { headers: { 'accept-language': 'de' } })).text();
    expect(later).toContain('<html lang="en">');
    expect(later).toContain('<h1>Reset your password</h1>');
    // Back on the sign-in page of a request with ui_locales=fr: the choice still wins.
    expect(await (await agent.request(loginUrl, { headers: { 'accept-language': 'de' } })).text()).toContain('<h1>Sign in</h1>');
  });

  it('translates form errors at render time', async () => {
    const agent = new UserAgent();
    const { loginUrl, html } = await signInPage(agent, {}, { 'accept-language': 'fr' });
    const refused = await agent.request(`${loginUrl}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept-language': 'fr' },
      body: new URLSearchParams({ _csrf: csrfTokenIn(html), email: DEMO_ACCOUNT.email, password: 'not the password' }).toString(),
    });
    expect(refused.status).toBe(401);
    expect(await refused.text()).toContain('L’adresse e-mail ou le mot de passe est incorrect.');
  });

  it('sends the password reset mail in the language of the request', async () => {
    const agent = new UserAgent();
    const headers = { 'accept-language': 'de' };
    const page = await (await agent.request(`${keyward.issuer}/forgot-password`, { headers })).text();
    expect(page).toContain('<h1>Passwort zurücksetzen</h1>');
    await agent.request(`${keyward.issuer}/forgot-password`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrfTokenIn(page), email: DEMO_ACCOUNT.email }).toString(),
    });
    await keyward.flushMail();
    const sent = mailsTo(mail, DEMO_ACCOUNT.email).at(-1);
    expect(sent?.subject).toMatch(/^Setzen Sie Ihr Passwort für .+ zurück$/);
    expect(sent?.text).toContain('Wählen Sie über diesen Link ein neues Passwort');
  });
});

describe('DEFAULT_LOCALE', () => {
  let keyward: TestKeyward;
  beforeAll(async () => {
    keyward = await startTestKeyward({ env: { DEFAULT_LOCALE: 'fr' } });
  });
  afterAll(async () => {
    await keyward?.stop();
  });

  it('applies when the request names no language', async () => {
    const html = await (await new UserAgent().get(`${keyward.issuer}/forgot-password`)).text();
    expect(html).toContain('<html lang="fr">');
    expect(html).toContain('<h1>Réinitialiser votre mot de passe</h1>');
  });

  it('translates the pages oidc-provider renders itself', async () => {
    const html = await (await new UserAgent().get(`${keyward.issuer}/auth?client_id=nobody&response_type=code&scope=openid`)).text();
    expect(html).toContain('<html lang="fr">');
    expect(html).toContain('Une erreur s’est produite');
  });
});
