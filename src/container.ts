import { fileURLToPath } from 'node:url';
import type { Config } from './config/schema.ts';
import { systemClock, type Clock } from './lib/clock.ts';
import { randomToken } from './lib/ids.ts';
import { createViewRenderer, type RenderPage } from './lib/view-renderer.ts';
import { loadCatalogs } from './lib/i18n.ts';
import { createRootLogger, type Logger } from './logger/logger.ts';
import { createOidcAdapterFactory } from './oidc/adapter.ts';
import { createSecurityEventSink } from './oidc/events.ts';
import { createFindAccount } from './oidc/find-account.ts';
import type { InteractionService } from './oidc/interactions.ts';
import { createOutboundFetch } from './oidc/outbound-fetch.ts';
import { createProviderPages } from './oidc/pages.ts';
import { ProtocolEngineHolder, type ProtocolEngineDeps } from './oidc/protocol-engine.ts';
import type { Provider } from './oidc/provider.ts';
import { createAccountMail, type AccountMail } from './services/account-mail.service.ts';
import { createMfaServices, type MfaServices } from './services/mfa/mfa.module.ts';
import { createAccountCenter, type AccountCenter } from './services/account-center/account-center.module.ts';
import { createAccountService, type AccountService } from './services/accounts.service.ts';
import { builtInApis, openApiServices, type ApisAdmin } from './services/admin/apis-admin.service.ts';
import { adminConsoleClient } from './services/admin/admin-console-client.ts';
import { createAdminServices, type AdminModuleDeps, type AdminServices } from './services/admin/admin.module.ts';
import { adminApiIdentifier } from './services/apis.service.ts';
import { createAdminAuthenticator } from './oidc/admin-tokens.ts';
import { clientMetadataProblem } from './oidc/client-validation.ts';
import { createAuditTrail, type AuditTrail } from './services/audit.service.ts';
import { loadClientsFile, type ClientMetadata } from './services/clients.service.ts';
import { resolveCookieSecrets } from './services/cookie-secrets.service.ts';
import { demoClient, seedDemoAccount } from './services/demo-data.service.ts';
import { createFederationService, type FederationService } from './services/federation/federation.service.ts';
import { createUpstreamClients } from './services/federation/upstream-clients.ts';
import { createMailer } from './services/mail.service.ts';
import { createMailOutbox, type MailOutbox } from './services/mail-outbox.service.ts';
import { createMetrics, instrumentStores, type Metrics } from './services/metrics.service.ts';
import { createOneTimeLinks } from './services/one-time-links.service.ts';
import { createEmailOwnership } from './services/email-ownership.service.ts';
import { createPendingSignIns } from './services/pending-sign-ins.service.ts';
import { createPasswordResetService, type PasswordResetService } from './services/password-reset.service.ts';
import { createPasswordHasher, type PasswordHasher } from './services/passwords.service.ts';
import { createRegistrationService, type RegistrationService } from './services/registration.service.ts';
import { createSignInService, type SignInService } from './services/sign-in.service.ts';
import { createKeyRotation, keyRotationPolicy, type KeyRotation } from './services/key-rotation.service.ts';
import { loadSigningKeys } from './services/signing-keys.service.ts';
import { createTokenLifetimeMemory } from './services/token-lifetime-memory.ts';
import { createThrottle } from './services/throttle.service.ts';
import { startMaintenance } from './maintenance.ts';
import { createSealer } from './lib/sealed-values.ts';
import { sealStores } from './stores/sealed-stores.ts';
import { guardStores } from './stores/store-errors.ts';
import type { Stores } from './stores/types.ts';

/** Back-channel logout: 3 attempts of 1.5 s at most, 250 ms then 500 ms apart (bounded, so logout pages stay quick). */
const BACKCHANNEL_DELIVERY = { attempts: 3, attemptTimeoutMs: 1500, backoffMs: 250 };

