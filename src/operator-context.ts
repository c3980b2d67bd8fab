import { fileURLToPath } from 'node:url';
import type { Config } from './config/schema.ts';
import { clientSecretHashKey, composeAdmin, openStores } from './container.ts';
import { systemClock, type Clock } from './lib/clock.ts';
import { loadCatalogs } from './lib/i18n.ts';
import { createRootLogger, type Logger } from './logger/logger.ts';
import { createAccountMail } from './services/account-mail.service.ts';
import type { AdminServices } from './services/admin/admin.module.ts';
import { builtInApis, openApiServices } from './services/admin/apis-admin.service.ts';
import { createAuditTrail } from './services/audit.service.ts';
import { loadClientsFile } from './services/clients.service.ts';
import { createKeyRotation, keyRotationPolicy } from './services/key-rotation.service.ts';
import { createMailer } from './services/mail.service.ts';
import { createMailOutbox } from './services/mail-outbox.service.ts';
import { createPasswordHasher, type PasswordHasher } from './services/passwords.service.ts';
import { createTokenLifetimeMemory } from './services/token-lifetime-memory.ts';
import type { Stores } from './stores/types.ts';

const LOCALES_DIRECTORY = fileURLToPath(new URL('../locales', import.meta.url));

/**
 * What the keyward CLI works with: the store and the admin services, no server. The second
 * composition root beside container.ts (which it reuses for the stores and the admin services),
 * kept apart only so that each file stays readable.
 */
export interface OperatorContext {
  readonly config: Config;
  readonly stores: Stores;
  readonly clock: Clock;
  /** The same admin services the REST API and the console call. */
  readonly admin: AdminServices;
  readonly passwords: PasswordHasher;
  /** Clients and APIs declared in the clients file (they win over store ones). */
  readonly registry: Awaited<ReturnType<typeof loadClientsFile>>;
  close(): Promise<void>;
}

export async function openOperatorContext(config: Config, options: { clock?: Clock; logger?: Logger } = {}): Promise<OperatorContext> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createRootLogger({ ...config.log, level: 'warn' });
  const stores = await openStores(config, clock);
  try {
    await stores.assertMigrated();
    const registry = await loadClientsFile(config.clientsFile, { production: config.env === 'production', builtInApis: builtInApis(config.issuer) });
    const audit = createAuditTrail({ store: stores.audit, clock, logger });
    const lifetimes = createTokenLifetimeMemory({ secrets: stores.secrets, clock });
    const apis = await openApiServices({ issuer: config.issuer, stores, file: registry, audit, logger: logger.child({}, { level: 'error' }), lifetimes, defaultAccessTokenTtl: config.ttl.accessToken });
    // Not started: the CLI only queues mail; a running Keyward's outbox worker delivers.
    const mail = createAccountMail({
      mailer: createMailOutbox({ store: stores.mailOutbox, transport: createMailer(config.mail, logger), clock, logger }), issuer: config.issuer, productName: config.ui.productName,
      verificationTtlSeconds: config.accounts.emailVerificationTtl, catalogs: loadCatalogs(LOCALES_DIRECTORY), defaultLocale: config.ui.defaultLocale,
    });
    const passwords = await createPasswordHasher(config.argon2);
    const admin = composeAdmin(config, stores, clock, {
      passwords, audit, mail, fileClients: registry.clients, apis,
      keyRotation: createKeyRotation({ store: stores.signingKeys, clock, policy: keyRotationPolicy(config, apis.registry, lifetimes) }),
      clientSecretHashKey: await clientSecretHashKey(stores),
    });
    return { config, stores, clock, registry, admin, passwords, close: () => stores.close() };
  } catch (error) {
    await stores.close();
    throw error;
  }
}
