import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { Stores, StoredSigningKey } from '../../src/stores/types.ts';
import { FakeClock } from '../helpers/fake-clock.ts';
import { describeAccountCenterStoreContract } from './account-center-contract.ts';
import { describeApiStoreContract } from './api-store-contract.ts';
import { describeAdminStoreContract, describeClientRevisionContract } from './admin-store-contract.ts';
import { describeMfaStoreContract } from './mfa-store-contract.ts';

export interface BackendUnderTest {
  /** Fresh, migrated stores on an empty database, using `clock`. */
  open(clock: FakeClock): Promise<Stores>;
  /** A second, independent connection to the same database (another process's view). */
  openSecondConnection(clock: FakeClock): Promise<Stores>;
  cleanUp(): Promise<void>;
}

export interface ContractOptions {
  /**
   * The backend is the MongoDB wire emulator (a smoke run): cases that need what it does not
   * have — transactions that isolate and conflict — are skipped there, with the reason in
   * their name. They run on SQLite and on a real MongoDB (MONGODB_URI).
   */
  emulated?: boolean;
}

const HOUR = 3600_000;

/**
 * The store contract, written once and run against every backend (DESIGN.md, Storage):
 * SQLite always, MongoDB on every run (the wire emulator, or the server in MONGODB_URI).
 */
