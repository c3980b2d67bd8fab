import { describe, expect, it } from '@jest/globals';
import type { Stores } from '../../src/stores/types.ts';
import type { FakeClock } from '../helpers/fake-clock.ts';

/** What the cases need of the suite that runs them (describeStoreContract's state, read at run time). */
export interface ApiStoreContractContext {
  stores: Stores;
  clock: FakeClock;
  /** A second, independent connection to the same database; the caller closes it. */
  openSecondConnection(): Promise<Stores>;
}

const orders = { identifier: 'https://orders.example', name: 'Orders', scopes: { 'orders:read': 'See your orders', 'a.b$c': 'Dots and dollars' } };
const reports = { identifier: 'https://reports.example', scopes: {} };

/** APIs added at run time (ApiStore): compare-and-set on the revision, on every backend. */
export function describeApiStoreContract(context: () => ApiStoreContractContext): void {
  describe('ApiStore', () => {
    it('creates an API at revision 1 once, finds and lists it (identifier order), and refuses a second create', async () => {
      const { stores, clock } = context();
      const created = clock.now();
      expect(await stores.apis.create(reports.identifier, reports)).toBe(true);
      expect(await stores.apis.create(orders.identifier, orders)).toBe(true);
      clock.advance(1000);
      expect(await stores.apis.create(orders.identifier, { ...orders, name: 'Other' })).toBe(false);
      const expected = { identifier: orders.identifier, definition: orders, revision: 1, createdAt: created, updatedAt: created };
      expect(await stores.apis.find(orders.identifier)).toEqual(expected);
      expect(await stores.apis.find('https://unknown.example')).toBeUndefined();
      expect((await stores.apis.list()).map((api) => api.identifier)).toEqual([orders.identifier, reports.identifier]);
      expect((await stores.apis.list())[0]).toEqual(expected);
    });

    it('updates only at the expected revision, one more each time; answers conflict or missing otherwise', async () => {
      const { stores, clock } = context();
      await stores.apis.create(orders.identifier, orders);
      clock.advance(1000);
      expect(await stores.apis.update(orders.identifier, { ...orders, name: 'Orders v2' }, 1)).toBe('updated');
      expect(await stores.apis.find(orders.identifier)).toMatchObject({ revision: 2, definition: { name: 'Orders v2' }, updatedAt: clock.now() });
      expect(await stores.apis.update(orders.identifier, { ...orders, name: 'Stale' }, 1)).toBe('conflict');
      expect(await stores.apis.update(orders.identifier, { ...orders, name: 'Ahead' }, 3)).toBe('conflict');
      expect((await stores.apis.find(orders.identifier))!.definition).toMatchObject({ name: 'Orders v2' });
      expect(await stores.apis.update('https://unknown.example', orders, 1)).toBe('missing');
      expect(await stores.apis.update(orders.identifier, { ...orders, name: 'Orders v3' }, 2)).toBe('updated');
      expect((await stores.apis.find(orders.identifier))!.revision).toBe(3);
    });

    it('lets exactly one of concurrent updates at the same revision win, across connections', async () => {
      const { stores, openSecondConnection } = context();
      await stores.apis.create(orders.identifier, orders);
      const other = await openSecondConnection();
      try {
        const outcomes = await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 ? other : stores).apis.update(orders.identifier, { ...orders, name: `writer ${i}` }, 1)));
        expect(outcomes.filter((outcome) => outcome === 'updated')).toHaveLength(1);
        expect(outcomes.filter((outcome) => outcome === 'conflict')).toHaveLength(5);
        const winner = outcomes.indexOf('updated');
        expect(await stores.apis.find(orders.identifier)).toMatchObject({ revision: 2, definition: { name: `writer ${winner}` } });
      } finally {
        await other.close();
      }
    });

    it('removes at the expected revision or unconditionally; a stale revision is a conflict and removes nothing', async () => {
      const { stores } = context();
      await stores.apis.create(orders.identifier, orders);
      await stores.apis.create(reports.identifier, reports);
      await stores.apis.update(orders.identifier, orders, 1);
      expect(await stores.apis.remove(orders.identifier, 1)).toBe('conflict');
      expect(await stores.apis.find(orders.identifier)).toBeDefined();
      expect(await stores.apis.remove(orders.identifier, 2)).toBe('removed');
      expect(await stores.apis.find(orders.identifier)).toBeUndefined();
      expect(await stores.apis.remove(orders.identifier, 2)).toBe('missing');
      expect(await stores.apis.remove(reports.identifier)).toBe('removed');
      expect(await stores.apis.remove(reports.identifier)).toBe('missing');
      expect(await stores.apis.list()).toEqual([]);
      // Created again, it starts at revision 1 again.
      expect(await stores.apis.create(orders.identifier, orders)).toBe(true);
      expect((await stores.apis.find(orders.identifier))!.revision).toBe(1);
    });
  });
}
