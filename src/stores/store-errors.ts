import { StoreUnavailableError } from '../errors/app-error.ts';
import type { Stores } from './types.ts';
import { wrapOperations } from './wrap-operations.ts';

const STORE_NAMES = ['oidcRecords', 'signingKeys', 'clients', 'apis', 'federatedIdentities', 'secrets', 'accounts', 'oneTimeTokens', 'throttle', 'audit', 'mailOutbox', 'authenticators', 'recoveryCodes'] as const;

/**
 * The same stores, with backend errors that mean "unavailable" (classified by the backend)
 * turned into StoreUnavailableError, so every layer above answers 503 rather than 500.
 */
export function guardStores(stores: Stores, isUnavailable: (error: unknown) => boolean): Stores {
  const guard = <T extends object>(store: T): T =>
    wrapOperations(store, (operation) => async (...args) => {
      try {
        return await operation(...args);
      } catch (error) {
        throw isUnavailable(error) ? new StoreUnavailableError(error) : error;
      }
    });
  const wrapped = Object.create(stores) as Stores;
  // Wrapped on first use: a backend may prepare its stores only once the schema exists.
  for (const name of STORE_NAMES) {
    let guarded: object | undefined;
    Object.defineProperty(wrapped, name, { get: () => (guarded ??= guard(stores[name])) });
  }
  return wrapped;
}

export { STORE_NAMES };
