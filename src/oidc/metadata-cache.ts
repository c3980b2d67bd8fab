import { createHash } from 'node:crypto';
import type { Middleware } from 'koa';
import type { Provider } from 'oidc-provider';

/** Documents that depend only on the configuration and the key set. */
const CACHEABLE = new Set(['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server', '/jwks']);
const REPLAYED_HEADERS = ['content-type', 'cache-control'];

interface CachedDocument {
  body: string;
  etag: string;
  headers: [string, string][];
}

/**
 * oidc-provider rebuilds discovery and the JWKS on every request. Keyward keeps the first answer
 * per provider instance — a key rotation brings a new instance, so the cache follows the keys —
 * and serves it with an ETag (RFC 9110 §8.8.3), answering 304 to a matching If-None-Match.
 */
export function metadataCache(current: () => Provider): Middleware {
  const cache = new WeakMap<Provider, Map<string, CachedDocument>>();
  // Every protocol request passes here: it does so without an async frame of its own.
  return (ctx, next) => {
    if ((ctx.method !== 'GET' && ctx.method !== 'HEAD') || !CACHEABLE.has(ctx.path)) return next();
    return serve(ctx, next);
  };

  async function serve(ctx: Parameters<Middleware>[0], next: () => Promise<unknown>): Promise<void> {
    const provider = current();
    let documents = cache.get(provider);
    if (!documents) cache.set(provider, (documents = new Map()));
    const cached = documents.get(ctx.path);
    if (!cached) {
      await next();
      if (ctx.status !== 200 || ctx.body === undefined || ctx.body === null) return;
      const body = typeof ctx.body === 'string' ? ctx.body : JSON.stringify(ctx.body);
      const document = {
        body,
        etag: `"${createHash('sha256').update(body).digest('base64url')}"`,
        headers: REPLAYED_HEADERS.flatMap((name): [string, string][] => (ctx.response.get(name) ? [[name, ctx.response.get(name)]] : [])),
      };
      documents.set(ctx.path, document);
      ctx.body = body;
      ctx.set('ETag', document.etag);
      return;
    }
    for (const [name, value] of cached.headers) ctx.set(name, value);
    // Public documents: any origin may read them (as oidc-provider's own CORS for these routes).
    if (ctx.get('origin')) ctx.set('Access-Control-Allow-Origin', '*');
    ctx.set('ETag', cached.etag);
    if (ctx.get('if-none-match').split(',').map((tag) => tag.trim().replace(/^W\//, '')).includes(cached.etag)) {
      ctx.status = 304;
      return;
    }
    ctx.status = 200;
    ctx.body = cached.body;
  }
}
