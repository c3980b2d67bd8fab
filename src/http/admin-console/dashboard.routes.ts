import { hourlyChart } from './dashboard-chart.ts';
import { methodNames, when, type ConsoleKit } from './console-kit.ts';
import { auditRow } from './audit.routes.ts';

/** The dashboard: counts, sign-ins and failures per hour over the last day, recent security events. */
export function dashboardRoutes(kit: ConsoleKit): void {
  kit.router.get('/', kit.guard(async (ctx, admin) => {
    const summary = await kit.admin.audit.dashboard();
    await kit.page(ctx, admin, 'dashboard', 'admin.dashboard.title', {
      counts: { users: summary.users, clients: summary.clients, sessions: summary.active_sessions },
      chart: hourlyChart(summary.hours),
      securityEvents: summary.security_events.map(auditRow),
      signedInAt: when(admin.signIn.authTime === undefined ? undefined : admin.signIn.authTime * 1000),
      methods: methodNames(admin.signIn.amr),
    });
  }));
}
