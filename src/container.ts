import { fileURLToPath } from 'node:url';
import type { Config } from './config/schema.ts';
import { systemClock, type Clock } from './lib/clock.ts';
import { createViewRenderer, type RenderPage } from './lib/view-renderer.ts';
import { createRootLogger, type Logger } from './logger/logger.ts';
import { createOidcAdapterFactory } from './oidc/adapter.ts';
import { createSecurityEventSink } from './oidc/events.ts';
import { createFindAccount } from './oidc/find-account.ts';
import { createInteractionService, type InteractionService } from './oidc/interactions.ts';
import { createJwtAccessTokens } from './oidc/jwt-access-tokens.ts';
import { createOutboundFetch } from './oidc/outbound-fetch.ts';
import { createProviderPages } from './oidc/pages.ts';
import { createProvider, type Provider } from './oidc/provider.ts';
import { createAccountMail } from './services/account-mail.service.ts';
import { createAccountService, type AccountService } from './services/accounts.service.ts';
import { createApiRegistry } from './services/apis.service.ts';
import { createAuditTrail, type AuditTrail } from './services/audit.service.ts';
import { loadClientsFile } from './services/clients.service.ts';
import { resolveCookieSecrets } from './services/cookie-secrets.service.ts';
import { demoClient, seedDemoAccount } from './services/demo-data.service.ts';
import { createMailer } from './services/mail.service.ts';
import { createOneTimeLinks } from './services/one-time-links.service.ts';
import { createPasswordResetService, type PasswordResetService } from './services/password-reset.service.ts';
import { createPasswordHasher, type PasswordHasher } from './services/passwords.service.ts';
import { createRegistrationService, type RegistrationService } from './services/registration.service.ts';
import { createSignInService, type SignInService } from './services/sign-in.service.ts';
import { loadSigningKeys, publicJwks } from './services/signing-keys.service.ts';
import { createThrottle } from './services/throttle.service.ts';
import { createSqliteStores } from './stores/sqlite/sqlite-stores.ts';
import type { Stores } from './stores/types.ts';

/** Back-channel logout: 3 attempts of 1.5 s at most, 250 ms then 500 ms apart (bounded, so logout pages stay quick). */
const BACKCHANNEL_DELIVERY = { attempts: 3, attemptTimeoutMs: 1500, backoffMs: 250 };

const VIEWS_DIRECTORY = fileURLToPath(new URL('../views', import.meta.url));

export interface Container {
  readonly config: Config;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly stores: Stores;
  readonly cookieSecrets: readonly string[];
  readonly accounts: AccountService;
  readonly passwords: PasswordHasher;
  readonly registration: RegistrationService;
  readonly passwordReset: PasswordResetService;
  readonly provider: Provider;
  readonly interactions: InteractionService;
  readonly render: RenderPage;
  /** Stops background work and closes the store. */
  close(): Promise<void>;
}

export interface ContainerOptions {
  /** Create or upgrade the schema first (SQLite start-up, tests); otherwise require it. */
  migrate: boolean;
  clock?: Clock;
  logger?: Logger;
}

/** Opens the store for the configured backend. */
export function openStores(config: Config, clock: Clock): Stores {
  return createSqliteStores({ location: config.database.location, busyTimeoutMs: config.database.busyTimeoutMs }, clock);
}

interface AccountServices {
  passwords: PasswordHasher;
  accounts: AccountService;
  audit: AuditTrail;
  signIn: SignInService;
  registration: RegistrationService;
  passwordReset: PasswordResetService;
}

