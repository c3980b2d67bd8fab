import { StoreUnavailableError } from '../errors/app-error.ts';
import type { Stores } from './types.ts';

const STORE_NAMES = ['oidcRecords', 'signingKeys', 'clients', 'federatedIdentities', 'secrets', 'accounts', 'oneTimeTokens', 'throttle', 'audit'] as const;

/**
 * The same stores, with backend errors that mean "unavailable" (classified by the backend)
 * turned into StoreUnavailableError, so every layer above answers 503 rather than 500.
 */
export function guardStores(stores: Stores, isUnavailable: (error: unknown) => boolean): Stores {
  const guard = <T extends object>(store: T): T => {
    // One wrapper per operation, made on first use (not one closure per call).
    const wrappers = new Map<PropertyKey, unknown>();
    return new Proxy(store, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver) as unknown;
        if (typeof value !== 'function') return value;
        let wrapper = wrappers.get(property);
        if (!wrapper) {
          wrapper = async (...args: unknown[]) => {
            try {
              return await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
            } catch (error) {
              throw isUnavailable(error) ? new StoreUnavailableError(error) : error;
            }
          };
          wrappers.set(property, wrapper);
        }
        return wrapper;
      },
    });
  };
  const wrapped = Object.create(stores) as Stores;
  // Wrapped on first use: a backend may prepare its stores only once the schema exists.
  for (const name of STORE_NAMES) {
    let guarded: object | undefined;
    Object.defineProperty(wrapped, name, { get: () => (guarded ??= guard(stores[name])) });
  }
  return wrapped;
}

export { STORE_NAMES };
