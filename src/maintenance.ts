import { UNCONFIRMED_TTL_MS } from './services/mfa/authenticators.service.ts';
import type { Config } from './config/schema.ts';
import type { Clock } from './lib/clock.ts';
import type { Logger } from './logger/logger.ts';
import type { ProtocolEngineHolder } from './oidc/protocol-engine.ts';
import type { LiveApiRegistry } from './services/api-registry.service.ts';
import type { KeyRotation } from './services/key-rotation.service.ts';
import type { Stores } from './stores/types.ts';

/** Mails given up are kept this long for the operator to see why, then removed (they hold live links). */
const ABANDONED_MAIL_RETENTION_MS = 7 * 86_400_000;

export interface Maintenance {
  /** Re-reads the key set now (and rotates or retires when due); true when the engine changed. */
  refreshKeys(): Promise<boolean>;
  stop(): void;
}

/** Background work: key refresh (and scheduled rotation), API refresh, and sweeping expired records. */
export function startMaintenance(deps: { stores: Stores; config: Config; clock: Clock; logger: Logger; engine: ProtocolEngineHolder; keyRotation: KeyRotation; apis: Pick<LiveApiRegistry, 'refresh'> }): Maintenance {
  const { stores, config, clock, logger, engine, keyRotation, apis } = deps;
  const log = logger.child({ module: 'maintenance' });
  const refreshKeys = async () => {
    const rotationPeriodMs = config.keys.rotationDays * 86_400_000;
    if (rotationPeriodMs > 0 && (await keyRotation.isDue(rotationPeriodMs))) {
      const result = await keyRotation.rotate();
      log.info({ outcome: result.outcome }, 'scheduled signing key rotation');
    }
    const retired = await keyRotation.retire();
    if (retired.length > 0) log.info({ retired: retired.map((kid) => kid.slice(0, 8)) }, 'retired previous signing keys');
    return engine.update(await stores.signingKeys.list());
  };
  const sweep = async () => {
    const removed = await stores.oidcRecords.sweepExpired() + await stores.oneTimeTokens.sweep() + await stores.throttle.sweep()
      + await stores.audit.deleteOlderThan(clock.now() - config.audit.retentionDays * 86_400_000)
      + await stores.mailOutbox.sweepAbandoned(clock.now() - ABANDONED_MAIL_RETENTION_MS)
      + await stores.authenticators.sweepUnconfirmed(clock.now() - UNCONFIRMED_TTL_MS);
    if (removed > 0) log.debug({ removed }, 'swept expired records');
  };
  const every = (seconds: number, work: () => Promise<unknown>, what: string) => {
    const timer = setInterval(() => {
      work().catch((error: unknown) => log.warn({ err: error }, `${what} failed`));
    }, seconds * 1000);
    timer.unref();
    return timer;
  };
  const timers = [
    every(config.keys.refreshSeconds, refreshKeys, 'refreshing signing keys'),
    // APIs changed by the CLI or another replica; a failed read keeps serving the last set.
    every(config.apis.refreshSeconds, () => apis.refresh(), 'refreshing APIs'),
    every(config.database.sweepIntervalSeconds, sweep, 'sweeping expired records'),
  ];
  return { refreshKeys, stop: () => timers.forEach((timer) => clearInterval(timer)) };
}
