import { fileURLToPath } from 'node:url';
import Koa from 'koa';
import compose from 'koa-compose';
import mount from 'koa-mount';
import createSession from 'koa-session';
import serve from 'koa-static';
import type { Container } from './container.ts';
import { bodyLimit } from './http/middleware/koa-body-limit.ts';
import { canonicalOrigin } from './http/middleware/koa-canonical-origin.ts';
import { errorHandler } from './http/middleware/koa-error-handler.ts';
import { locale } from './http/middleware/koa-locale.ts';
import { requestContext } from './http/middleware/koa-request-context.ts';
import { securityHeaders } from './http/middleware/koa-security-headers.ts';
import { ADMIN_API_VERSION, adminApiFallback, adminApiRoutes } from './http/admin-api/admin-api.routes.ts';
import { adminOperations } from './http/admin-api/admin-api.operations.ts';
import { adminConsoleRoutes } from './http/admin-console/admin-console.routes.ts';
import { accountCenterRoutes } from './http/routes/account-center.routes.ts';
import { accountSecurityRoutes } from './http/routes/account-security.routes.ts';
import { signInStepsRoutes } from './http/routes/sign-in-steps.routes.ts';
import { accountRoutes } from './http/routes/account.routes.ts';
import { demoRoutes } from './http/routes/demo.routes.ts';
import { federationRoutes } from './http/routes/federation.routes.ts';
import { healthRoutes } from './http/routes/health.routes.ts';
import { interactionRoutes } from './http/routes/interaction.routes.ts';
import { metricsRoutes } from './http/routes/metrics.routes.ts';
import { themeRoutes } from './http/routes/theme.routes.ts';
import type { KeywardState } from './http/state.ts';
import { metadataCache } from './oidc/metadata-cache.ts';

/** Paths Keyward serves itself; everything else is the protocol engine's. */
const KEYWARD_PATHS = /^\/(?:assets|interaction|register|verify-email|forgot-password|reset-password|federation|account|admin|demo|healthz|readyz|metrics)(?:\/|$)/;

const PUBLIC_DIRECTORY = fileURLToPath(new URL('../public', import.meta.url));

/**
 * Mounts whichever provider is current: the container replaces it when the signing keys
 * change, and each request runs start to end on the one it began with.
 */
function mountCurrentProvider(current: () => Container['provider']): Koa.Middleware<KeywardState> {
  const mounted = new WeakMap<object, Koa.Middleware>();
  return (ctx, next) => {
    const provider = current();
    let middleware = mounted.get(provider);
    if (!middleware) {
      middleware = mount(provider);
      mounted.set(provider, middleware);
    }
    return middleware(ctx, next);
  };
}

/** The koa app: middleware order, routers, and the mounted protocol engine. No logic. */
export function createApp(container: Container): Koa<KeywardState> {
  const { config, render } = container;
  // With TRUST_PROXY, the client address is the one TRUST_PROXY_HOPS from the right of
  // X-Forwarded-For: each trusted proxy appends the address it saw, and everything to its
  // left was written by the client (koa's maxIpsCount keeps only the rightmost entries).
  const app = new Koa<KeywardState>({ proxy: config.http.trustProxy, maxIpsCount: config.http.trustProxyHops, keys: [...container.cookieSecrets] });
  const https = config.issuer.startsWith('https://');

  // UI-only state (CSRF token), signed with the cookie secrets; identity state lives in oidc-provider.
  const uiSession = createSession({ key: 'keyward.ui', httpOnly: true, sameSite: 'lax', secure: https, signed: true, maxAge: 60 * 60 * 1000 }, app);

  const registrationEnabled = config.accounts.registrationEnabled;
  const routers = [
    healthRoutes({ ping: () => container.stores.ping() }),
    themeRoutes({ ui: config.ui, clientAccent: async (clientId) => ((await container.provider.Client.find(clientId)) as { accent_color?: string } | undefined)?.accent_color }),
    interactionRoutes({ interactions: container.interactions, federation: container.federation, render, uiSession, registrationEnabled }),
    // Routes of a feature that is not configured are not mounted at all.
    ...(config.federation.upstreams.length > 0 ? [federationRoutes({ federation: container.federation, interactions: container.interactions, render, uiSession, issuer: config.issuer })] : []),
    accountCenterRoutes({ interactions: container.interactions, center: container.accountCenter, federation: container.federation, reauthentication: container.mfa.reauthentication, accounts: container.stores.accounts, render, uiSession }),
    signInStepsRoutes({ interactions: container.interactions, federation: container.federation, authenticators: container.mfa.authenticators, accounts: container.stores.accounts, render, uiSession }),
    accountSecurityRoutes({ interactions: container.interactions, authenticators: container.mfa.authenticators, reauthentication: container.mfa.reauthentication, accounts: container.stores.accounts, mfaRequiredFor: container.mfa.mfaRequiredFor, render, uiSession }),
    accountRoutes({ registration: container.registration, passwordReset: container.passwordReset, render, uiSession, registrationEnabled }),
    ...(config.demoData ? [demoRoutes({ render, issuer: config.issuer })] : []),
    adminApiRoutes({ operations: adminOperations(container.admin), authenticate: container.authenticateAdmin, issuer: config.issuer, version: ADMIN_API_VERSION }),
    adminConsoleRoutes({ admin: container.admin, provider: () => container.provider, records: container.stores.oidcRecords, accounts: container.stores.accounts, clock: container.clock, issuer: config.issuer, requireMfa: config.admin.requireMfa, endBrowserSession: container.accountCenter.devices.signOut, render, uiSession }),
    ...(config.metrics.enabled && config.metrics.token ? [metricsRoutes({ registry: container.metrics.registry, token: config.metrics.token })] : []),
  ];

  app.use(canonicalOrigin(config.issuer));
  app.use(requestContext(container.logger, container.metrics));
  app.use(securityHeaders({ https }));
  app.use(locale(config.ui.defaultLocale, uiSession));
  app.use(errorHandler(render));
  app.use(bodyLimit());
  // Keyward's own pages and endpoints; protocol requests skip their routers entirely.
  const own = compose<Koa.ParameterizedContext<KeywardState>>([
    mount('/assets', serve(PUBLIC_DIRECTORY, { maxage: 3600_000, gzip: false, brotli: false })),
    adminApiFallback,
    ...routers.flatMap((router) => [router.routes(), router.allowedMethods()]),
  ] as Koa.Middleware<KeywardState>[]);
  app.use((ctx, next) => (KEYWARD_PATHS.test(ctx.path) ? own(ctx, next) : next()));
  app.use(metadataCache(() => container.provider));
  app.use(mountCurrentProvider(() => container.provider));
  app.on('error', (error: unknown) => container.logger.debug({ err: error }, 'response stream error'));
  return app;
}

/** The separate metrics listener (METRICS_PORT): /metrics only, and the token too if one is set. */
export function createMetricsApp(container: Container): Koa<KeywardState> {
  const app = new Koa<KeywardState>();
  const router = metricsRoutes({ registry: container.metrics.registry, token: container.config.metrics.token });
  app.use(router.routes()).use(router.allowedMethods());
  return app;
}
