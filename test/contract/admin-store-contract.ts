import { describe, expect, it } from '@jest/globals';
import type { NewAccount, Stores } from '../../src/stores/types.ts';
import type { FakeClock } from '../helpers/fake-clock.ts';

export interface AdminContractContext {
  stores: Stores;
  clock: FakeClock;
}

const HOUR = 3600_000;
const account = (email: string): NewAccount => ({ email, emailVerified: true, name: 'Ada', passwordHash: 'hash', roles: [] });

/** What the admin API and console need of the stores (issue 18), on every backend. */
export function describeAdminStoreContract(context: () => AdminContractContext): void {
  describe('AccountStore for administrators', () => {
    it('searches by email prefix in email order, a page after a cursor, and counts', async () => {
      const { stores } = context();
      for (const email of ['bob@x.test', 'Ann@x.test', 'anna@y.test', 'carl@x.test', 'an@z.test']) await stores.accounts.create(account(email));
      const emails = (rows: { emailNormalized: string }[]) => rows.map((r) => r.emailNormalized);
      expect(emails(await stores.accounts.search({ emailPrefix: 'AN', limit: 10 }))).toEqual(['an@z.test', 'ann@x.test', 'anna@y.test']);
      expect(emails(await stores.accounts.search({ emailPrefix: 'an', after: 'an@z.test', limit: 1 }))).toEqual(['ann@x.test']);
      expect(emails(await stores.accounts.search({ limit: 2 }))).toEqual(['an@z.test', 'ann@x.test']);
      expect(emails(await stores.accounts.search({ after: 'bob@x.test', limit: 10 }))).toEqual(['carl@x.test']);
      expect(await stores.accounts.search({ emailPrefix: 'zz', limit: 10 })).toEqual([]);
      expect(await stores.accounts.search({ limit: 0 })).toEqual([]);
      expect(await stores.accounts.count()).toBe(5);
    });

    it('counts the enabled holders of a role other than one account', async () => {
      const { stores } = context();
      const a = (await stores.accounts.create({ ...account('a@x.test'), roles: ['admin'] }))!;
      const b = (await stores.accounts.create({ ...account('b@x.test'), roles: ['support', 'admin'] }))!;
      await stores.accounts.create({ ...account('c@x.test'), roles: ['administrator'] });
      expect(await stores.accounts.countEnabledWithRole('admin', a.id)).toBe(1);
      await stores.accounts.setDisabled(b.id, true);
      expect(await stores.accounts.countEnabledWithRole('admin', a.id)).toBe(0);
      expect(await stores.accounts.countEnabledWithRole('admin', 'nobody')).toBe(1);
    });

    it('changes an account only at the expected revision, and every change moves the revision on', async () => {
      const { stores } = context();
      const created = (await stores.accounts.create(account('rev@x.test')))!;
      expect(created.revision).toBe(1);
      expect(await stores.accounts.updateIf(created.id, 1, { name: 'Grace', roles: ['admin'] })).toBe('updated');
      const after = (await stores.accounts.findById(created.id))!;
      expect(after).toMatchObject({ name: 'Grace', roles: ['admin'], revision: 2, disabled: false });
      expect(await stores.accounts.updateIf(created.id, 1, { disabled: true })).toBe('conflict');
      expect(await stores.accounts.updateIf('nobody', 1, { disabled: true })).toBe('missing');
      expect(await stores.accounts.updateIf(created.id, 2, { name: null, disabled: true, emailVerified: false })).toBe('updated');
      expect(await stores.accounts.findById(created.id)).toMatchObject({ name: undefined, disabled: true, emailVerified: false, roles: ['admin'], revision: 3 });
      await stores.accounts.setDisabled(created.id, false);
      await stores.accounts.setRoles(created.id, []);
      expect((await stores.accounts.findById(created.id))!.revision).toBe(5);
      await stores.accounts.recordSignIn(created.id);
      expect((await stores.accounts.findById(created.id))!.revision).toBe(5);
    });

    it('lets exactly one of two concurrent changes at one revision through', async () => {
      const { stores } = context();
      const created = (await stores.accounts.create(account('race@x.test')))!;
      const results = await Promise.all([stores.accounts.updateIf(created.id, 1, { name: 'A' }), stores.accounts.updateIf(created.id, 1, { name: 'B' })]);
      expect(results.sort()).toEqual(['conflict', 'updated']);
    });
  });

  describe('AuditStore for administrators', () => {
    it('filters by account, client, event, outcome and time, newest first, a page at a time', async () => {
      const { stores } = context();
      const base = 10 * HOUR;
      for (let i = 0; i < 7; i += 1) {
        await stores.audit.record({ at: base + i * 1000, event: i % 2 ? 'sign_in' : 'consent', outcome: i === 3 ? 'failure' : 'success', accountId: i < 5 ? 'a1' : 'a2', clientId: i < 2 ? 'app1' : 'app2' });
      }
      // Two events at the same instant: the cursor still walks past each exactly once.
      await stores.audit.record({ at: base + 6000, event: 'sign_in', outcome: 'success', accountId: 'a2', clientId: 'app2' });
      const at = (events: { at: number }[]) => events.map((e) => (e.at - base) / 1000);
      expect(at((await stores.audit.query({ accountId: 'a1', limit: 10 })).events)).toEqual([4, 3, 2, 1, 0]);
      expect(at((await stores.audit.query({ clientId: 'app1', limit: 10 })).events)).toEqual([1, 0]);
      expect(at((await stores.audit.query({ event: 'sign_in', outcome: 'failure', limit: 10 })).events)).toEqual([3]);
      expect(at((await stores.audit.query({ from: base + 2000, to: base + 4000, limit: 10 })).events)).toEqual([3, 2]);
      const seen: number[] = [];
      let after: string | undefined;
      for (let page = 0; page < 10; page += 1) {
        const result = await stores.audit.query({ limit: 3, after });
        seen.push(...at(result.events));
        after = result.next;
        if (!after) break;
      }
      expect(seen).toEqual([6, 6, 5, 4, 3, 2, 1, 0]);
      expect((await stores.audit.query({ limit: 8 })).next).toBeUndefined();
      expect((await stores.audit.query({ limit: 10, after: 'not a cursor' })).events).toHaveLength(8);
    });

    it('counts an event per hour and outcome', async () => {
      const { stores } = context();
      const hour = 100 * HOUR;
      await stores.audit.record({ at: hour + 5, event: 'sign_in', outcome: 'success' });
      await stores.audit.record({ at: hour + 10, event: 'sign_in', outcome: 'success' });
      await stores.audit.record({ at: hour + 20, event: 'sign_in', outcome: 'failure' });
      await stores.audit.record({ at: hour + HOUR + 1, event: 'sign_in', outcome: 'failure' });
      await stores.audit.record({ at: hour + 2 * HOUR, event: 'sign_in', outcome: 'failure' });
      await stores.audit.record({ at: hour + 30, event: 'consent', outcome: 'success' });
      const counts = await stores.audit.countByHour('sign_in', hour, hour + 2 * HOUR);
      expect(counts.map((c) => c.hour)).toEqual([...counts.map((c) => c.hour)].sort((a, b) => a - b));
      expect([...counts].sort((a, b) => a.hour - b.hour || a.outcome.localeCompare(b.outcome))).toEqual([
        { hour, outcome: 'failure', count: 1 },
        { hour, outcome: 'success', count: 2 },
        { hour: hour + HOUR, outcome: 'failure', count: 1 },
      ]);
    });
  });

  describe('OidcRecordStore.countLive', () => {
    it('counts the live records of one model', async () => {
      const { stores, clock } = context();
      await stores.oidcRecords.upsert('Session', 's1', { jti: 's1' }, clock.now() + HOUR);
      await stores.oidcRecords.upsert('Session', 's2', { jti: 's2' }, undefined);
      await stores.oidcRecords.upsert('Session', 's3', { jti: 's3' }, clock.now() + 10);
      await stores.oidcRecords.upsert('Grant', 'g1', { jti: 'g1' }, clock.now() + HOUR);
      clock.advance(10);
      expect(await stores.oidcRecords.countLive('Session')).toBe(2);
    });
  });
}