const VIEWS_DIRECTORY = fileURLToPath(new URL('../views', import.meta.url));
const LOCALES_DIRECTORY = fileURLToPath(new URL('../locales', import.meta.url));

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
  readonly mfa: MfaServices;
  readonly accountCenter: AccountCenter;
  readonly federation: FederationService;
  /** The provider of the current key set (it is replaced when the keys change). */
  readonly provider: Provider;
  readonly interactions: InteractionService;
  readonly keyRotation: KeyRotation;
  /** Users, clients, APIs, keys, sessions and audit, for the admin API and console (services/admin). */
  readonly admin: AdminServices;
  /** Who an admin API bearer token speaks for (oidc/admin-tokens.ts). */
  readonly authenticateAdmin: ReturnType<typeof createAdminAuthenticator>;
  readonly metrics: Metrics;
  readonly render: RenderPage;
  /** Mail waiting to be sent; requests only store it (see services/mail-outbox.service.ts). */
  readonly mailOutbox: MailOutbox;
  /** Re-reads the signing keys now instead of at the next refresh; true when they changed. */
  refreshKeys(): Promise<boolean>;
  /** Stops background work and closes the store. */
  close(): Promise<void>;
}

export interface ContainerOptions {
  /** Create or upgrade the schema first (SQLite start-up, tests); otherwise require it. */
  migrate: boolean;
  clock?: Clock;
  logger?: Logger;
}

/**
 * Opens the store for the configured backend, with its "unavailable" errors answered as 503.
 * Each backend is imported only when chosen: mongoose adds ~20 MiB of resident memory,
 * which an instance on the embedded store should not carry.
 */
export async function openStores(config: Config, clock: Clock, logger?: Logger): Promise<Stores> {
  const { database } = config;
  // Private signing keys and stored secrets are encrypted at rest when KEYWARD_ENCRYPTION_KEY is set.
  const sealer = createSealer(config.encryptionKeys);
  if (database.kind === 'mongo') {
    const [{ createMongoStores }, { isMongoUnavailable }] = await Promise.all([import('./stores/mongo/mongo-stores.ts'), import('./stores/mongo/driver-errors.ts')]);
    return guardStores(sealStores(createMongoStores(database, clock), sealer), isMongoUnavailable);
  }
  const [{ createSqliteStores }, { isSqliteUnavailable }] = await Promise.all([import('./stores/sqlite/sqlite-stores.ts'), import('./stores/sqlite/database.ts')]);
  const warn = (message: string) => logger?.warn({ module: 'storage' }, message);
  return guardStores(sealStores(createSqliteStores({ location: database.location, busyTimeoutMs: database.busyTimeoutMs, warn }, clock), sealer), isSqliteUnavailable);
}

interface AccountServices {
  passwords: PasswordHasher;
  accounts: AccountService;
  audit: AuditTrail;
  signIn: SignInService;
  registration: RegistrationService;
  passwordReset: PasswordResetService;
  mailOutbox: MailOutbox;
  mfa: MfaServices;
  accountCenter: AccountCenter;
  mail: AccountMail;
}

async function buildAccountServices(config: Config, stores: Stores, clock: Clock, logger: Logger, metrics: Metrics): Promise<AccountServices> {
  const passwords = await createPasswordHasher(config.argon2);
  const accounts = createAccountService({ accounts: stores.accounts, passwords, logger: logger.child({ module: 'accounts' }) });
  const audit = createAuditTrail({ store: stores.audit, clock, logger, metrics });
  const throttle = createThrottle(stores.throttle, config.throttle, () => clock.now());
  const links = createOneTimeLinks(stores.oneTimeTokens, clock);
  const mailOutbox = createMailOutbox({ store: stores.mailOutbox, transport: createMailer(config.mail, logger), clock, logger });
  const mail = createAccountMail({
    mailer: mailOutbox,
    issuer: config.issuer,
    productName: config.ui.productName,
    verificationTtlSeconds: config.accounts.emailVerificationTtl,
    catalogs: loadCatalogs(LOCALES_DIRECTORY),
    defaultLocale: config.ui.defaultLocale,
  });
  const mfa = createMfaServices({ config, stores, clock, throttle, audit, mail, accounts, recoveryCodeKey: await stores.secrets.getOrCreate('recovery-code-hash-key', randomToken(32)) });
  const accountCenter = createAccountCenter({ config, stores, clock, accounts, passwords, throttle, audit, mail, mailer: mailOutbox });
  const ownership = createEmailOwnership({ accounts: stores.accounts, identities: stores.federatedIdentities, oidcRecords: stores.oidcRecords, authenticators: stores.authenticators, recoveryCodes: stores.recoveryCodes, mail, audit });
  return {
    passwords,
    accounts,
    audit,
    mailOutbox,
    mfa,
    accountCenter,
    mail,
    signIn: createSignInService({ accounts, accountStore: stores.accounts, throttle, audit, requireVerifiedEmail: config.accounts.requireVerifiedEmail }),
    registration: createRegistrationService({ accounts: stores.accounts, passwords, links, mail, throttle, audit, ownership, verificationTtlSeconds: config.accounts.emailVerificationTtl }),
    passwordReset: createPasswordResetService({ accounts: stores.accounts, oidcRecords: stores.oidcRecords, passwords, links, mail, throttle, audit, ownership }),
  };
}

