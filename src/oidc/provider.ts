import { Provider } from 'oidc-provider';
import { StartupError } from '../errors/app-error.ts';
import type { Logger } from '../logger/logger.ts';
import { buildProviderConfiguration, type ProviderConfigurationDeps } from './configuration.ts';
import { subscribeProviderEvents } from './events.ts';

export type { Provider } from 'oidc-provider';

/**
 * Constructs the protocol engine and validates every static client with oidc-provider's own
 * rules now, so a bad client stops start-up instead of failing at its first request.
 */
export async function createProvider(issuer: string, deps: ProviderConfigurationDeps, logger: Logger): Promise<Provider> {
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
  subscribeProviderEvents(provider, logger);
  return provider;
}