async function buildAccountServices(config: Config, stores: Stores, clock: Clock, logger: Logger): Promise<AccountServices> {
  const passwords = await createPasswordHasher(config.argon2);
  const accounts = createAccountService({ accounts: stores.accounts, passwords, logger: logger.child({ module: 'accounts' }) });
  const audit = createAuditTrail({ store: stores.audit, clock, logger });
  const throttle = createThrottle(stores.throttle, config.throttle, () => clock.now());
  const links = createOneTimeLinks(stores.oneTimeTokens, clock);
  const mail = createAccountMail({
    mailer: createMailer(config.mail, logger),
    issuer: config.issuer,
    productName: config.ui.productName,
    verificationTtlSeconds: config.accounts.emailVerificationTtl,
  });
  return {
    passwords,
    accounts,
    audit,
    signIn: createSignInService({ accounts, accountStore: stores.accounts, throttle, audit, requireVerifiedEmail: config.accounts.requireVerifiedEmail }),
    registration: createRegistrationService({ accounts: stores.accounts, passwords, links, mail, throttle, audit, verificationTtlSeconds: config.accounts.emailVerificationTtl }),
    passwordReset: createPasswordResetService({ accounts: stores.accounts, oidcRecords: stores.oidcRecords, passwords, links, mail, throttle, audit }),
  };
}

/** The only place that constructs stores, services and the provider (DESIGN.md, Layout). */
export async function buildContainer(config: Config, options: ContainerOptions): Promise<Container> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createRootLogger(config.log);
  const stores = openStores(config, clock);
  try {
    if (options.migrate) await stores.migrate();
    else await stores.assertMigrated();

    const services = await buildAccountServices(config, stores, clock, logger);
    const registry = await loadClientsFile(config.clientsFile);
    const apis = createApiRegistry(registry.apis);
    const clients = config.demoData ? [...registry.clients, demoClient(config.issuer)] : registry.clients;
    if (config.demoData) await seedDemoAccount({ accounts: stores.accounts, passwords: services.passwords, logger });
    const signingKeys = await loadSigningKeys(stores.signingKeys, clock);
    const cookieSecrets = await resolveCookieSecrets(config.cookieSecrets, stores.secrets);
    const render = createViewRenderer(VIEWS_DIRECTORY, config.ui, config.env === 'production');
    const security = createSecurityEventSink(logger);
    const jwtAccessTokens = createJwtAccessTokens({ store: stores.oidcRecords, clock, issuer: config.issuer, publicJwks: publicJwks(signingKeys) });
    const provider = await createProvider(config.issuer, {
      config,
      adapter: createOidcAdapterFactory(stores.oidcRecords, clock, { refreshTokenGraceSeconds: config.refreshTokens.reuseGraceSeconds, onSecurityEvent: security }),
      signingKeys: signingKeys.map((key) => key.privateJwk),
      cookieSecrets,
      clients,
      apis,
      findAccount: createFindAccount(services.accounts),
      accountClaims: async (accountId) => ({ ...(await services.accounts.claimsFor(accountId)) }),
      jwtAccessTokens,
      fetch: createOutboundFetch({ allowPrivateNetworks: config.outbound.allowPrivateNetworks, ...BACKCHANNEL_DELIVERY }, logger),
      pages: createProviderPages(render),
    }, { logger, security, jwtAccessTokens, audit: services.audit, revokeRefreshTokensOnLogout: config.refreshTokens.revokeOnLogout });
    provider.proxy = config.http.trustProxy;
    const sweeper = startSweeper(stores, config, clock, logger);

    return {
      config, logger, clock, stores, cookieSecrets, provider, render,
      accounts: services.accounts,
      passwords: services.passwords,
      registration: services.registration,
      passwordReset: services.passwordReset,
      interactions: createInteractionService({ provider, accounts: services.accounts, signIn: services.signIn, apis, audit: services.audit }),
      async close() {
        clearInterval(sweeper);
        await stores.close();
      },
    };
  } catch (error) {
    await stores.close();
    throw error;
  }
}

/** Expired records are invisible at read time; this removes them, and old audit events, now and then. */
function startSweeper(stores: Stores, config: Config, clock: Clock, logger: Logger): NodeJS.Timeout {
  const sweep = async () => {
    const removed = await stores.oidcRecords.sweepExpired() + await stores.oneTimeTokens.sweep() + await stores.throttle.sweep()
      + await stores.audit.deleteOlderThan(clock.now() - config.audit.retentionDays * 86_400_000);
    if (removed > 0) logger.debug({ removed }, 'swept expired records');
  };
  const timer = setInterval(() => {
    sweep().catch((error: unknown) => logger.warn({ err: error }, 'sweeping expired records failed'));
  }, config.database.sweepIntervalSeconds * 1000);
  timer.unref();
  return timer;
}