export function describeStoreContract(backendName: string, createBackend: () => BackendUnderTest, options: ContractOptions = {}): void {
  /** A case that needs real transactions: skipped on the emulator, saying why. */
  const itWithTransactions = (name: string, fn: () => Promise<void>) =>
    options.emulated ? it.skip(`${name} [skipped on the wire emulator: its transactions neither isolate nor conflict; runs on a real MongoDB]`, fn) : it(name, fn);

  describe(`store contract: ${backendName}`, () => {
    let backend: BackendUnderTest;
    let clock: FakeClock;
    let stores: Stores;

    beforeEach(async () => {
      backend = createBackend();
      // Starts at the real time: a MongoDB TTL monitor deletes what expired by the server's
      // clock, so "an hour from now" must not already be in the server's past.
      clock = new FakeClock(Date.now());
      stores = await backend.open(clock);
    });

    afterEach(async () => {
      await stores.close();
      await backend.cleanUp();
    });

    describe('OidcRecordStore', () => {
      const future = () => clock.now() + HOUR;

      it('finds what was upserted, and nothing for an unknown id', async () => {
        await stores.oidcRecords.upsert('AccessToken', 'at1', { jti: 'at1', accountId: 'a', nested: { x: [1, 2] } }, future());
        expect(await stores.oidcRecords.find('AccessToken', 'at1')).toEqual({ jti: 'at1', accountId: 'a', nested: { x: [1, 2] } });
        expect(await stores.oidcRecords.find('AccessToken', 'nope')).toBeUndefined();
        expect(await stores.oidcRecords.find('RefreshToken', 'at1')).toBeUndefined();
      });

      it('replaces a record on a second upsert', async () => {
        await stores.oidcRecords.upsert('Session', 's1', { uid: 'u1', v: 1 }, future());
        await stores.oidcRecords.upsert('Session', 's1', { uid: 'u2', v: 2 }, future());
        expect(await stores.oidcRecords.find('Session', 's1')).toEqual({ uid: 'u2', v: 2 });
        expect(await stores.oidcRecords.findByUid('Session', 'u1')).toBeUndefined();
        expect(await stores.oidcRecords.findByUid('Session', 'u2')).toEqual({ uid: 'u2', v: 2 });
      });

      it('keeps records without an expiry', async () => {
        await stores.oidcRecords.upsert('Grant', 'g1', { jti: 'g1' }, undefined);
        clock.advance(10 * 365 * 24 * HOUR);
        expect(await stores.oidcRecords.find('Grant', 'g1')).toEqual({ jti: 'g1' });
      });

      it('makes expired records invisible to every lookup at read time', async () => {
        await stores.oidcRecords.upsert('Session', 's1', { uid: 'u1' }, clock.now() + 1000);
        await stores.oidcRecords.upsert('DeviceCode', 'd1', { userCode: 'ABCD' }, clock.now() + 1000);
        clock.advance(999);
        expect(await stores.oidcRecords.find('Session', 's1')).toBeDefined();
        clock.advance(1);
        expect(await stores.oidcRecords.find('Session', 's1')).toBeUndefined();
        expect(await stores.oidcRecords.findByUid('Session', 'u1')).toBeUndefined();
        expect(await stores.oidcRecords.findByUserCode('DeviceCode', 'ABCD')).toBeUndefined();
      });

      it('stores lookup values as given, also ones that start with `$` or hold dots', async () => {
        // An aggregation-pipeline update would read a string starting with `$` as a field path.
        const payload = { uid: '$uid', grantId: '$grant.id', accountId: '$$ROOT', userCode: '$userCode', jti: '$jti' };
        await stores.oidcRecords.upsert('Session', '$s1', payload, future());
        expect(await stores.oidcRecords.find('Session', '$s1')).toEqual(payload);
        expect(await stores.oidcRecords.findByUid('Session', '$uid')).toEqual(payload);
        expect(await stores.oidcRecords.findByUserCode('Session', '$userCode')).toEqual(payload);
        expect(await stores.oidcRecords.listByGrantId('Session', '$grant.id')).toEqual([{ id: '$s1', payload }]);
        expect(await stores.oidcRecords.revokeByAccountId('$$ROOT', ['Session'])).toBe(1);
      });

      it('finds by user code', async () => {
        await stores.oidcRecords.upsert('DeviceCode', 'd1', { userCode: 'WXYZ-1234' }, future());
        expect(await stores.oidcRecords.findByUserCode('DeviceCode', 'WXYZ-1234')).toEqual({ userCode: 'WXYZ-1234' });
        expect(await stores.oidcRecords.findByUserCode('DeviceCode', 'other')).toBeUndefined();
      });

      it('consumes once: the first call wins, later ones report false, and find shows `consumed`', async () => {
        await stores.oidcRecords.upsert('AuthorizationCode', 'c1', { grantId: 'g' }, future());
        expect(await stores.oidcRecords.consume('AuthorizationCode', 'c1')).toBe(true);
        expect(await stores.oidcRecords.consume('AuthorizationCode', 'c1')).toBe(false);
        const found = await stores.oidcRecords.find('AuthorizationCode', 'c1');
        expect(found).toEqual({ grantId: 'g', consumed: Math.floor(clock.now() / 1000) });
      });

      it('does not consume an expired or absent record', async () => {
        await stores.oidcRecords.upsert('AuthorizationCode', 'c1', {}, clock.now() + 10);
        clock.advance(10);
        expect(await stores.oidcRecords.consume('AuthorizationCode', 'c1')).toBe(false);
        expect(await stores.oidcRecords.consume('AuthorizationCode', 'absent')).toBe(false);
      });

      it('keeps a record consumed when it is upserted again', async () => {
        await stores.oidcRecords.upsert('RefreshToken', 'r1', { grantId: 'g' }, future());
        await stores.oidcRecords.consume('RefreshToken', 'r1');
        await stores.oidcRecords.upsert('RefreshToken', 'r1', { grantId: 'g', touched: true }, future());
        expect(await stores.oidcRecords.find('RefreshToken', 'r1')).toMatchObject({ touched: true, consumed: expect.any(Number) });
      });

      it('lets exactly one of many concurrent consumers win, across connections', async () => {
        const other = await backend.openSecondConnection(clock);
        try {
          await stores.oidcRecords.upsert('AuthorizationCode', 'race', {}, future());
          const attempts = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? stores : other).oidcRecords.consume('AuthorizationCode', 'race'));
          const results = await Promise.all(attempts);
          expect(results.filter(Boolean)).toHaveLength(1);
        } finally {
          await other.close();
        }
      });

      it('destroys a record', async () => {
        await stores.oidcRecords.upsert('AccessToken', 'at1', {}, future());
        await stores.oidcRecords.destroy('AccessToken', 'at1');
        expect(await stores.oidcRecords.find('AccessToken', 'at1')).toBeUndefined();
      });

      it('revokes by grant id only the records of that model and grant', async () => {
        await stores.oidcRecords.upsert('AccessToken', 'at1', { grantId: 'g1' }, future());
        await stores.oidcRecords.upsert('AccessToken', 'at2', { grantId: 'g1' }, future());
        await stores.oidcRecords.upsert('AccessToken', 'at3', { grantId: 'g2' }, future());
        await stores.oidcRecords.upsert('RefreshToken', 'rt1', { grantId: 'g1' }, future());
        await stores.oidcRecords.revokeByGrantId('AccessToken', 'g1');
        expect(await stores.oidcRecords.find('AccessToken', 'at1')).toBeUndefined();
        expect(await stores.oidcRecords.find('AccessToken', 'at2')).toBeUndefined();
        expect(await stores.oidcRecords.find('AccessToken', 'at3')).toBeDefined();
        expect(await stores.oidcRecords.find('RefreshToken', 'rt1')).toBeDefined();
      });

      it('sweeps expired records and keeps live ones', async () => {
        await stores.oidcRecords.upsert('AccessToken', 'old1', {}, clock.now() + 5);
        await stores.oidcRecords.upsert('AccessToken', 'old2', {}, clock.now() + 5);
        await stores.oidcRecords.upsert('AccessToken', 'live', {}, future());
        await stores.oidcRecords.upsert('Grant', 'forever', {}, undefined);
        clock.advance(5);
        expect(await stores.oidcRecords.sweepExpired()).toBe(2);
        expect(await stores.oidcRecords.find('AccessToken', 'live')).toBeDefined();
        expect(await stores.oidcRecords.find('Grant', 'forever')).toBeDefined();
      });
    });

    describe('OidcRecordStore by account', () => {
      it('deletes the given models of one account only', async () => {
        const future = clock.now() + HOUR;
        await stores.oidcRecords.upsert('Session', 's1', { accountId: 'a1', uid: 'u1' }, future);
        await stores.oidcRecords.upsert('RefreshToken', 'r1', { accountId: 'a1' }, future);
        await stores.oidcRecords.upsert('Client', 'c1', { accountId: 'a1' }, future);
        await stores.oidcRecords.upsert('Session', 's2', { accountId: 'a2', uid: 'u2' }, future);
        expect(await stores.oidcRecords.revokeByAccountId('a1', ['Session', 'RefreshToken'])).toBe(2);
        expect(await stores.oidcRecords.find('Session', 's1')).toBeUndefined();
        expect(await stores.oidcRecords.find('RefreshToken', 'r1')).toBeUndefined();
        expect(await stores.oidcRecords.find('Client', 'c1')).toBeDefined();
        expect(await stores.oidcRecords.find('Session', 's2')).toBeDefined();
      });
    });

    describe('OidcRecordStore listByGrantId', () => {
      it('lists the live records of one model in one grant, consumed ones marked', async () => {
        await stores.oidcRecords.upsert('RefreshToken', 'r1', { jti: 'r1', grantId: 'g1' }, clock.now() + HOUR);
        await stores.oidcRecords.upsert('RefreshToken', 'r2', { jti: 'r2', grantId: 'g1' }, clock.now() + HOUR);
        await stores.oidcRecords.upsert('RefreshToken', 'r3', { jti: 'r3', grantId: 'g2' }, clock.now() + HOUR);
        await stores.oidcRecords.upsert('AccessToken', 'a1', { jti: 'a1', grantId: 'g1' }, clock.now() + HOUR);
        await stores.oidcRecords.upsert('RefreshToken', 'r4', { jti: 'r4', grantId: 'g1' }, clock.now() + 10);
        await stores.oidcRecords.consume('RefreshToken', 'r1');
        clock.advance(10);
        const listed = await stores.oidcRecords.listByGrantId('RefreshToken', 'g1');
        expect(listed.map((r) => r.id).sort()).toEqual(['r1', 'r2']);
        expect(typeof listed.find((r) => r.id === 'r1')!.payload.consumed).toBe('number');
        expect(listed.find((r) => r.id === 'r2')!.payload.consumed).toBeUndefined();
      });
    });

    describe('OneTimeTokenStore', () => {
      const token = (hash: string, ttl = HOUR) => ({ tokenHash: hash, purpose: 'reset_password' as const, accountId: 'acc', expiresAt: clock.now() + ttl });

      it('gives the account once, and only for the right purpose', async () => {
        await stores.oneTimeTokens.create(token('h1'));
        expect(await stores.oneTimeTokens.ownerOf('h1', 'reset_password')).toBe('acc');
        expect(await stores.oneTimeTokens.consume('h1', 'verify_email')).toBeUndefined();
        expect(await stores.oneTimeTokens.consume('h1', 'reset_password')).toBe('acc');
        expect(await stores.oneTimeTokens.consume('h1', 'reset_password')).toBeUndefined();
        expect(await stores.oneTimeTokens.ownerOf('h1', 'reset_password')).toBeUndefined();
      });

      it('refuses an expired token and an unknown one', async () => {
        await stores.oneTimeTokens.create(token('h2', 1000));
        clock.advance(1000);
        expect(await stores.oneTimeTokens.consume('h2', 'reset_password')).toBeUndefined();
        expect(await stores.oneTimeTokens.consume('nope', 'reset_password')).toBeUndefined();
      });

      it('gives the account to exactly one of concurrent consumers across connections', async () => {
        const other = await backend.openSecondConnection(clock);
        try {
          await stores.oneTimeTokens.create(token('h3'));
          const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? stores : other).oneTimeTokens.consume('h3', 'reset_password')));
          expect(results.filter(Boolean)).toHaveLength(1);
        } finally {
          await other.close();
        }
      });

      it('invalidates every unused token of an account, and sweeps used and expired ones', async () => {
        await stores.oneTimeTokens.create(token('h4'));
        await stores.oneTimeTokens.create(token('h5'));
        await stores.oneTimeTokens.create({ ...token('h6'), accountId: 'other' });
        await stores.oneTimeTokens.invalidateAll('acc', 'reset_password');
        expect(await stores.oneTimeTokens.consume('h4', 'reset_password')).toBeUndefined();
        expect(await stores.oneTimeTokens.consume('h5', 'reset_password')).toBeUndefined();
        expect(await stores.oneTimeTokens.ownerOf('h6', 'reset_password')).toBe('other');
        expect(await stores.oneTimeTokens.sweep()).toBe(2);
      });
    });

    describe('MailOutboxStore', () => {
      const mail = (id: string) => ({ id, to: `${id}@example.com`, subject: `About ${id}`, text: `Body of ${id}` });

      it('hands a due mail to one claimer at a time, and removes it once delivered', async () => {
        await stores.mailOutbox.enqueue(mail('m1'));
        const other = await backend.openSecondConnection(clock);
        try {
          const [mine, theirs] = await Promise.all([stores.mailOutbox.claim(10, 60_000), other.mailOutbox.claim(10, 60_000)]);
          expect([...mine, ...theirs]).toEqual([{ id: 'm1', to: 'm1@example.com', subject: 'About m1', text: 'Body of m1', attempts: 1, leaseUntil: clock.now() + 60_000 }]);
        } finally {
          await other.close();
        }
        expect(await stores.mailOutbox.claim(10, 60_000)).toEqual([]);
        await stores.mailOutbox.complete('m1');
        expect(await stores.mailOutbox.pending()).toBe(0);
      });

      it('claims a mail again when its lease runs out (a crashed worker) and when a retry is due', async () => {
        await stores.mailOutbox.enqueue(mail('m2'));
        expect(await stores.mailOutbox.claim(1, 1000)).toHaveLength(1);
        clock.advance(1000);
        const again = await stores.mailOutbox.claim(1, 1000);
        expect(again[0]).toMatchObject({ id: 'm2', attempts: 2 });
        await stores.mailOutbox.fail('m2', again[0]!.leaseUntil, clock.now() + 5000, 'smtp said no');
        expect(await stores.mailOutbox.claim(1, 1000)).toEqual([]);
        clock.advance(5000);
        expect((await stores.mailOutbox.claim(1, 1000))[0]).toMatchObject({ id: 'm2', attempts: 3 });
      });

      it('ignores a failure reported by a worker whose lease ran out, while another holds the mail', async () => {
        await stores.mailOutbox.enqueue(mail('m5'));
        const [stale] = await stores.mailOutbox.claim(1, 1000);
        clock.advance(1000);
        const [current] = await stores.mailOutbox.claim(1, 1000);
        expect(current).toMatchObject({ id: 'm5', attempts: 2 });
        await stores.mailOutbox.fail('m5', stale!.leaseUntil, clock.now(), 'too slow');
        // Still held by the second claim: nobody else may take it (it would be sent again).
        expect(await stores.mailOutbox.claim(1, 1000)).toEqual([]);
        await stores.mailOutbox.complete('m5');
        expect(await stores.mailOutbox.pending()).toBe(0);
      });

      it('keeps given-up mails out of the queue until swept', async () => {
        await stores.mailOutbox.enqueue(mail('m3'));
        await stores.mailOutbox.enqueue(mail('m4'));
        const [claimed] = await stores.mailOutbox.claim(1, 1000);
        await stores.mailOutbox.fail('m3', claimed!.leaseUntil, undefined, 'mailbox does not exist');
        expect(await stores.mailOutbox.pending()).toBe(1);
        expect((await stores.mailOutbox.claim(10, 1000)).map((m) => m.id)).toEqual(['m4']);
        clock.advance(10);
        expect(await stores.mailOutbox.sweepAbandoned(clock.now())).toBe(1);
      });
    });

    describe('ThrottleStore', () => {
      it('counts within a window and starts over after it', async () => {
        expect(await stores.throttle.hit('k', 1000)).toEqual({ count: 1, resetAt: clock.now() + 1000 });
        clock.advance(500);
        expect((await stores.throttle.hit('k', 1000)).count).toBe(2);
        expect((await stores.throttle.peek('k')).count).toBe(2);
        clock.advance(500);
        expect((await stores.throttle.peek('k')).count).toBe(0);
        expect(await stores.throttle.hit('k', 1000)).toEqual({ count: 1, resetAt: clock.now() + 1000 });
      });

      it('takes back one counted event, never below zero', async () => {
        await stores.throttle.hit('r', 1000);
        await stores.throttle.hit('r', 1000);
        await stores.throttle.release('r');
        expect((await stores.throttle.peek('r')).count).toBe(1);
        await stores.throttle.release('r');
        await stores.throttle.release('r');
        expect((await stores.throttle.peek('r')).count).toBe(0);
        await stores.throttle.release('absent');
        expect((await stores.throttle.peek('absent')).count).toBe(0);
      });

      it('keeps keys apart, resets one, and counts every concurrent hit across connections', async () => {
        const other = await backend.openSecondConnection(clock);
        try {
          await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 ? stores : other).throttle.hit('shared', 60_000)));
          await stores.throttle.hit('else', 60_000);
          expect((await other.throttle.peek('shared')).count).toBe(30);
          await stores.throttle.reset('shared');
          expect((await stores.throttle.peek('shared')).count).toBe(0);
          expect((await stores.throttle.peek('else')).count).toBe(1);
        } finally {
          await other.close();
        }
      });

      it('counts keys that start with `$` like any other', async () => {
        expect((await stores.throttle.hit('$key', 1000)).count).toBe(1);
        expect((await stores.throttle.hit('$key', 1000)).count).toBe(2);
        expect((await stores.throttle.peek('$key')).count).toBe(2);
      });

      it('sweeps counters whose window ended', async () => {
        await stores.throttle.hit('old', 10);
        await stores.throttle.hit('live', 60_000);
        clock.advance(10);
        expect(await stores.throttle.sweep()).toBe(1);
      });
    });

    describe('AuditStore', () => {
      it('records events and lists them newest first, by account and event', async () => {
        await stores.audit.record({ at: 1, event: 'sign_in', outcome: 'failure', accountId: 'a1', ip: '127.0.0.1', userAgent: 'ua', details: { reason: 'password' } });
        await stores.audit.record({ at: 2, event: 'sign_in', outcome: 'success', accountId: 'a1', clientId: 'app' });
        await stores.audit.record({ at: 3, event: 'registration', outcome: 'success', accountId: 'a2' });
        const forA1 = await stores.audit.list({ accountId: 'a1', limit: 10 });
        expect(forA1.map((e) => e.outcome)).toEqual(['success', 'failure']);
        expect(forA1[1]).toEqual({ at: 1, event: 'sign_in', outcome: 'failure', accountId: 'a1', clientId: undefined, ip: '127.0.0.1', userAgent: 'ua', details: { reason: 'password' } });
        expect((await stores.audit.list({ event: 'registration', limit: 10 })).map((e) => e.accountId)).toEqual(['a2']);
        expect(await stores.audit.list({ limit: 1 })).toHaveLength(1);
      });

      it('deletes events past retention', async () => {
        await stores.audit.record({ at: 1, event: 'x', outcome: 'info' });
        await stores.audit.record({ at: 5, event: 'x', outcome: 'info' });
        expect(await stores.audit.deleteOlderThan(5)).toBe(1);
        expect(await stores.audit.list({ limit: 10 })).toHaveLength(1);
      });
    });

    describe('SigningKeyStore', () => {
      const key = (kid: string, state: StoredSigningKey['state'] = 'current'): StoredSigningKey => ({ kid, alg: 'ES256', privateJwk: { kty: 'EC', kid, d: 'secret' }, createdAt: 1, state, stateSince: 1 });
      const states = async () => Object.fromEntries((await stores.signingKeys.list()).map((k) => [k.kid, k.state]));

      itWithTransactions('rotates in stages: current → previous, next → current, new next; once, however many processes try', async () => {
        const other = await backend.openSecondConnection(clock);
        try {
          await stores.signingKeys.initialiseIfEmpty([key('c1'), key('n1', 'next')]);
          const [a, b] = await Promise.all([
            stores.signingKeys.rotate(['c1'], [key('n2')], 100),
            other.signingKeys.rotate(['c1'], [key('n3')], 100),
          ]);
          expect([a, b].filter(Boolean)).toHaveLength(1);
          const after = await states();
          expect(after).toMatchObject({ c1: 'previous', n1: 'current' });
          expect(Object.values(after).filter((s) => s === 'next')).toHaveLength(1);
          expect((await stores.signingKeys.list()).find((k) => k.kid === 'c1')!.stateSince).toBe(100);
        } finally {
          await other.close();
        }
      });

      it('retires only previous keys old enough, and publishes next keys', async () => {
        await stores.signingKeys.initialiseIfEmpty([key('c1'), key('n1', 'next')]);
        await stores.signingKeys.rotate(['c1'], [key('n2')], 100);
        expect(await stores.signingKeys.retirePrevious(99)).toEqual([]);
        expect(await stores.signingKeys.retirePrevious(100)).toEqual(['c1']);
        await stores.signingKeys.addNext([key('n9', 'current')]);
        expect(await states()).toEqual({ n1: 'current', n2: 'next', n9: 'next' });
      });

      itWithTransactions('stores the first key set and ignores later ones, also from another connection', async () => {
        const other = await backend.openSecondConnection(clock);
        try {
          expect(await stores.signingKeys.list()).toEqual([]);
          const [first, second] = await Promise.all([
            stores.signingKeys.initialiseIfEmpty([key('a1'), key('a2')]),
            other.signingKeys.initialiseIfEmpty([key('b1')]),
          ]);
          expect(first).toEqual(second);
          expect(await stores.signingKeys.list()).toEqual(first);
          expect(await other.signingKeys.list()).toEqual(first);
          expect([['a1', 'a2'], ['b1']]).toContainEqual(first.map((k) => k.kid).sort());
        } finally {
          await other.close();
        }
      });

      it('stores a key set again once every key is gone, whatever else the store kept of the old one', async () => {
        await stores.signingKeys.initialiseIfEmpty([key('c1'), key('n1', 'next')]);
        // Empty the key set through the store's own operations: rotate twice without new keys, retire all.
        expect(await stores.signingKeys.rotate(['c1'], [], 100)).toBe(true);
        expect(await stores.signingKeys.rotate(['n1'], [], 200)).toBe(true);
        expect((await stores.signingKeys.retirePrevious(200)).sort()).toEqual(['c1', 'n1']);
        expect(await stores.signingKeys.list()).toEqual([]);
        expect((await stores.signingKeys.initialiseIfEmpty([key('x1')])).map((k) => k.kid)).toEqual(['x1']);
        expect((await stores.signingKeys.initialiseIfEmpty([key('y1')])).map((k) => k.kid)).toEqual(['x1']);
      });

      it('replaces a private JWK only while it is still the expected one, keeping state and dates', async () => {
        await stores.signingKeys.initialiseIfEmpty([key('c1'), key('n1', 'next')]);
        const replacement = { kty: 'EC', kid: 'c1', d: 'other' };
        expect(await stores.signingKeys.replacePrivateJwk('c1', { kty: 'EC', kid: 'c1', d: 'stale' }, replacement)).toBe(false);
        expect(await stores.signingKeys.replacePrivateJwk('c1', key('c1').privateJwk, replacement)).toBe(true);
        expect(await stores.signingKeys.replacePrivateJwk('gone', key('gone').privateJwk, replacement)).toBe(false);
        expect(await stores.signingKeys.list()).toEqual([{ ...key('c1'), privateJwk: replacement }, key('n1', 'next')]);
      });
    });

    describe('FederatedIdentityStore', () => {
      it('links an upstream identity to one account only, lists, touches and unlinks', async () => {
        expect(await stores.federatedIdentities.link({ upstream: 'google', subject: 's1', accountId: 'a1', email: 'a@example.com' })).toBe(true);
        expect(await stores.federatedIdentities.link({ upstream: 'google', subject: 's1', accountId: 'a2', email: 'b@example.com' })).toBe(false);
        expect(await stores.federatedIdentities.link({ upstream: 'github', subject: 's1', accountId: 'a1', email: undefined })).toBe(true);
        expect(await stores.federatedIdentities.find('google', 's1')).toMatchObject({ accountId: 'a1', email: 'a@example.com' });
        expect((await stores.federatedIdentities.listForAccount('a1')).map((i) => i.upstream).sort()).toEqual(['github', 'google']);
        clock.advance(10);
        await stores.federatedIdentities.touch('google', 's1');
        expect((await stores.federatedIdentities.find('google', 's1'))!.lastUsedAt).toBe(clock.now());
        expect(await stores.federatedIdentities.unlink('a2', 'google', 's1')).toBe(false);
        expect(await stores.federatedIdentities.unlink('a1', 'google', 's1')).toBe(true);
        expect(await stores.federatedIdentities.find('google', 's1')).toBeUndefined();
      });
    });

    describe('ClientStore', () => {
      it('creates, finds, lists, updates and removes clients', async () => {
        expect(await stores.clients.create('app', { client_id: 'app', kind: 'public' })).toBe(true);
        expect(await stores.clients.create('app', { client_id: 'app', kind: 'web' })).toBe(false);
        expect(await stores.clients.find('app')).toEqual({ client_id: 'app', kind: 'public' });
        expect(await stores.clients.update('app', { client_id: 'app', kind: 'public', client_name: 'App' })).toBe(true);
        expect(await stores.clients.update('nope', {})).toBe(false);
        expect((await stores.clients.list()).map((c) => [c.clientId, c.metadata.client_name])).toEqual([['app', 'App']]);
        expect(await stores.clients.remove('app')).toBe(true);
        expect(await stores.clients.remove('app')).toBe(false);
        expect(await stores.clients.find('app')).toBeUndefined();
      });
    });

    describe('SecretStore', () => {
      it('keeps the first value stored under a name', async () => {
        expect(await stores.secrets.getOrCreate('cookie', 'one')).toBe('one');
        expect(await stores.secrets.getOrCreate('cookie', 'two')).toBe('one');
        expect(await stores.secrets.getOrCreate('other', 'three')).toBe('three');
      });

      it('lists every secret and replaces one only while it still has the expected value', async () => {
        await stores.secrets.getOrCreate('b', 'one');
        await stores.secrets.getOrCreate('a', 'two');
        expect(await stores.secrets.replace('b', 'stale', 'three')).toBe(false);
        expect(await stores.secrets.replace('b', 'one', 'three')).toBe(true);
        expect(await stores.secrets.replace('missing', 'one', 'three')).toBe(false);
        expect(await stores.secrets.list()).toEqual([{ name: 'a', value: 'two' }, { name: 'b', value: 'three' }]);
        expect(await stores.secrets.getOrCreate('b', 'four')).toBe('three');
      });
    });

    describe('AccountStore', () => {
      const account = { email: 'Ada@Example.com ', emailVerified: false, name: 'Ada', passwordHash: 'hash1', roles: ['admin'] };

      it('creates an account and finds it by id and by email, case-insensitively', async () => {
        const created = await stores.accounts.create(account);
        expect(created).toMatchObject({ email: 'Ada@Example.com', emailNormalized: 'ada@example.com', roles: ['admin'], disabled: false });
        expect(await stores.accounts.findById(created!.id)).toEqual(created);
        expect(await stores.accounts.findByEmail('ADA@example.COM')).toEqual(created);
        expect(await stores.accounts.findByEmail('bob@example.com')).toBeUndefined();
      });

      it('refuses a second account with the same normalised email', async () => {
        expect(await stores.accounts.create(account)).toBeDefined();
        expect(await stores.accounts.create({ ...account, email: 'ada@EXAMPLE.com' })).toBeUndefined();
      });

      it('updates profile claims given, and keeps the others', async () => {
        const created = await stores.accounts.create({ ...account, picture: 'https://img.example/a.png' });
        expect(created!.picture).toBe('https://img.example/a.png');
        await stores.accounts.updateProfile(created!.id, { name: 'Ada L.', emailVerified: true });
        expect(await stores.accounts.findById(created!.id)).toMatchObject({ name: 'Ada L.', picture: 'https://img.example/a.png', emailVerified: true });
      });

      it('marks the email verified, and disables and enables', async () => {
        const created = await stores.accounts.create(account);
        await stores.accounts.markEmailVerified(created!.id);
        expect((await stores.accounts.findById(created!.id))!.emailVerified).toBe(true);
        await stores.accounts.setDisabled(created!.id, true);
        expect((await stores.accounts.findById(created!.id))!.disabled).toBe(true);
        await stores.accounts.setDisabled(created!.id, false);
        expect((await stores.accounts.findById(created!.id))!.disabled).toBe(false);
      });

      it('sets roles and lists accounts oldest first, a page at a time', async () => {
        const first = await stores.accounts.create(account);
        clock.advance(1);
        await stores.accounts.create({ ...account, email: 'bob@example.com' });
        await stores.accounts.setRoles(first!.id, ['admin', 'auditor']);
        expect((await stores.accounts.findById(first!.id))!.roles).toEqual(['admin', 'auditor']);
        expect((await stores.accounts.list({ limit: 10, offset: 0 })).map((a) => a.emailNormalized)).toEqual(['ada@example.com', 'bob@example.com']);
        expect((await stores.accounts.list({ limit: 1, offset: 1 })).map((a) => a.emailNormalized)).toEqual(['bob@example.com']);
      });

      it('updates the password hash and the last sign-in time', async () => {
        const created = await stores.accounts.create(account);
        clock.advance(1000);
        await stores.accounts.setPasswordHash(created!.id, 'hash2');
        await stores.accounts.recordSignIn(created!.id);
        const updated = await stores.accounts.findById(created!.id);
        expect(updated).toMatchObject({ passwordHash: 'hash2', updatedAt: clock.now(), lastSignInAt: clock.now() });
      });
    });

    describeMfaStoreContract(() => ({ stores, clock, openSecondConnection: () => backend.openSecondConnection(clock) }));
    describeAccountCenterStoreContract(() => ({ stores, clock }));
    describeApiStoreContract(() => ({ stores, clock, openSecondConnection: () => backend.openSecondConnection(clock) }));
    describeAdminStoreContract(() => ({ stores, clock }));
    describeClientRevisionContract(() => ({ stores, clock }));

    describe('lifecycle', () => {
      it('migrates idempotently and answers ping', async () => {
        await stores.migrate();
        await stores.assertMigrated();
        await expect(stores.ping()).resolves.toBeUndefined();
      });
    });
  });
}
