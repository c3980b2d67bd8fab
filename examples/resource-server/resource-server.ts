/**
 * An API that accepts Keyward access tokens — the pattern an API team copies.
 *
 * - JWT access tokens (RFC 9068) are verified locally against Keyward's JWKS with `jose`:
 *   signature, `typ: at+jwt`, issuer, audience and expiry. Fast, no call to Keyward; a revoked
 *   JWT stays usable until it expires, which is why Keyward's access tokens are short-lived.
 * - Opaque access tokens are checked with token introspection (RFC 7662), authenticated as
 *   the API's resource-server client; Keyward only answers about tokens for this API.
 *
 * Run: KEYWARD_ISSUER=http://localhost:3000 API_AUDIENCE=https://api.example.com \
 *      INTROSPECTION_CLIENT_ID=example-api INTROSPECTION_CLIENT_SECRET=… node examples/resource-server/resource-server.ts
 */
import Router from '@koa/router';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import Koa from 'koa';

export interface ResourceServerOptions {
  issuer: string;
  audience: string;
  /** The resource-server client Keyward knows this API by (for opaque tokens). */
  introspection?: { clientId: string; clientSecret: string };
}

type Claims = JWTPayload & { scope?: string; client_id?: string };

export function createResourceServer(options: ResourceServerOptions): Koa {
  const jwks = createRemoteJWKSet(new URL(`${options.issuer}/jwks`));

  async function verify(token: string): Promise<Claims | undefined> {
    let isJwt = false;
    try {
      isJwt = Boolean(decodeProtectedHeader(token));
    } catch {
      isJwt = false;
    }
    if (isJwt) {
      try {
        const { payload } = await jwtVerify(token, jwks, { issuer: options.issuer, audience: options.audience, typ: 'at+jwt' });
        return payload as Claims;
      } catch {
        return undefined;
      }
    }
    if (!options.introspection) return undefined;
    const { clientId, clientSecret } = options.introspection;
    const response = await fetch(`${options.issuer}/token/introspection`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ token }),
    });
    if (!response.ok) return undefined;
    const claims = (await response.json()) as Claims & { active?: boolean };
    return claims.active === true && claims.aud === options.audience ? claims : undefined;
  }

  /** RFC 6750 §3: a bearer token with the scope the route needs, or 401/403 with WWW-Authenticate. */
  const requireScope = (scope: string): Koa.Middleware => async (ctx, next) => {
    const [scheme, token] = (ctx.get('authorization') || '').split(' ');
    const claims = scheme?.toLowerCase() === 'bearer' && token ? await verify(token) : undefined;
    if (!claims) {
      ctx.status = 401;
      ctx.set('WWW-Authenticate', token ? 'Bearer error="invalid_token"' : 'Bearer');
      ctx.body = { error: 'invalid_token' };
      return;
    }
    if (!(claims.scope ?? '').split(' ').includes(scope)) {
      ctx.status = 403;
      ctx.set('WWW-Authenticate', `Bearer error="insufficient_scope", scope="${scope}"`);
      ctx.body = { error: 'insufficient_scope' };
      return;
    }
    ctx.state.claims = claims;
    await next();
  };

  const router = new Router();
  router.get('/orders', requireScope('orders:read'), (ctx) => {
    const claims = ctx.state.claims as Claims;
    ctx.body = { orders: [], for: claims.sub, client: claims.client_id };
  });
  router.get('/reports', requireScope('reports:read'), (ctx) => {
    ctx.body = { reports: [], for: (ctx.state.claims as Claims).sub };
  });

  const app = new Koa();
  app.use(router.routes()).use(router.allowedMethods());
  return app;
}

if (import.meta.main) {
  const { KEYWARD_ISSUER, API_AUDIENCE, INTROSPECTION_CLIENT_ID, INTROSPECTION_CLIENT_SECRET, PORT = '4000' } = process.env;
  if (!KEYWARD_ISSUER || !API_AUDIENCE) {
    console.error('set KEYWARD_ISSUER and API_AUDIENCE');
    process.exit(1);
  }
  const introspection = INTROSPECTION_CLIENT_ID && INTROSPECTION_CLIENT_SECRET ? { clientId: INTROSPECTION_CLIENT_ID, clientSecret: INTROSPECTION_CLIENT_SECRET } : undefined;
  createResourceServer({ issuer: KEYWARD_ISSUER, audience: API_AUDIENCE, introspection }).listen(Number(PORT), () => {
    console.log(`example API on http://localhost:${PORT} (audience ${API_AUDIENCE})`);
  });
}
