import { clientNetwork } from '../lib/client-network.ts';
import { errors, Provider, type KoaContextWithOIDC } from 'oidc-provider';
import type { Logger } from '../logger/logger.ts';
import type { ThrottleStore } from '../stores/types.ts';

export interface ClientAuthLimits {
  /** Failed client authentications per client, and per IP address, in one window. */
  readonly perClient: number;
  readonly perIp: number;
  readonly windowSeconds: number;
}

export interface ClientAuthThrottleDeps {
  store: ThrottleStore;
  limits: ClientAuthLimits;
  now: () => number;
}

/**
 * Over the limit: 429 (RFC 6585 §4) with Retry-After (RFC 9110 §10.2.3) and an OAuth error
 * body. The code is invalid_client (RFC 6749 §5.2) because the client is, in fact, not
 * authenticated, and every OAuth client library already treats that code as "do not retry
 * these credentials as they are"; temporarily_unavailable exists only for the authorization
 * endpoint (RFC 6749 §4.1.2.1) and slow_down only for device-code polling (RFC 8628 §3.5).
 */
class ClientAuthThrottled extends errors.OIDCProviderError {
  constructor() {
    super(429, 'invalid_client');
    this.error_description = 'too many failed attempts, retry later';
  }
}

type SecretComparer = { compareClientSecret(actual: string): Promise<boolean> | boolean; clientId: string };

/**
 * Limits the guessing of client secrets (RFC 6749 §10.10, RFC 9700 §4.15) at every endpoint
 * that authenticates clients with one: token, introspection and revocation (pushed
 * authorization requests are off) all reach Client#compareClientSecret (lib/shared/client_auth.js),
 * after the client is found and before its secret is compared. Counters live in the store,
 * so every replica shares them; only failures count, so a busy client is never slowed.
 *
 * - Over the client's or the IP's limit, the request is refused without comparing the secret:
 *   the answer is the same whether the secret was right or wrong.
 * - Concurrent guesses may all pass that check before any is counted, so the outcome is
 *   checked again once known: a failure is counted atomically (ThrottleStore#hit) and one that
 *   takes a counter past its limit answers 429, not 401; a right secret is honoured only while
 *   the counters are still under their limits, else 429 as well. Of a burst, at most `limit`
 *   wrong guesses answer 401 and every other guess, the right one included, answers 429:
 *   however many arrive at once, no more than the limit tell the guesser anything.
 *
 * An attacker who knows a client_id can keep that client refused by failing on purpose (as
 * with account lock-outs); the per-client limit trades that against guessing.
 */
export function throttleClientAuthentication(provider: Provider, deps: ClientAuthThrottleDeps, logger: Logger): void {
  const { store, limits, now } = deps;
  const windowMs = limits.windowSeconds * 1000;
  const log = logger.child({ module: 'client-auth' });
  const prototype = provider.Client.prototype as unknown as SecretComparer;
  const compare = prototype.compareClientSecret;

  const throttled = (ctx: KoaContextWithOIDC, resetAt: number) => {
    ctx.set('Retry-After', String(Math.max(1, Math.ceil((resetAt - now()) / 1000))));
    return new ClientAuthThrottled();
  };
  const counters = (clientId: string, ctx: KoaContextWithOIDC) => [
    { key: `client-auth:client:${clientId}`, limit: limits.perClient, scope: 'client' },
    { key: `client-auth:ip:${clientNetwork(ctx.ip || 'unknown')}`, limit: limits.perIp, scope: 'ip' },
  ];
  const refuseIfOverLimit = async (ctx: KoaContextWithOIDC, keys: ReturnType<typeof counters>) => {
    const counts = await Promise.all(keys.map(({ key }) => store.peek(key)));
    const over = counts.findIndex((count, index) => count.count >= keys[index]!.limit);
    if (over !== -1) throw throttled(ctx, counts[over]!.resetAt);
  };

  prototype.compareClientSecret = async function compareUnlessThrottled(this: SecretComparer, actual: string) {
    const ctx = Provider.ctx;
    if (!ctx) return compare.call(this, actual);
    const keys = counters(this.clientId, ctx);
    await refuseIfOverLimit(ctx, keys);
    if (await compare.call(this, actual)) {
      await refuseIfOverLimit(ctx, keys);
      return true;
    }
    const counts = await Promise.all(keys.map(({ key }) => store.hit(key, windowMs)));
    counts.forEach(({ count }, index) => {
      if (count === keys[index]!.limit) log.warn({ clientId: this.clientId, ip: ctx.ip, limit: keys[index]!.scope }, 'failed client authentications reached the limit; refusing until the window ends');
    });
    const over = counts.findIndex(({ count }, index) => count > keys[index]!.limit);
    if (over !== -1) throw throttled(ctx, counts[over]!.resetAt);
    return false;
  };
}