/** The only place that constructs stores, services and the provider (DESIGN.md, Layout). */
export async function buildContainer(config: Config, options: ContainerOptions): Promise<Container> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createRootLogger(config.log);
  const rawStores = await openStores(config, clock, logger);
  try {
    if (options.migrate) await rawStores.migrate();
    else await rawStores.assertMigrated();

    const metrics = createMetrics({ enabled: config.metrics.enabled });
    const stores = instrumentStores(rawStores, metrics);
    const services = await buildAccountServices(config, stores, clock, logger, metrics);
    const registry = await loadClientsFile(config.clientsFile, { production: config.env === 'production', builtInApis: builtInApis(config.issuer) });
    const lifetimes = createTokenLifetimeMemory({ secrets: stores.secrets, clock });
    const { registry: apis, admin: apisAdmin } = await openApiServices({ issuer: config.issuer, stores, file: registry, audit: services.audit, logger, lifetimes, defaultAccessTokenTtl: config.ttl.accessToken });
    const clients = [...registry.clients, ...builtInClients(config)];
    await warnAboutWeakerClients(clients, stores, logger);
    if (config.demoData) await seedDemoAccount({ accounts: stores.accounts, passwords: services.passwords, logger });
    const cookieSecrets = await resolveCookieSecrets(config.cookieSecrets, stores.secrets);
    const secretHashKey = await clientSecretHashKey(stores);
    // Compiled templates are cached everywhere but in development, where edits show at once.
    const render = createViewRenderer(VIEWS_DIRECTORY, config.ui, config.env !== 'development', { catalogs: loadCatalogs(LOCALES_DIRECTORY), defaultLocale: config.ui.defaultLocale });
    const security = createSecurityEventSink(logger, metrics, services.audit);
    const engineDeps: ProtocolEngineDeps = {
      issuer: config.issuer,
      clock,
      oidcRecords: stores.oidcRecords,
      configuration: {
        config,
        adapter: createOidcAdapterFactory(stores.oidcRecords, clock, { clients: stores.clients, refreshTokenGraceSeconds: config.refreshTokens.reuseGraceSeconds, onSecurityEvent: security }),
        cookieSecrets,
        clients,
        apis,
        findAccount: createFindAccount(services.accounts),
        // undefined for a disabled or deleted account: its tokens then carry and read no claims.
        accountClaims: async (accountId) => {
          const claims = await services.accounts.claimsFor(accountId);
          return claims && { ...claims };
        },
        fetch: createOutboundFetch({ allowPrivateNetworks: config.outbound.allowPrivateNetworks, ...BACKCHANNEL_DELIVERY }, logger),
        pages: createProviderPages(render),
        mfaRequired: services.mfa.steps.requiredFor,
        existingGrants: { records: stores.oidcRecords, audit: services.audit, now: () => clock.now() },
      },
      extras: {
        logger, security, metrics, audit: services.audit,
        revokeRefreshTokensOnLogout: config.refreshTokens.revokeOnLogout,
        clientSecretHashKey: secretHashKey,
        jwksMaxAgeSeconds: config.keys.jwksMaxAgeSeconds,
        trustProxy: config.http.trustProxy,
        clientAuthThrottle: { store: stores.throttle, limits: config.clientAuthThrottle, now: () => clock.now() },
        sessionSeen: services.accountCenter.devices.seen,
      },
      accounts: services.accounts,
      signIn: services.signIn,
      apis,
      audit: services.audit,
      mfa: services.mfa,
    };
    const engine = await ProtocolEngineHolder.create(engineDeps, await loadSigningKeys(stores.signingKeys, clock), logger);
    const keyRotation = createKeyRotation({ store: stores.signingKeys, clock, policy: keyRotationPolicy(config, apis, lifetimes) });
    const maintenance = startMaintenance({ stores, config, clock, logger, engine, keyRotation, apis });
    const admin = composeAdmin(config, stores, clock, { passwords: services.passwords, audit: services.audit, mail: services.mail, keyRotation, clientSecretHashKey: secretHashKey, fileClients: registry.clients, apis: { registry: apis, admin: apisAdmin }, onKeysChanged: maintenance.refreshKeys });
    services.mailOutbox.start();

    return {
      config, logger, clock, stores, cookieSecrets, render, keyRotation, metrics, admin,
      authenticateAdmin: createAdminAuthenticator({ provider: () => engine.current.provider, adminApi: adminApiIdentifier(config.issuer), accounts: stores.accounts, requireMfa: config.admin.requireMfa }),
      get provider() {
        return engine.current.provider;
      },
      accounts: services.accounts,
      passwords: services.passwords,
      mailOutbox: services.mailOutbox,
      registration: services.registration,
      passwordReset: services.passwordReset,
      mfa: services.mfa,
      accountCenter: services.accountCenter,
      federation: createFederationService({
        clients: createUpstreamClients(config.federation.upstreams),
        accounts: stores.accounts,
        identities: stores.federatedIdentities,
        audit: services.audit,
        pending: createPendingSignIns(stores.oidcRecords, clock),
        registrationEnabled: config.accounts.registrationEnabled,
        requireVerifiedEmail: config.accounts.requireVerifiedEmail,
        refreshProfile: config.federation.refreshProfile,
      }),
      interactions: engine.interactions(),
      refreshKeys: maintenance.refreshKeys,
      async close() {
        maintenance.stop();
        await services.mailOutbox.stop();
        await stores.close();
      },
    };
  } catch (error) {
    await rawStores.close();
    throw error;
  }
}

