import type { KoaContextWithOIDC, Provider } from 'oidc-provider';
import { StoreUnavailableError } from '../errors/app-error.ts';
import type { Logger } from '../logger/logger.ts';
import type { Metrics } from '../services/metrics.service.ts';
import type { AuditTrail } from '../services/audit.service.ts';
import type { SecurityEventSink } from './adapter.ts';
import { isJwt } from './jwt-access-tokens.ts';
import { userinfoBearerToken } from './userinfo-for-api-tokens.ts';

/**
 * oidc-provider events mapped to log lines in one place (DESIGN.md, Conventions 6;
 * https://github.com/panva/node-oidc-provider/blob/main/docs/events.md). Only error codes
 * and ids are logged, never tokens or codes.
 */
const CLIENT_ERROR_EVENTS = [
  'authorization.error', 'backchannel.error', 'end_session.error', 'grant.error',
  'introspection.error', 'jwks.error', 'discovery.error', 'revocation.error', 'userinfo.error',
] as const;

interface OidcErrorLike {
  error?: string;
  error_description?: string;
  error_detail?: string;
  status?: number;
  message?: string;
}

/** oidc-provider's own detection of a sequential second redemption (lib/actions/grants/*). */
const REUSE_DETAILS: Record<string, 'authorization_code_reuse' | 'refresh_token_reuse'> = {
  'authorization code already consumed': 'authorization_code_reuse',
  'refresh token already used': 'refresh_token_reuse',
};

/**
 * oidc-provider's refusals that Keyward's protocol middleware answers itself, so that the log
 * does not say "refused" for a request answered 200: introspection and revocation of JWT access
 * tokens (jwt-access-tokens.ts), and UserInfo with one (userinfo-for-api-tokens.ts, which logs
 * its own refusal).
 */
function answeredByKeyward(event: string, ctx: Ctx, error: OidcErrorLike): boolean {
  if ((event === 'introspection.error' || event === 'revocation.error') && error.error === 'unsupported_token_type') return isJwt(ctx.oidc?.params?.token);
  if (event === 'userinfo.error' && error.error === 'invalid_token') return isJwt(userinfoBearerToken(ctx as unknown as KoaContextWithOIDC));
  return false;
}

type Ctx = { state?: { log?: Logger }; oidc?: { client?: { clientId: string }; params?: Record<string, unknown>; entities?: Record<string, { grantId?: string } | undefined> } };

/** Security events go to one child logger, at warn, whoever detects them. */
export function createSecurityEventSink(logger: Logger, metrics: Metrics, audit?: AuditTrail): SecurityEventSink {
  const log = logger.child({ module: 'security' });
  return (event, details) => {
    metrics.tokenReuse.inc({ kind: event === 'refresh_token_reuse' ? 'refresh_token' : event === 'refresh_token_grace_retry' ? 'refresh_token_grace' : 'authorization_code' });
    log.warn({ securityEvent: event, ...details }, `security event: ${event.replaceAll('_', ' ')}`);
    // A reuse is an attack or a broken client: the admin console lists it among security events.
    if (event !== 'refresh_token_grace_retry') {
      audit?.record(event, 'blocked', {}, { clientId: details.clientId, details: { grantId: details.grantId, detectedBy: details.detectedBy } })
        .catch((error: unknown) => log.warn({ err: error }, 'could not audit a security event'));
    }
  };
}

type SessionSeen = (input: { sessionId: string; accountId: string; ip: string; userAgent: string }) => Promise<void>;

export function subscribeProviderEvents(provider: Provider, logger: Logger, security: SecurityEventSink, metrics: Metrics, sessionSeen?: SessionSeen): void {
  const log = logger.child({ module: 'oidc' });
  const requestLogger = (ctx: unknown): Logger => (ctx as Ctx)?.state?.log ?? log;
  // The typings list these events per name; one loop over them needs the plain EventEmitter signature.
  const on = provider.on.bind(provider) as (event: string, listener: (...args: never[]) => void) => void;

  /** protocol-middleware.ts turns such a request's error into a 503: the store, not a bug. */
  const storeUnavailable = (ctx: unknown, error: unknown) => {
    if (!(error instanceof StoreUnavailableError)) return false;
    ((ctx as { state?: Record<string, unknown> }).state ??= {}).storeUnavailable = true;
    requestLogger(ctx).warn({ err: error.cause }, 'store unavailable');
    return true;
  };
  on('server_error', (ctx: unknown, error: Error) => {
    if (storeUnavailable(ctx, error)) return;
    requestLogger(ctx).error({ err: error }, 'unexpected error in the protocol engine');
  });
  for (const event of CLIENT_ERROR_EVENTS) {
    on(event, (ctx: unknown, error: OidcErrorLike) => {
      if (storeUnavailable(ctx, error) || answeredByKeyward(event, ctx as Ctx, error)) return;
      requestLogger(ctx).info({ event, error: error.error ?? error.message, description: error.error_description, status: error.status }, 'protocol request refused');
      const reuse = error.error_detail ? REUSE_DETAILS[error.error_detail] : undefined;
      if (event === 'grant.error' && reuse) {
        const { oidc } = ctx as Ctx;
        const source = oidc?.entities?.RefreshToken ?? oidc?.entities?.AuthorizationCode;
        security(reuse, { clientId: oidc?.client?.clientId, grantId: source?.grantId, detectedBy: 'second redemption' });
      }
    });
  }
  on('grant.success', (ctx: unknown) => {
    const { oidc } = ctx as Ctx;
    metrics.tokensIssued.inc({ grant_type: String(oidc?.params?.grant_type ?? 'unknown') });
    // Debug, not info: the request line already records every token request (and metrics count them).
    // Checked first so that a token request does not build a per-request child logger for nothing.
    if (log.isLevelEnabled('debug')) requestLogger(ctx).debug({ event: 'grant.success', clientId: oidc?.client?.clientId, grantType: oidc?.params?.grant_type }, 'tokens issued');
  });
  on('grant.revoked', (ctx: unknown, grantId: string) => {
    requestLogger(ctx).info({ event: 'grant.revoked', grantId }, 'grant revoked');
  });
  // Each sign-in to an app through a browser session: the account center lists where from.
  on('authorization.success', (ctx: unknown) => {
    const { oidc, ip, headers } = ctx as KoaContextWithOIDC;
    const session = oidc?.session;
    if (!sessionSeen || !session?.accountId || !session.uid) return;
    sessionSeen({ sessionId: session.uid, accountId: session.accountId, ip: ip || 'unknown', userAgent: String(headers['user-agent'] ?? '') })
      .catch((error: unknown) => requestLogger(ctx).warn({ err: error }, 'could not record the session\'s device'));
  });
  on('backchannel.success', (ctx: unknown, client: { clientId: string }) => {
    requestLogger(ctx).info({ event: 'backchannel.success', clientId: client.clientId }, 'back-channel logout delivered');
  });
}
