type Operation = (...args: unknown[]) => Promise<unknown>;

/**
 * The same store with every method replaced by `wrap(method, name)`, bound to the store.
 * One wrapper per operation, made on first use, not one closure per call: stores are on
 * every request's path.
 */
export function wrapOperations<T extends object>(store: T, wrap: (operation: Operation, name: string) => Operation): T {
  const wrappers = new Map<PropertyKey, Operation>();
  return new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function') return value;
      let wrapper = wrappers.get(property);
      if (!wrapper) {
        wrapper = wrap((value as Operation).bind(target), String(property));
        wrappers.set(property, wrapper);
      }
      return wrapper;
    },
  });
}
