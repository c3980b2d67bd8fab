import { fileURLToPath } from 'node:url';
import type { Config } from './config/schema.ts';
import { systemClock, type Clock } from './lib/clock.ts';
import { createViewRenderer, type RenderPage } from './lib/view-renderer.ts';
import { createRootLogger, type Logger } from './logger/logger.ts';
import { createOidcAdapterFactory } from './oidc/adapter.ts';
import { createSecurityEventSink } from './oidc/events.ts';
import { createFindAccount } from './oidc/find-account.ts';
import { createJwtAccessTokens } from './oidc/jwt-access-tokens.ts';
import { createOutboundFetch } from './oidc/outbound-fetch.ts';
import { createInteractionService, type InteractionService } from './oidc/interactions.ts';
import { createProviderPages } from './oidc/pages.ts';
import { createProvider, type Provider } from './oidc/provider.ts';
import { createAccountService, type AccountService } from './services/accounts.service.ts';
import { createApiRegistry } from './services/apis.service.ts';
import { loadClientsFile } from './services/clients.service.ts';
import { resolveCookieSecrets } from './services/cookie-secrets.service.ts';
import { DEMO_ACCOUNT, demoClient, seedDemoAccount } from './services/demo-data.service.ts';
import { createPasswordHasher } from './services/passwords.service.ts';
import { loadSigningKeys, publicJwks } from './services/signing-keys.service.ts';
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

/** The only place that constructs stores, services and the provider (DESIGN.md, Layout). */
export async function buildContainer(config: Config, options: ContainerOptions): Promise<Container> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createRootLogger(config.log);
  const stores = openStores(config, clock);
  try {
    if (options.migrate) await stores.migrate();
    else await stores.assertMigrated();

    const passwords = await createPasswordHasher(config.argon2);
    const accounts = createAccountService({ accounts: stores.accounts, passwords, logger: logger.child({ module: 'accounts' }) });
    const registry = await loadClientsFile(config.clientsFile);
    const clients = config.demoData ? [...registry.clients, demoClient(config.issuer)] : registry.clients;
    if (config.demoData) {
      await seedDemoAccount({ accounts: stores.accounts, passwords, logger });
    }
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
      apis: createApiRegistry(registry.apis),
      findAccount: createFindAccount(accounts),
      accountClaims: async (accountId) => ({ ...(await accounts.claimsFor(accountId)) }),
      jwtAccessTokens,
      fetch: createOutboundFetch({ allowPrivateNetworks: config.outbound.allowPrivateNetworks, ...BACKCHANNEL_DELIVERY }, logger),
      pages: createProviderPages(render),
    }, { logger, security, jwtAccessTokens, revokeRefreshTokensOnLogout: config.refreshTokens.revokeOnLogout });
    provider.proxy = config.http.trustProxy;
    const sweeper = startSweeper(stores, config.database.sweepIntervalSeconds, logger);

    return {
      config, logger, clock, stores, cookieSecrets, accounts, provider, render,
      interactions: createInteractionService(provider, accounts),
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

/** Expired records are invisible at read time; this removes them from disk now and then. */
function startSweeper(stores: Stores, intervalSeconds: number, logger: Logger): NodeJS.Timeout {
  const timer = setInterval(() => {
    stores.oidcRecords.sweepExpired().then(
      (removed) => removed > 0 && logger.debug({ removed }, 'swept expired records'),
      (error: unknown) => logger.warn({ err: error }, 'sweeping expired records failed'),
    );
  }, intervalSeconds * 1000);
  timer.unref();
  return timer;
}

export { DEMO_ACCOUNT };
