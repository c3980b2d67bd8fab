import type { Logger } from '../logger/logger.ts';

export interface OutboundFetchOptions {
  /** Let oidc-provider reach private and loopback addresses (its SSRF guard is on by default). */
  allowPrivateNetworks: boolean;
  /** Attempts for a back-channel logout POST that fails with a network error or a 5xx. */
  attempts: number;
  /** Timeout of each attempt, ms. */
  attemptTimeoutMs: number;
  /** Pause before the n-th retry is n × this, ms. */
  backoffMs: number;
}

/**
 * oidc-provider's `fetch` (docs: #fetch) with bounded retries for back-channel logout
 * deliveries (OIDC Back-Channel Logout 1.0 §2.8: the RP may be briefly unavailable). GETs
 * (jwks_uri and the like) are not retried. Every outcome is logged by events.ts.
 */
export function createOutboundFetch(options: OutboundFetchOptions, logger: Logger) {
  const log = logger.child({ module: 'outbound' });
  return async (url: URL | string, init: RequestInit & { dispatcher?: unknown }): Promise<Response> => {
    const { dispatcher, signal: _shared, ...rest } = init;
    const base = options.allowPrivateNetworks ? rest : { ...rest, dispatcher };
    const attempts = init.method === 'POST' ? options.attempts : 1;
    let lastError: unknown;
    for (let attempt = 1; attempt <= attempts; attempt += 1) {
      if (attempt > 1) await new Promise((resolve) => setTimeout(resolve, (attempt - 1) * options.backoffMs));
      try {
        const response = await fetch(url, { ...base, signal: AbortSignal.timeout(options.attemptTimeoutMs) } as RequestInit);
        if (response.status < 500 || attempt === attempts) return response;
        lastError = new Error(`HTTP ${response.status}`);
      } catch (error) {
        lastError = error;
        if (attempt === attempts) throw error;
      }
      log.warn({ url: String(url).split('?')[0], attempt, of: attempts, reason: (lastError as Error).message }, 'outbound request failed; retrying');
    }
    throw lastError;
  };
}
