import type { UpstreamRequest } from '../services/federation/federation.service.ts';
import type { Locale } from '../lib/i18n.ts';
import type { KeywardContext } from './state.ts';

/**
 * UI-only state kept in the signed koa-session cookie (DESIGN.md, Layering rule 6). Nothing
 * here decides who someone is: which account a sign-in resolved to, and a link waiting for a
 * password, live server-side by interaction (services/pending-sign-ins.service.ts).
 */
export interface UiSession {
  csrf?: string;
  /** The language picked with the switcher in the footer (middleware/koa-locale.ts). */
  locale?: Locale;
  /** An upstream sign-in in flight: bound to this browser and this interaction. */
  federation?: { uid: string; upstream: string; request: UpstreamRequest; startedAt: number };
  /**
   * The admin console's own sign-ins in flight (it is a client of Keyward): state, nonce and PKCE
   * verifier of each, newest last, a few at most (one per tab that started one).
   */
  adminConsole?: AdminConsoleFlow[];
}

/** One authorization request of the admin console, bound to this browser (http/admin-console). */
export interface AdminConsoleFlow {
  state: string;
  nonce: string;
  verifier: string;
  /** The console page asked for, to go back to once signed in (a path under /admin). */
  returnTo: string;
  startedAt: number;
}

// koa-session adds ctx.session without a type augmentation for koa.
export function uiSession(ctx: KeywardContext): UiSession {
  const session = (ctx as unknown as { session?: UiSession | null }).session;
  if (!session) throw new Error('uiSession() needs koa-session in front of it');
  return session;
}

/**
 * Starts a fresh UI session once someone signs in: nothing planted in the cookie before
 * (a CSRF secret, an upstream flow) carries over into the signed-in state (session fixation,
 * OWASP Session Management Cheat Sheet, "Renew the Session ID After Any Privilege Level Change").
 */
export function rotateUiSession(ctx: KeywardContext): void {
  const holder = ctx as unknown as { session: UiSession | null };
  // The language choice is no secret and carries over. So do the admin console's sign-ins in
  // flight: that sign-in is what lands here, and its callback (the console, a client of Keyward
  // like any other) needs its state and PKCE verifier. They decide nothing about who is signed in:
  // the code they redeem does, and only this browser's sign-in produced it.
  const locale = holder.session?.locale;
  const adminConsole = holder.session?.adminConsole;
  holder.session = null;
  if (locale || adminConsole) holder.session = { ...(locale ? { locale } : {}), ...(adminConsole ? { adminConsole } : {}) };
}
