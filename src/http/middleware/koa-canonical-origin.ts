import type { Middleware } from 'koa';
import type { KeywardState } from '../state.ts';

/**
 * Every request is answered for the configured issuer, whatever its `Host`,
 * `X-Forwarded-Host` or `X-Forwarded-Proto` say (DESIGN.md, Layering rule 7).
 *
 * oidc-provider builds every URL it publishes or compares — discovery endpoints, `jwks_uri`,
 * the client-assertion audience, redirects — from the request (`ctx.href`, lib/helpers/
 * oidc_context.js `urlFor`). Left alone, a request with `Host: attacker.example` makes it
 * publish attacker URLs, and a cache in front of it would hand them to everyone. Pinning
 * koa's `host` and `protocol` to the issuer's here, before any router or the provider runs,
 * closes that class of bug at its root instead of at each URL.
 *
 * The request target's own scheme and host, when a client sends an absolute URL in the request
 * line, are dropped the same way.
 *
 * The protocol is the issuer's too: an https issuer is reached over https by definition
 * (behind a TLS-terminating proxy), which is also what marks cookies `Secure`.
 */
export function canonicalOrigin(issuer: string): Middleware<KeywardState> {
  const url = new URL(issuer);
  const pinned = {
    host: { value: url.host, configurable: true },
    protocol: { value: url.protocol.slice(0, -1), configurable: true },
  };
  return (ctx, next) => {
    // An absolute-form request target (`GET http://evil.example/… HTTP/1.1`, RFC 9112 §3.2.2)
    // is what koa's href and URL return as they are: keep only its path and query.
    if (!ctx.req.url?.startsWith('/')) {
      const target = URL.parse(ctx.req.url ?? '', issuer);
      const path = target ? `${target.pathname}${target.search}` : '/';
      ctx.req.url = path;
      ctx.originalUrl = path;
      ctx.request.originalUrl = path;
      ctx.url = path;
    }
    // Own properties shadow koa's request getters; origin, href, URL and secure derive from them.
    Object.defineProperties(ctx.request, pinned);
    ctx.req.headers.host = url.host;
    delete ctx.req.headers['x-forwarded-host'];
    return next();
  };
}
