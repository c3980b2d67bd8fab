import type { Config } from '../config/schema.ts';
import type { Clock } from '../lib/clock.ts';
import type { SigningKeyStore } from '../stores/types.ts';
import type { ApiRegistry } from './apis.service.ts';
import { generateSigningKeys } from './signing-keys.service.ts';
import type { TokenLifetimeMemory } from './token-lifetime-memory.ts';

export interface KeyRotationPolicy {
  /** A next key must have been published this long before it may sign: JWKS cache max-age + replica refresh. */
  minNextPublishedMs: number;
  /** A previous key stays published this long: the longest lifetime of a token it signed, + replica refresh. */
  retireAfterMs: number;
  /** How long, besides, for tokens of an API that no longer issues them so long (token-lifetime-memory.ts). */
  retainedMs?: () => Promise<number>;
}

export type RotationResult =
  | { outcome: 'rotated'; current: string[]; next: string[] }
  /** There was no next key: one is published now; rotate again once caches have it. */
  | { outcome: 'published_next'; next: string[]; waitSeconds: number }
  /** The next key was published too recently for every cache to know it. */
  | { outcome: 'too_soon'; waitSeconds: number }
  /** Another process rotated at the same moment; nothing was done twice. */
  | { outcome: 'raced' };

export interface KeyRotation {
  rotate(options?: { force?: boolean }): Promise<RotationResult>;
  /** Removes previous keys whose tokens have all expired; returns their kids. */
  retire(): Promise<string[]>;
  /** True when the current keys have signed for at least `periodMs`. */
  isDue(periodMs: number): Promise<boolean>;
}

export function createKeyRotation(deps: { store: SigningKeyStore; clock: Clock; policy: KeyRotationPolicy }): KeyRotation {
  const { store, clock, policy } = deps;
  const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));
  return {
    async rotate({ force = false } = {}) {
      const keys = await store.list();
      const next = keys.filter((key) => key.state === 'next');
      if (next.length === 0) {
        const published = await generateSigningKeys(clock, 'next');
        await store.addNext(published);
        return { outcome: 'published_next', next: published.map((k) => k.kid), waitSeconds: seconds(policy.minNextPublishedMs) };
      }
      const youngest = Math.max(...next.map((key) => key.stateSince));
      const wait = youngest + policy.minNextPublishedMs - clock.now();
      if (wait > 0 && !force) return { outcome: 'too_soon', waitSeconds: seconds(wait) };
      const newNext = await generateSigningKeys(clock, 'next');
      const current = keys.filter((key) => key.state === 'current').map((key) => key.kid);
      if (!(await store.rotate(current, newNext, clock.now()))) return { outcome: 'raced' };
      return { outcome: 'rotated', current: next.map((k) => k.kid), next: newNext.map((k) => k.kid) };
    },
    async retire() {
      const retainMs = Math.max(policy.retireAfterMs, (await policy.retainedMs?.()) ?? 0);
      return store.retirePrevious(clock.now() - retainMs);
    },
    async isDue(periodMs) {
      const current = (await store.list()).filter((key) => key.state === 'current');
      return current.length > 0 && Math.min(...current.map((key) => key.stateSince)) + periodMs <= clock.now();
    },
  };
}

/**
 * A next key is published for JWKS_MAX_AGE + the refresh period before it may sign; a previous
 * key stays published until every token it signed has expired (the longest lifetime of an ID
 * token or access token, any JWT API's included: opaque tokens are not signed) + the refresh period.
 *
 * `apis` is the live registry, read at every retirement: APIs change at run time. The longest
 * lifetime seen never shrinks in this process, since tokens issued before an API was shortened
 * or removed live on with the lifetime they were issued with.
 */
export function keyRotationPolicy(config: Pick<Config, 'keys' | 'ttl'>, apis: Pick<ApiRegistry, 'all'>, memory?: Pick<TokenLifetimeMemory, 'longestInForceSeconds'>): KeyRotationPolicy {
  const refreshMs = config.keys.refreshSeconds * 1000;
  let longestTokenSeconds = Math.max(config.ttl.idToken, config.ttl.accessToken);
  return {
    minNextPublishedMs: config.keys.jwksMaxAgeSeconds * 1000 + refreshMs,
    ...(memory ? { retainedMs: async () => (await memory.longestInForceSeconds()) * 1000 + refreshMs } : {}),
    get retireAfterMs() {
      const jwtTtls = apis.all.filter((api) => api.token_format === 'jwt').map((api) => api.access_token_ttl ?? 0);
      longestTokenSeconds = Math.max(longestTokenSeconds, ...jwtTtls);
      return longestTokenSeconds * 1000 + refreshMs;
    },
  };
}
