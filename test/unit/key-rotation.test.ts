import { beforeEach, describe, expect, it } from '@jest/globals';
import { createKeyRotation } from '../../src/services/key-rotation.service.ts';
import { loadSigningKeys, providerKeys } from '../../src/services/signing-keys.service.ts';
import { createSqliteStores } from '../../src/stores/sqlite/sqlite-stores.ts';
import type { Stores } from '../../src/stores/types.ts';
import { FakeClock } from '../helpers/fake-clock.ts';

const MINUTE = 60_000;

describe('key rotation service', () => {
  let clock: FakeClock;
  let stores: Stores;
  const rotation = () => createKeyRotation({ store: stores.signingKeys, clock, policy: { minNextPublishedMs: 10 * MINUTE, retireAfterMs: 60 * MINUTE } });
  const byState = async () => {
    const keys = await stores.signingKeys.list();
    return { current: keys.filter((k) => k.state === 'current').length, next: keys.filter((k) => k.state === 'next').length, previous: keys.filter((k) => k.state === 'previous').length };
  };

  beforeEach(async () => {
    clock = new FakeClock();
    stores = createSqliteStores({ location: ':memory:', busyTimeoutMs: 0 }, clock);
    await stores.migrate();
  });

  it('starts with a current and a next key per algorithm, current first for signing', async () => {
    const keys = await loadSigningKeys(stores.signingKeys, clock);
    expect(await byState()).toEqual({ current: 3, next: 3, previous: 0 });
    const ordered = providerKeys(keys);
    const currentKids = new Set(keys.filter((k) => k.state === 'current').map((k) => k.kid));
    expect(ordered.slice(0, 3).every((k) => currentKids.has(String(k.kid)))).toBe(true);
  });

  it('refuses to promote next keys younger than the cache period, unless forced', async () => {
    await loadSigningKeys(stores.signingKeys, clock);
    clock.advance(9 * MINUTE);
    expect(await rotation().rotate()).toEqual({ outcome: 'too_soon', waitSeconds: 60 });
    expect((await rotation().rotate({ force: true })).outcome).toBe('rotated');
    expect(await byState()).toEqual({ current: 3, next: 3, previous: 3 });
  });

  it('publishes next keys first when there are none', async () => {
    const { current } = await (async () => {
      const keys = await loadSigningKeys(stores.signingKeys, clock);
      return { current: keys.filter((k) => k.state === 'current') };
    })();
    await stores.signingKeys.rotate(current.map((k) => k.kid), [], clock.now());
    expect(await byState()).toEqual({ current: 3, next: 0, previous: 3 });
    const result = await rotation().rotate();
    expect(result).toMatchObject({ outcome: 'published_next', waitSeconds: 600 });
    expect(await byState()).toEqual({ current: 3, next: 3, previous: 3 });
  });

  it('retires previous keys only after the longest token lifetime, and says when rotation is due', async () => {
    await loadSigningKeys(stores.signingKeys, clock);
    clock.advance(10 * MINUTE);
    expect(await rotation().isDue(10 * MINUTE)).toBe(true);
    expect(await rotation().isDue(11 * MINUTE)).toBe(false);
    await rotation().rotate();
    clock.advance(60 * MINUTE - 1);
    expect(await rotation().retire()).toEqual([]);
    clock.advance(1);
    expect(await rotation().retire()).toHaveLength(3);
    expect(await byState()).toEqual({ current: 3, next: 3, previous: 0 });
  });
});