/** Client revisions (the admin API's ETags), on every backend. */
export function describeClientRevisionContract(context: () => AdminContractContext): void {
  describe('ClientStore revisions', () => {
    it('replaces metadata only at the expected revision; exactly one of two concurrent changes wins', async () => {
      const { stores } = context();
      await stores.clients.create('c1', { client_id: 'c1', client_name: 'one' });
      expect((await stores.clients.list())[0]!.revision).toBe(1);
      expect(await stores.clients.updateIf('c1', { client_id: 'c1', client_name: 'two' }, 1)).toBe('updated');
      expect(await stores.clients.updateIf('c1', { client_id: 'c1', client_name: 'stale' }, 1)).toBe('conflict');
      expect(await stores.clients.updateIf('nope', { client_id: 'nope' }, 1)).toBe('missing');
      expect(await stores.clients.find('c1')).toEqual({ client_id: 'c1', client_name: 'two' });
      const results = await Promise.all([stores.clients.updateIf('c1', { client_id: 'c1', client_name: 'a' }, 2), stores.clients.updateIf('c1', { client_id: 'c1', client_name: 'b' }, 2)]);
      expect(results.sort()).toEqual(['conflict', 'updated']);
      await stores.clients.update('c1', { client_id: 'c1' });
      expect((await stores.clients.list())[0]!.revision).toBe(4);
    });
  });
}
