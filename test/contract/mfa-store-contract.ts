import { describe, expect, it } from '@jest/globals';
import type { NewAuthenticator, Stores } from '../../src/stores/types.ts';
import type { FakeClock } from '../helpers/fake-clock.ts';

/** What the cases need of the suite that runs them (describeStoreContract's state, read at run time). */
export interface MfaContractContext {
  stores: Stores;
  clock: FakeClock;
  /** A second, independent connection to the same database; the caller closes it. */
  openSecondConnection(): Promise<Stores>;
}

const totp = (accountId: string, name = 'Authenticator app'): NewAuthenticator => ({
  accountId, kind: 'totp', name, secret: 'JBSWY3DPEHPK3PXP', credentialId: undefined, counter: 0, transports: [], backedUp: false, confirmed: false,
});
const passkey = (accountId: string, credentialId: string): NewAuthenticator => ({
  accountId, kind: 'passkey', name: 'Pixel 9', secret: 'pQECAyYgASFYIP-public-key', credentialId, counter: 3, transports: ['internal', 'hybrid'], backedUp: true, confirmed: true,
});

/** Second factors, passkeys and recovery codes (AuthenticatorStore, RecoveryCodeStore), on every backend. */
export function describeMfaStoreContract(context: () => MfaContractContext): void {
  /** Runs `call` five times at once, alternately on this connection and on another one; returns the results. */
  const concurrently = async <T>(call: (stores: Stores) => Promise<T>): Promise<T[]> => {
    const { stores, openSecondConnection } = context();
    const other = await openSecondConnection();
    try {
      return await Promise.all(Array.from({ length: 5 }, (_, i) => call(i % 2 ? other : stores)));
    } finally {
      await other.close();
    }
  };

  describe('AuthenticatorStore', () => {
    it('creates, finds by id and by credential id, and lists an account\'s authenticators oldest first', async () => {
      const { stores, clock } = context();
      const app = await stores.authenticators.create(totp('a1'));
      expect(app).toEqual({
        ...totp('a1'), id: expect.any(String), lastUsedStep: undefined, createdAt: clock.now(), lastUsedAt: undefined,
      });
      clock.advance(1);
      const key = await stores.authenticators.create(passkey('a1', 'cred-1'));
      expect(key).toMatchObject({ kind: 'passkey', credentialId: 'cred-1', counter: 3, transports: ['internal', 'hybrid'], backedUp: true, confirmed: true });
      await stores.authenticators.create(totp('a2'));
      expect(await stores.authenticators.find(app!.id)).toEqual(app);
      expect(await stores.authenticators.find('nope')).toBeUndefined();
      expect(await stores.authenticators.findByCredentialId('cred-1')).toEqual(key);
      expect(await stores.authenticators.findByCredentialId('cred-2')).toBeUndefined();
      expect(await stores.authenticators.listForAccount('a1')).toEqual([app, key]);
      expect(await stores.authenticators.listForAccount('a3')).toEqual([]);
    });

    it('refuses a second passkey with the same credential id, for any account, and lets TOTP authenticators without one coexist', async () => {
      const { stores } = context();
      expect(await stores.authenticators.create(passkey('a1', 'cred-1'))).toBeDefined();
      expect(await stores.authenticators.create(passkey('a2', 'cred-1'))).toBeUndefined();
      expect(await stores.authenticators.create(totp('a1'))).toBeDefined();
      expect(await stores.authenticators.create(totp('a1', 'Second phone'))).toBeDefined();
      expect(await stores.authenticators.create(totp('a2'))).toBeDefined();
      expect((await stores.authenticators.listForAccount('a1')).map((a) => a.kind).sort()).toEqual(['passkey', 'totp', 'totp']);
      expect(await stores.authenticators.listForAccount('a2')).toHaveLength(1);
    });

    it('confirms an unconfirmed authenticator for its owner only, once', async () => {
      const { stores } = context();
      const app = await stores.authenticators.create(totp('a1'));
      expect(await stores.authenticators.confirm('a2', app!.id)).toBe(false);
      expect((await stores.authenticators.find(app!.id))!.confirmed).toBe(false);
      expect(await stores.authenticators.confirm('a1', app!.id)).toBe(true);
      expect((await stores.authenticators.find(app!.id))!.confirmed).toBe(true);
      expect(await stores.authenticators.confirm('a1', app!.id)).toBe(false);
      expect(await stores.authenticators.confirm('a1', 'nope')).toBe(false);
    });

    it('accepts a TOTP time step only when it is later than the last one used (RFC 6238 §5.2)', async () => {
      const { stores, clock } = context();
      const app = await stores.authenticators.create(totp('a1'));
      expect(await stores.authenticators.useTotpStep(app!.id, 100)).toBe(true);
      expect(await stores.authenticators.find(app!.id)).toMatchObject({ lastUsedStep: 100, lastUsedAt: clock.now() });
      expect(await stores.authenticators.useTotpStep(app!.id, 100)).toBe(false);
      expect(await stores.authenticators.useTotpStep(app!.id, 99)).toBe(false);
      clock.advance(30_000);
      expect(await stores.authenticators.useTotpStep(app!.id, 101)).toBe(true);
      expect(await stores.authenticators.find(app!.id)).toMatchObject({ lastUsedStep: 101, lastUsedAt: clock.now() });
      expect(await stores.authenticators.useTotpStep('nope', 200)).toBe(false);
    });

    it('accepts one time step for exactly one of concurrent requests, across connections', async () => {
      const app = await context().stores.authenticators.create(totp('a1'));
      const results = await concurrently((stores) => stores.authenticators.useTotpStep(app!.id, 500));
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it('records a passkey use: the new signature counter and the time', async () => {
      const { stores, clock } = context();
      const key = await stores.authenticators.create(passkey('a1', 'cred-1'));
      clock.advance(1000);
      await stores.authenticators.recordPasskeyUse(key!.id, 7);
      expect(await stores.authenticators.findByCredentialId('cred-1')).toMatchObject({ counter: 7, lastUsedAt: clock.now() });
    });

    it('renames and removes for the owner only, and removes all of an account\'s', async () => {
      const { stores } = context();
      const app = await stores.authenticators.create(totp('a1'));
      await stores.authenticators.create(passkey('a1', 'cred-1'));
      const theirs = await stores.authenticators.create(totp('a2'));
      expect(await stores.authenticators.rename('a2', app!.id, 'Stolen')).toBe(false);
      expect(await stores.authenticators.rename('a1', app!.id, 'Work phone')).toBe(true);
      expect((await stores.authenticators.find(app!.id))!.name).toBe('Work phone');
      expect(await stores.authenticators.rename('a1', 'nope', 'x')).toBe(false);
      expect(await stores.authenticators.remove('a2', app!.id)).toBe(false);
      expect(await stores.authenticators.remove('a1', app!.id)).toBe(true);
      expect(await stores.authenticators.remove('a1', app!.id)).toBe(false);
      expect(await stores.authenticators.find(app!.id)).toBeUndefined();
      await stores.authenticators.create(totp('a1'));
      expect(await stores.authenticators.removeAll('a1')).toBe(2);
      expect(await stores.authenticators.removeAll('a1')).toBe(0);
      expect(await stores.authenticators.listForAccount('a2')).toEqual([theirs]);
    });

    it('lists every authenticator app, and replaces a secret only while it is the expected one (compare-and-set)', async () => {
      const { stores, clock } = context();
      const app = (await stores.authenticators.create(totp('a1')))!;
      clock.advance(1);
      await stores.authenticators.create(passkey('a1', 'cred-listed'));
      const other = (await stores.authenticators.create(totp('a2')))!;
      expect((await stores.authenticators.listTotp()).map((a) => a.id)).toEqual([app.id, other.id]);
      expect(await stores.authenticators.replaceSecret(app.id, 'not the stored one', 'NEWSECRET')).toBe(false);
      expect(await stores.authenticators.replaceSecret(app.id, 'JBSWY3DPEHPK3PXP', 'NEWSECRET')).toBe(true);
      expect((await stores.authenticators.find(app.id))!.secret).toBe('NEWSECRET');
      expect(await stores.authenticators.replaceSecret(app.id, 'JBSWY3DPEHPK3PXP', 'THIRD')).toBe(false);
      expect((await stores.authenticators.find(other.id))!.secret).toBe('JBSWY3DPEHPK3PXP');
    });

    it('sweeps only unconfirmed authenticators created before the cut-off', async () => {
      const { stores, clock } = context();
      const abandoned = await stores.authenticators.create(totp('a1'));
      const confirmed = await stores.authenticators.create(passkey('a1', 'cred-1'));
      clock.advance(1000);
      const cutoff = clock.now();
      const fresh = await stores.authenticators.create(totp('a2'));
      expect(await stores.authenticators.sweepUnconfirmed(cutoff)).toBe(1);
      expect(await stores.authenticators.find(abandoned!.id)).toBeUndefined();
      expect(await stores.authenticators.find(confirmed!.id)).toBeDefined();
      expect(await stores.authenticators.find(fresh!.id)).toBeDefined();
    });
  });

  describe('RecoveryCodeStore', () => {
    it('consumes each code once, counts what remains, and keeps accounts apart', async () => {
      const { stores } = context();
      await stores.recoveryCodes.replace('a1', ['h1', 'h2', 'h3']);
      await stores.recoveryCodes.replace('a2', ['h9']);
      expect(await stores.recoveryCodes.remaining('a1')).toBe(3);
      expect(await stores.recoveryCodes.consume('a1', 'h2')).toBe(true);
      expect(await stores.recoveryCodes.consume('a1', 'h2')).toBe(false);
      expect(await stores.recoveryCodes.consume('a1', 'nope')).toBe(false);
      expect(await stores.recoveryCodes.consume('a1', 'h9')).toBe(false);
      expect(await stores.recoveryCodes.consume('a2', 'h1')).toBe(false);
      expect(await stores.recoveryCodes.remaining('a1')).toBe(2);
      expect(await stores.recoveryCodes.remaining('a2')).toBe(1);
      expect(await stores.recoveryCodes.remaining('a3')).toBe(0);
    });

    it('replaces every code of the account: old codes, used or not, stop working', async () => {
      const { stores } = context();
      await stores.recoveryCodes.replace('a1', ['h1', 'h2']);
      await stores.recoveryCodes.consume('a1', 'h1');
      await stores.recoveryCodes.replace('a1', ['h2', 'h3', 'h4']);
      expect(await stores.recoveryCodes.remaining('a1')).toBe(3);
      expect(await stores.recoveryCodes.consume('a1', 'h1')).toBe(false);
      expect(await stores.recoveryCodes.consume('a1', 'h4')).toBe(true);
      await stores.recoveryCodes.removeAll('a1');
      expect(await stores.recoveryCodes.remaining('a1')).toBe(0);
      expect(await stores.recoveryCodes.consume('a1', 'h3')).toBe(false);
    });

    it('gives a code to exactly one of concurrent users, across connections', async () => {
      await context().stores.recoveryCodes.replace('a1', ['h1', 'h2']);
      const results = await concurrently((stores) => stores.recoveryCodes.consume('a1', 'h1'));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await context().stores.recoveryCodes.remaining('a1')).toBe(1);
    });
  });
}
