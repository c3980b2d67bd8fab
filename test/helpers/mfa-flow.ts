import { totpCodeAt } from '../../src/services/mfa/totp.ts';
import type { TestKeyward } from './test-server.ts';
import { csrfTokenIn, locationOf, type UserAgent } from './user-agent.ts';

/**
 * Drives the sign-in steps over HTTP: from an authorization URL, through the password, to
 * whatever page comes next (second factor, enrolment, consent) — returned for the test to act on.
 */
export async function passwordStep(agent: UserAgent, authorizationUrl: URL, credentials: { email: string; password: string }): Promise<{ response: Response; next: URL | undefined; uid: string }> {
  const base = authorizationUrl.origin;
  const interaction = locationOf(await agent.get(authorizationUrl), base);
  const page = await agent.get(interaction);
  const csrf = csrfTokenIn(await page.text());
  const response = await agent.postForm(new URL(`${interaction.pathname}/login`, base), { _csrf: csrf, ...credentials });
  const next = response.status === 303 ? locationOf(response, base) : undefined;
  return { response, next, uid: interaction.pathname.split('/')[2]! };
}

/** Opens a step page and posts one of its forms with the page's CSRF token. */
export async function submitStep(agent: UserAgent, page: URL, action: string, fields: Record<string, string>): Promise<Response> {
  const html = await (await agent.get(page)).text();
  return agent.postForm(new URL(action, page.origin), { _csrf: csrfTokenIn(html), ...fields });
}

/** Enrols an authenticator app for the account straight through the service; returns its secret. */
export async function enrolTotp(keyward: TestKeyward, email: string, at = Date.now()): Promise<string> {
  const { container } = keyward.running;
  const account = (await container.stores.accounts.findByEmail(email))!;
  const enrolment = await container.mfa.authenticators.startTotp(account);
  const result = await container.mfa.authenticators.confirmTotp(account, enrolment.id, totpCodeAt(enrolment.secret, at), 'Test phone', { ip: '127.0.0.9', userAgent: 'test' });
  if (result.outcome !== 'enrolled') throw new Error(`enrolment failed: ${result.outcome}`);
  return enrolment.secret;
}

/** The code of the next time step: the enrolment used the current one, which is then spent. */
export const nextCode = (secret: string) => totpCodeAt(secret, Date.now() + 30_000);

/**
 * Moves the sign-in time of the account's browser sessions back (oidc-provider's loginTs, in the
 * SQLite store), as if they had signed in `seconds` earlier: no sleeping in tests.
 */
export async function ageSessions(keyward: TestKeyward, email: string, seconds: number): Promise<void> {
  const account = (await keyward.running.container.stores.accounts.findByEmail(email))!;
  const { DatabaseSync } = await import('node:sqlite');
  const db = new DatabaseSync(keyward.databaseFile);
  try {
    for (const row of db.prepare("SELECT id, payload FROM oidc_records WHERE model = 'Session' AND account_id = ?").all(account.id) as { id: string; payload: string }[]) {
      const payload = JSON.parse(row.payload) as { loginTs: number };
      payload.loginTs -= seconds;
      db.prepare("UPDATE oidc_records SET payload = ? WHERE model = 'Session' AND id = ?").run(JSON.stringify(payload), row.id);
    }
  } finally {
    db.close();
  }
}
