import { beforeEach, describe, expect, it } from '@jest/globals';
import { errors } from 'oidc-provider';
import { createOidcAdapterFactory } from '../../src/oidc/adapter.ts';
import { createSqliteStores } from '../../src/stores/sqlite/sqlite-stores.ts';
import type { Stores } from '../../src/stores/types.ts';
import { FakeClock } from '../helpers/fake-clock.ts';

/** oidc-provider's adapter contract (example/my_adapter.js), on the in-memory SQLite store. */
describe('oidc-provider adapter', () => {
  let clock: FakeClock;
  let stores: Stores;
  let adapterFor: ReturnType<typeof createOidcAdapterFactory>;

  beforeEach(async () => {
    clock = new FakeClock();
    stores = createSqliteStores({ location: ':memory:', busyTimeoutMs: 0 }, clock);
    await stores.migrate();
    adapterFor = createOidcAdapterFactory(stores.oidcRecords, clock, { refreshTokenGraceSeconds: 0, onSecurityEvent: () => undefined });
  });

  it('turns expiresIn seconds into an expiry checked at read time', async () => {
    const adapter = adapterFor('AccessToken');
    await adapter.upsert('at1', { jti: 'at1', kind: 'AccessToken' }, 60);
    clock.advance(59_999);
    expect(await adapter.find('at1')).toMatchObject({ jti: 'at1' });
    clock.advance(1);
    expect(await adapter.find('at1')).toBeUndefined();
  });

  it('keeps models apart', async () => {
    await adapterFor('AccessToken').upsert('same-id', { kind: 'AccessToken' }, 60);
    expect(await adapterFor('RefreshToken').find('same-id')).toBeUndefined();
  });

  it('finds a session by uid', async () => {
    await adapterFor('Session').upsert('s1', { uid: 'uid-1', kind: 'Session' }, 60);
    expect(await adapterFor('Session').findByUid('uid-1')).toMatchObject({ uid: 'uid-1' });
  });

  it('marks a record consumed, and refuses a second consume with invalid_grant', async () => {
    const adapter = adapterFor('AuthorizationCode');
    await adapter.upsert('code1', { kind: 'AuthorizationCode', grantId: 'g1' }, 60);
    await adapter.consume('code1');
    expect(await adapter.find('code1')).toMatchObject({ consumed: expect.any(Number) });
    const second = adapter.consume('code1');
    await expect(second).rejects.toBeInstanceOf(errors.InvalidGrant);
    await expect(adapter.consume('code1')).rejects.toMatchObject({ error: 'invalid_grant', error_description: 'grant request is invalid' });
  });

  it('lets one of many concurrent consumes succeed', async () => {
    const adapter = adapterFor('RefreshToken');
    await adapter.upsert('rt1', { kind: 'RefreshToken' }, 60);
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => adapter.consume('rt1')));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });

  it('destroys, and revokes by grant id within its model', async () => {
    const accessTokens = adapterFor('AccessToken');
    await accessTokens.upsert('a', { grantId: 'g' }, 60);
    await accessTokens.upsert('b', { grantId: 'g' }, 60);
    await accessTokens.upsert('c', { grantId: 'other' }, 60);
    await accessTokens.destroy('c');
    await accessTokens.revokeByGrantId('g');
    for (const id of ['a', 'b', 'c']) expect(await accessTokens.find(id)).toBeUndefined();
  });

  it('stores records without expiry when expiresIn is absent', async () => {
    await adapterFor('Grant').upsert('g', { kind: 'Grant' }, undefined as unknown as number);
    clock.advance(1e12);
    expect(await adapterFor('Grant').find('g')).toMatchObject({ kind: 'Grant' });
  });
});
