import Router from '@koa/router';
import type { Middleware } from 'koa';
import type { Message } from '../../lib/i18n.ts';
import type { AdminServices } from '../../services/admin/admin.module.ts';
import type { KeywardContext, KeywardState } from '../state.ts';
import { apisRoutes } from './apis.routes.ts';
import { auditRoutes } from './audit.routes.ts';
import { clientsRoutes } from './clients.routes.ts';
import { consoleAccess, type ConsoleAccessDeps } from './console-access.ts';
import { consoleCsrf, type ConsoleAdmin, type ConsoleKit } from './console-kit.ts';
import { dashboardRoutes } from './dashboard.routes.ts';
import { keysRoutes } from './keys.routes.ts';
import { usersRoutes } from './users.routes.ts';

/** The console's sections, in the order of its navigation. */
const NAV: readonly (readonly [string, Message])[] = [
  ['/admin', 'admin.nav.dashboard'],
  ['/admin/users', 'admin.nav.users'],
  ['/admin/clients', 'admin.nav.clients'],
  ['/admin/apis', 'admin.nav.apis'],
  ['/admin/keys', 'admin.nav.keys'],
  ['/admin/audit', 'admin.nav.audit'],
];

const isCurrent = (href: string, path: string) => (href === '/admin' ? path === '/admin' || path === '/admin/' : path === href || path.startsWith(`${href}/`));

/**
 * The admin console at /admin (issue 18): server-rendered pages over the admin services
 * (services/admin), for administrators signed in through Keyward itself. Every page and form
 * checks the console session first (console-access.ts); every form posts with a CSRF token;
 * a refusal of an admin service is shown on the page, with its problems.
 */
export function adminConsoleRoutes(deps: ConsoleAccessDeps & { admin: AdminServices; uiSession: Middleware }): Router<KeywardState> {
  const router = new Router<KeywardState>({ prefix: '/admin' });
  const access = consoleAccess(deps);
  router.use(deps.uiSession, async (ctx, next) => {
    // Pages about people and secrets: never cached, never indexed.
    ctx.set('Cache-Control', 'no-store');
    ctx.set('X-Robots-Tag', 'noindex');
    await next();
  });
  access.register(router);

  const kit: ConsoleKit = {
    router,
    admin: deps.admin,
    guard: access.guard,
    async page(ctx: KeywardContext, admin: ConsoleAdmin, view: string, title: Message, model: object = {}) {
      const csrfToken = consoleCsrf(ctx);
      ctx.type = 'html';
      ctx.body = await deps.render(`admin/${view}`, {
        title, requestId: ctx.state.requestId, locale: ctx.state.locale, path: ctx.path,
        console: { nav: NAV.map(([href, label]) => ({ href, label, current: isCurrent(href, ctx.path) })), signedInAs: admin.account.email, csrfToken },
      }, { csrfToken, ...model });
    },
  };
  dashboardRoutes(kit);
  usersRoutes(kit);
  clientsRoutes(kit);
  apisRoutes(kit);
  keysRoutes(kit);
  auditRoutes(kit);
  return router;
}
