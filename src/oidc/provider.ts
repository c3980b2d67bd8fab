import { Provider } from 'oidc-provider';
import { StartupError } from '../errors/app-error.ts';
import type { Logger } from '../logger/logger.ts';
import type { AuditTrail } from '../services/audit.service.ts';
import type { Metrics } from '../services/metrics.service.ts';
import type { SecurityEventSink } from './adapter.ts';
import { throttleClientAuthentication, type ClientAuthThrottleDeps } from './client-auth-throttle.ts';
import { buildProviderConfiguration, type ProviderConfigurationDeps } from './configuration.ts';
import { subscribeProviderEvents } from './events.ts';
import { pinClientAssertionAudience } from './client-assertion-audience.ts';
import { enforceClientSecretRules } from './exact-client-auth.ts';
import type { JwtAccessTokens } from './jwt-access-tokens.ts';
import { protocolMiddleware } from './protocol-middleware.ts';

export type { Provider } from 'oidc-provider';

export interface ProviderExtras {
  logger: Logger;
  security: SecurityEventSink;
  jwtAccessTokens: JwtAccessTokens;
  audit: AuditTrail;
  /** Key of the keyed hash that stores the secrets of CLI-added clients. */
  clientSecretHashKey: string;
  /** Cache-Control max-age for /jwks. */
  jwksMaxAgeSeconds: number;
  metrics: Metrics;
  /** koa's proxy flag: trust X-Forwarded-* from a TLS-terminating proxy. */
  trustProxy: boolean;
  /** false: RP-initiated logout leaves the refresh tokens issued in the session alive. */
  revokeRefreshTokensOnLogout: boolean;
  /** Store-backed limits on failed client authentication (client-auth-throttle.ts). */
  clientAuthThrottle: ClientAuthThrottleDeps;
  /** A browser session signed in to an app: where from, for the account center's device list. */
  sessionSeen: (input: { sessionId: string; accountId: string; ip: string; userAgent: string }) => Promise<void>;
}

/**
 * Constructs the protocol engine and validates every static client with oidc-provider's own
 * rules now, so a bad client stops start-up instead of failing at its first request.
 */
export async function createProvider(issuer: string, deps: ProviderConfigurationDeps, extras: ProviderExtras): Promise<Provider> {
  let provider: Provider;
  try {
    provider = new Provider(issuer, buildProviderConfiguration(deps));
  } catch (error) {
    throw new StartupError(`Invalid provider configuration: ${(error as Error).message}`, error);
  }
  for (const client of deps.clients) {
    try {
      await provider.Client.validate(client);
    } catch (error) {
      const { error_description: description, message } = error as { error_description?: string; message: string };
      throw new StartupError(`Clients file: client "${client.client_id}" is invalid: ${description ?? message}`, error);
    }
  }
  provider.proxy = extras.trustProxy;
  pinClientAssertionAudience(provider);
  enforceClientSecretRules(provider, extras.clientSecretHashKey);
  // After the exact-method rules, so that a secret sent the wrong way counts as a failure too.
  throttleClientAuthentication(provider, extras.clientAuthThrottle, extras.logger);
  provider.use(protocolMiddleware(extras.jwtAccessTokens, extras.jwksMaxAgeSeconds, deps.accountClaims));
  subscribeProviderEvents(provider, extras.logger, extras.security, extras.metrics, extras.sessionSeen);
  // oidc-provider revokes a grant at logout unless its session authorization "persists logout"
  // (lib/actions/end_session.js), which it derives from expiresWithSession; Keyward decides
  // it from LOGOUT_REVOKES_REFRESH_TOKENS instead, once the code has been issued.
  provider.on('authorization.success', (ctx) => {
    const clientId = ctx.oidc.client?.clientId;
    if (clientId && ctx.oidc.session) ctx.oidc.session.authorizationFor(clientId)!.persistsLogout = !extras.revokeRefreshTokensOnLogout;
  });
  provider.on('end_session.success', (ctx) => {
    const origin = { ip: ctx.ip, userAgent: ctx.get('user-agent').slice(0, 300) };
    extras.audit.record('sign_out', 'success', origin, { accountId: ctx.oidc.session?.accountId, clientId: ctx.oidc.client?.clientId }).catch(
      (error: unknown) => extras.logger.warn({ err: error }, 'recording the sign-out audit event failed'),
    );
  });
  return provider;
}
