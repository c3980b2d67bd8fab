import type { Logger } from '../logger/logger.ts';
import type { AccountService } from '../services/accounts.service.ts';
import type { ApiRegistry } from '../services/apis.service.ts';
import type { AuditTrail } from '../services/audit.service.ts';
import type { SignInService } from '../services/sign-in.service.ts';
import { keySetFingerprint, providerKeys, publicJwks } from '../services/signing-keys.service.ts';
import type { Clock } from '../lib/clock.ts';
import type { OidcRecordStore, StoredSigningKey } from '../stores/types.ts';
import type { ProviderConfigurationDeps } from './configuration.ts';
import { createInteractionService, type InteractionService } from './interactions.ts';
import { createJwtAccessTokens } from './jwt-access-tokens.ts';
import { createProvider, type Provider, type ProviderExtras } from './provider.ts';

/** The protocol engine for one key set: a provider, its interactions and its JWT access tokens. */
export interface ProtocolEngine {
  readonly provider: Provider;
  readonly interactions: InteractionService;
  readonly fingerprint: string;
}

export interface ProtocolEngineDeps {
  issuer: string;
  clock: Clock;
  oidcRecords: OidcRecordStore;
  configuration: Omit<ProviderConfigurationDeps, 'signingKeys' | 'jwtAccessTokens'>;
  extras: Omit<ProviderExtras, 'jwtAccessTokens'>;
  accounts: AccountService;
  signIn: SignInService;
  apis: ApiRegistry;
  audit: AuditTrail;
  /** The sign-in steps after the first factor (services/mfa). */
  mfa: Pick<Parameters<typeof createInteractionService>[0], 'steps' | 'progress' | 'factors' | 'webauthn' | 'authenticators'>;
}

export async function buildProtocolEngine(deps: ProtocolEngineDeps, keys: readonly StoredSigningKey[]): Promise<ProtocolEngine> {
  const jwtAccessTokens = createJwtAccessTokens({ store: deps.oidcRecords, clock: deps.clock, issuer: deps.issuer, publicJwks: publicJwks(keys) });
  const provider = await createProvider(deps.issuer, { ...deps.configuration, signingKeys: providerKeys(keys), jwtAccessTokens }, { ...deps.extras, jwtAccessTokens });
  return {
    provider,
    interactions: createInteractionService({ provider, accounts: deps.accounts, signIn: deps.signIn, apis: deps.apis, audit: deps.audit, ...deps.mfa }),
    fingerprint: keySetFingerprint(keys),
  };
}

/**
 * Holds the engine for the current key set and swaps in a new one when the key set in the
 * store changes (a rotation by the CLI or by another replica). Requests in flight finish on
 * the engine they started with; sessions and tokens live in the store, so nothing is lost.
 */
export class ProtocolEngineHolder {
  #engine: ProtocolEngine;
  readonly #deps: ProtocolEngineDeps;
  readonly #log: Logger;

  private constructor(initial: ProtocolEngine, deps: ProtocolEngineDeps, logger: Logger) {
    this.#engine = initial;
    this.#deps = deps;
    this.#log = logger.child({ module: 'keys' });
  }

  static async create(deps: ProtocolEngineDeps, keys: readonly StoredSigningKey[], logger: Logger): Promise<ProtocolEngineHolder> {
    return new ProtocolEngineHolder(await buildProtocolEngine(deps, keys), deps, logger);
  }

  get current(): ProtocolEngine {
    return this.#engine;
  }

  /** Rebuilds the engine if `keys` differ from the ones it signs and verifies with; true when it did. */
  async update(keys: readonly StoredSigningKey[]): Promise<boolean> {
    if (keySetFingerprint(keys) === this.#engine.fingerprint) return false;
    this.#engine = await buildProtocolEngine(this.#deps, keys);
    this.#log.info({ kids: keys.map((k) => `${k.kid.slice(0, 8)}:${k.state}`) }, 'signing keys changed; protocol engine reloaded');
    return true;
  }

  /** The interaction service of whichever engine is current at call time. */
  interactions(): InteractionService {
    // Each call goes to the engine current at call time, whichever method it is.
    return new Proxy({} as InteractionService, {
      get: (target, name: keyof InteractionService) => {
        if (Object.hasOwn(target, name)) return target[name]; // replaced on the holder (tests)
        const current = this.#engine.interactions;
        return (current[name] as (...args: unknown[]) => unknown).bind(current);
      },
    });
  }
}
