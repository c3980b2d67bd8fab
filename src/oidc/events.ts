import type { Provider } from 'oidc-provider';
import type { Logger } from '../logger/logger.ts';

/**
 * oidc-provider events mapped to log lines in one place (DESIGN.md, Conventions 6;
 * https://github.com/panva/node-oidc-provider/blob/main/docs/events.md). Only error codes
 * and ids are logged, never tokens or codes.
 */
const CLIENT_ERROR_EVENTS = [
  'authorization.error', 'backchannel.error', 'end_session.error', 'grant.error',
  'introspection.error', 'jwks.error', 'discovery.error', 'revocation.error', 'userinfo.error',
] as const;

export function subscribeProviderEvents(provider: Provider, logger: Logger): void {
  const log = logger.child({ module: 'oidc' });
  const requestLogger = (ctx: unknown): Logger => (ctx as { state?: { log?: Logger } })?.state?.log ?? log;

  provider.on('server_error', (ctx, error) => {
    requestLogger(ctx).error({ err: error }, 'unexpected error in the protocol engine');
  });
  // The typings list these events per name; one loop over them needs the plain EventEmitter signature.
  const on = provider.on.bind(provider) as (event: string, listener: (...args: never[]) => void) => void;
  for (const event of CLIENT_ERROR_EVENTS) {
    on(event, (ctx: unknown, error: { error?: string; error_description?: string; status?: number }) => {
      requestLogger(ctx).info({ event, error: error.error, description: error.error_description, status: error.status }, 'protocol request refused');
    });
  }
  provider.on('grant.success', (ctx) => {
    const oidc = (ctx as { oidc?: { client?: { clientId: string }; params?: { grant_type?: unknown } } }).oidc;
    requestLogger(ctx).info({ event: 'grant.success', clientId: oidc?.client?.clientId, grantType: oidc?.params?.grant_type }, 'tokens issued');
  });
  provider.on('grant.revoked', (ctx, grantId: string) => {
    requestLogger(ctx).info({ event: 'grant.revoked', grantId }, 'grant revoked');
  });
}
