import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import { STORE_NAMES } from '../stores/store-errors.ts';
import type { Stores } from '../stores/types.ts';
import { wrapOperations } from '../stores/wrap-operations.ts';

/** Keyward's Prometheus metrics, on a registry of its own (no process-global state). */
export interface Metrics {
  /** False when METRICS_ENABLED is off: nothing reads the registry, so hot paths skip recording. */
  readonly enabled: boolean;
  readonly registry: Registry;
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  readonly tokensIssued: Counter<'grant_type'>;
  readonly signIns: Counter<'outcome'>;
  readonly lockouts: Counter;
  readonly tokenReuse: Counter<'kind'>;
  readonly storeDuration: Histogram<'store' | 'operation'>;
}

export function createMetrics(options: { enabled: boolean }): Metrics {
  const registry = new Registry();
  if (options.enabled) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    enabled: options.enabled,
    registry,
    httpDuration: new Histogram({
      name: 'keyward_http_request_duration_seconds',
      help: 'HTTP request duration by route (the route template or the oidc-provider route name, never the raw path)',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    tokensIssued: new Counter({ name: 'keyward_tokens_issued_total', help: 'Token endpoint successes by grant type', labelNames: ['grant_type'], registers }),
    signIns: new Counter({ name: 'keyward_sign_ins_total', help: 'Password sign-ins by outcome (success, failure, blocked, denied)', labelNames: ['outcome'], registers }),
    lockouts: new Counter({ name: 'keyward_lockouts_total', help: 'Accounts locked after too many failed sign-ins', registers }),
    tokenReuse: new Counter({ name: 'keyward_token_reuse_detected_total', help: 'Reuse of a consumed refresh token or authorization code (the grant is revoked)', labelNames: ['kind'], registers }),
    storeDuration: new Histogram({
      name: 'keyward_store_operation_duration_seconds',
      help: 'Store operation latency',
      labelNames: ['store', 'operation'],
      buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25],
      registers,
    }),
  };
}

/**
 * The same stores, each async operation timed into keyward_store_operation_duration_seconds;
 * the stores themselves when metrics are off, so that no store call pays for a timer.
 */
export function instrumentStores(stores: Stores, metrics: Metrics): Stores {
  if (!metrics.enabled) return stores;
  const timed = <T extends object>(store: T, storeName: string): T =>
    wrapOperations(store, (operation, name) => {
      const labels = { store: storeName, operation: name };
      return async (...args) => {
        const end = metrics.storeDuration.startTimer(labels);
        try {
          return await operation(...args);
        } finally {
          end();
        }
      };
    });
  const wrapped = Object.create(stores) as Stores;
  for (const name of STORE_NAMES) Object.defineProperty(wrapped, name, { value: timed(stores[name], name) });
  return wrapped;
}