/** Clients that opted out of PKCE are allowed, and said out loud at every start. */
async function warnAboutWeakerClients(fileClients: readonly { client_id: string; require_pkce?: boolean }[], stores: Stores, logger: Logger): Promise<void> {
  const storeClients = (await stores.clients.list()).map((c) => c.metadata as { client_id: string; require_pkce?: boolean });
  for (const client of [...fileClients, ...storeClients]) {
    if (client.require_pkce === false) logger.warn({ clientId: client.client_id }, 'client opted out of PKCE (require_pkce: false): it must send a nonce instead (RFC 9700 §2.1.1)');
  }
}

/** Clients Keyward serves from code: the admin console, and the demo client in development. */
export function builtInClients(config: Config): ClientMetadata[] {
  return [adminConsoleClient(config.issuer, { requireMfa: config.admin.requireMfa }), ...(config.demoData ? [demoClient(config.issuer)] : [])];
}

/** The admin services (services/admin) over one store: the server and the CLI build them alike. */
export function composeAdmin(config: Config, stores: Stores, clock: Clock, deps: Pick<AdminModuleDeps, 'passwords' | 'audit' | 'mail' | 'keyRotation' | 'clientSecretHashKey' | 'fileClients' | 'onKeysChanged'> & { apis: { registry: AdminModuleDeps['apiRegistry']; admin: ApisAdmin } }): AdminServices {
  return createAdminServices({
    ...deps, stores, clock, apis: deps.apis.admin, apiRegistry: deps.apis.registry, builtInClients: builtInClients(config),
    clientMetadataProblem, sessionTtlSeconds: config.ttl.session,
  });
}

/** The key of the keyed hash for CLI-made client secrets, generated once and shared through the store. */
export function clientSecretHashKey(stores: Stores): Promise<string> {
  return stores.secrets.getOrCreate('client-secret-hash-key', randomToken(32));
}
