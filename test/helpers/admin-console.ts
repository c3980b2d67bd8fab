import { createVerifiedAccount } from './accounts.ts';
import { enrolTotp, nextCode } from './mfa-flow.ts';
import type { TestKeyward } from './test-server.ts';
import { csrfTokenIn, locationOf, UserAgent } from './user-agent.ts';

export interface TestAdmin {
  id: string;
  email: string;
  password: string;
  /** The authenticator app's secret (enrolled at creation). */
  totp: string;
}

export const ADMIN_PASSWORD = 'console admin password 2025';

/** An account with a password and an authenticator app; the admin role unless `roles` says otherwise. */
export async function createAdmin(keyward: TestKeyward, email: string, roles = ['admin']): Promise<TestAdmin> {
  const account = await createVerifiedAccount(keyward, email, ADMIN_PASSWORD, roles);
  return { id: account.id, email, password: ADMIN_PASSWORD, totp: await enrolTotp(keyward, email) };
}

/**
 * From a console page without a console session, through Keyward's sign-in pages (password, then
 * the app code when asked) to the console's callback, which is returned unopened. `visited` lists
 * the paths on the way.
 */
export async function walkToConsoleCallback(agent: UserAgent, issuer: string, admin: Pick<TestAdmin, 'email' | 'password' | 'totp'>, start = '/admin'): Promise<{ callback: URL; visited: string[] }> {
  const first = await agent.get(`${issuer}${start}`);
  let next = locationOf(first, issuer);
  const visited: string[] = [];
  for (let step = 0; step < 12; step += 1) {
    visited.push(next.pathname);
    if (next.pathname === '/admin/callback') return { callback: next, visited };
    const response = await agent.get(next);
    if (response.status === 302 || response.status === 303) {
      next = locationOf(response, issuer);
      continue;
    }
    const html = await response.text();
    if (response.status !== 200) throw new Error(`unexpected ${response.status} at ${next.pathname}: ${html.slice(0, 300)}`);
    const csrf = csrfTokenIn(html);
    const submitted = next.pathname.endsWith('/second-factor')
      ? await agent.postForm(new URL(`${next.pathname}/totp`, issuer), { _csrf: csrf, code: nextCode(admin.totp) })
      : html.includes('/login"')
        ? await agent.postForm(new URL(`${next.pathname}/login`, issuer), { _csrf: csrf, email: admin.email, password: admin.password })
        : undefined;
    if (!submitted) throw new Error(`unexpected page at ${next.pathname}`);
    if (submitted.status !== 303) throw new Error(`${next.pathname} answered ${submitted.status}`);
    next = locationOf(submitted, issuer);
  }
  throw new Error('the console sign-in did not reach its callback');
}

/** Signs `admin` in to the console in a fresh user agent; returns it with the console open. */
export async function openConsole(keyward: TestKeyward, admin: Pick<TestAdmin, 'email' | 'password' | 'totp'>): Promise<UserAgent> {
  const agent = new UserAgent();
  const { callback } = await walkToConsoleCallback(agent, keyward.issuer, admin);
  const landed = await agent.get(callback);
  if (landed.status !== 303) throw new Error(`the console callback answered ${landed.status}: ${(await landed.text()).slice(0, 300)}`);
  return agent;
}

/** A console page's HTML and its CSRF token. */
export async function consolePage(agent: UserAgent, url: string): Promise<{ status: number; html: string; csrf: string }> {
  const response = await agent.get(url);
  const html = await response.text();
  return { status: response.status, html, csrf: /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '' };
}

/** The revision a console page's forms were based on. */
export const revisionIn = (html: string): string => /name="revision" value="(\d+)"/.exec(html)![1]!;
