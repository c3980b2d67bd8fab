import { describe, expect, it } from '@jest/globals';
import type { NewAccount, Stores } from '../../src/stores/types.ts';
import type { FakeClock } from '../helpers/fake-clock.ts';

/** What the cases need of the suite that runs them (describeStoreContract's state, read at run time). */
export interface AccountCenterContractContext {
  stores: Stores;
  clock: FakeClock;
}

const HOUR = 3600_000;
const account = (email: string): NewAccount => ({ email, emailVerified: true, name: 'Ada', passwordHash: 'hash', roles: [] });

/** What the account center needs of the stores (listing sessions, changing the address, deletion), on every backend. */
export function describeAccountCenterStoreContract(context: () => AccountCenterContractContext): void {
  describe('OidcRecordStore.listByAccountId', () => {
    it('lists only the account\'s live records of that model, with their ids and expiry, in id order', async () => {
      const { stores, clock } = context();
      const records = stores.oidcRecords;
      await records.upsert('Session', 's2', { jti: 's2', accountId: 'acc', kind: 'Session' }, clock.now() + HOUR);
      await records.upsert('Session', 's1', { jti: 's1', accountId: 'acc', kind: 'Session' }, clock.now() + HOUR);
      await records.upsert('Session', 's3', { jti: 's3', accountId: 'acc' }, undefined);
      await records.upsert('Session', 'soon', { jti: 'soon', accountId: 'acc' }, clock.now() + 10);
      await records.upsert('Session', 'other', { jti: 'other', accountId: 'acc2' }, clock.now() + HOUR);
      await records.upsert('Grant', 'g1', { jti: 'g1', accountId: 'acc' }, clock.now() + HOUR);
      await records.upsert('Session', 'none', { jti: 'none' }, clock.now() + HOUR);
      expect((await records.listByAccountId('Session', 'acc', 10)).map((r) => r.id)).toEqual(['s1', 's2', 's3', 'soon']);
      const expiry = clock.now() + HOUR;
      clock.advance(10);
      expect(await records.listByAccountId('Session', 'acc', 10)).toEqual([
        { id: 's1', payload: { jti: 's1', accountId: 'acc', kind: 'Session' }, expiresAt: expiry },
        { id: 's2', payload: { jti: 's2', accountId: 'acc', kind: 'Session' }, expiresAt: expiry },
        { id: 's3', payload: { jti: 's3', accountId: 'acc' }, expiresAt: undefined },
      ]);
      expect(await records.listByAccountId('Grant', 'acc', 10)).toEqual([{ id: 'g1', payload: { jti: 'g1', accountId: 'acc' }, expiresAt: expiry }]);
      expect(await records.listByAccountId('Session', 'acc3', 10)).toEqual([]);
      expect(await records.listByAccountId('AccessToken', 'acc', 10)).toEqual([]);
    });

    it('returns at most `limit` records, and none for a limit below one', async () => {
      const { stores, clock } = context();
      for (const id of ['a', 'b', 'c', 'd']) await stores.oidcRecords.upsert('Session', id, { accountId: 'acc' }, clock.now() + HOUR);
      expect((await stores.oidcRecords.listByAccountId('Session', 'acc', 2)).map((r) => r.id)).toEqual(['a', 'b']);
      expect(await stores.oidcRecords.listByAccountId('Session', 'acc', 4)).toHaveLength(4);
      expect(await stores.oidcRecords.listByAccountId('Session', 'acc', 0)).toEqual([]);
      expect(await stores.oidcRecords.listByAccountId('Session', 'acc', -1)).toEqual([]);
    });

    it('shows a consumed record as consumed', async () => {
      const { stores, clock } = context();
      await stores.oidcRecords.upsert('AuthorizationCode', 'c1', { accountId: 'acc' }, clock.now() + HOUR);
      expect(await stores.oidcRecords.consume('AuthorizationCode', 'c1')).toBe(true);
      expect(await stores.oidcRecords.listByAccountId('AuthorizationCode', 'acc', 10)).toEqual([
        { id: 'c1', payload: { accountId: 'acc', consumed: Math.floor(clock.now() / 1000) }, expiresAt: clock.now() + HOUR },
      ]);
    });
  });

  describe('AccountStore.setEmail and remove', () => {
    it('changes the address and its normalised key, and the verified flag', async () => {
      const { stores, clock } = context();
      const ada = await stores.accounts.create(account('ada@example.com'));
      clock.advance(1000);
      expect(await stores.accounts.setEmail(ada!.id, ' Ada.L@Example.COM ', false)).toBe(true);
      expect(await stores.accounts.findById(ada!.id)).toEqual({
        ...ada, email: 'Ada.L@Example.COM', emailNormalized: 'ada.l@example.com', emailVerified: false, updatedAt: clock.now(), revision: ada!.revision + 1,
      });
      expect((await stores.accounts.findByEmail('ADA.L@example.com'))!.id).toBe(ada!.id);
      expect(await stores.accounts.findByEmail('ada@example.com')).toBeUndefined();
      // The old address is free again.
      expect(await stores.accounts.create(account('ADA@example.com'))).toBeDefined();
      expect(await stores.accounts.setEmail(ada!.id, 'ada.l@example.com', true)).toBe(true);
      expect((await stores.accounts.findById(ada!.id))!).toMatchObject({ email: 'ada.l@example.com', emailVerified: true });
    });

    it('refuses an address another account has (compared normalised), leaving both unchanged', async () => {
      const { stores, clock } = context();
      const ada = await stores.accounts.create(account('ada@example.com'));
      const bob = await stores.accounts.create(account('bob@example.com'));
      clock.advance(1000);
      expect(await stores.accounts.setEmail(ada!.id, 'BOB@Example.com', false)).toBe(false);
      expect(await stores.accounts.findById(ada!.id)).toEqual(ada);
      expect(await stores.accounts.findById(bob!.id)).toEqual(bob);
      expect((await stores.accounts.findByEmail('bob@example.com'))!.id).toBe(bob!.id);
      expect(await stores.accounts.setEmail('no-such-account', 'carol@example.com', true)).toBe(false);
      expect(await stores.accounts.findByEmail('carol@example.com')).toBeUndefined();
    });

    it('removes an account, and answers false the second time', async () => {
      const { stores } = context();
      const ada = await stores.accounts.create(account('ada@example.com'));
      const bob = await stores.accounts.create(account('bob@example.com'));
      expect(await stores.accounts.remove(ada!.id)).toBe(true);
      expect(await stores.accounts.findById(ada!.id)).toBeUndefined();
      expect(await stores.accounts.findByEmail('ada@example.com')).toBeUndefined();
      expect(await stores.accounts.remove(ada!.id)).toBe(false);
      expect(await stores.accounts.findById(bob!.id)).toEqual(bob);
      // The address is free again.
      expect(await stores.accounts.create(account('ada@example.com'))).toBeDefined();
    });
  });
}
