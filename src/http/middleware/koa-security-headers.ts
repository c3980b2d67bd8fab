import type { Middleware } from 'koa';
import type { KeywardState } from '../state.ts';

/**
 * Security headers on every response. The CSP forbids inline script and style and framing;
 * it deliberately has no form-action: after a form post the browser follows redirects to
 * the client's redirect_uri, which form-action would block in Chromium.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  // passkey.js fetches WebAuthn options from Keyward itself, and from nowhere else.
  "connect-src 'self'",
  "style-src 'self'",
  "img-src 'self' https: data:",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

// Not async: nothing to await here, so every request is spared one promise and one await.
export function securityHeaders(options: { https: boolean }): Middleware<KeywardState> {
  return (ctx, next) => {
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.set('X-Frame-Options', 'DENY');
    ctx.set('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    if (options.https) ctx.set('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
    return next();
  };
}
