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
    adapterFor = createOidcAdapterFactory(stores.oidcRecords, clock, { clients: stores.clients, refreshTokenGraceSeconds: 0, onSecurityEvent: () => undefined });
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

describe('oidc-provider adapter: reuse of consumed codes and refresh tokens', () => {
  let clock: FakeClock;
  let stores: Stores;
  const events: { event: string; grantId?: string }[] = [];
  const make = (grace: number) => createOidcAdapterFactory(stores.oidcRecords, clock, { clients: stores.clients, refreshTokenGraceSeconds: grace, onSecurityEvent: (event, details) => events.push({ event, ...details }) });

  beforeEach(async () => {
    clock = new FakeClock();
    stores = createSqliteStores({ location: ':memory:', busyTimeoutMs: 0 }, clock);
    await stores.migrate();
    events.length = 0;
    for (const [model, id] of [['AccessToken', 'at'], ['RefreshToken', 'rt'], ['AuthorizationCode', 'code'], ['JwtAccessToken', 'jwt']]) {
      await stores.oidcRecords.upsert(model!, id!, { grantId: 'g1', clientId: 'app' }, clock.now() + 3_600_000);
    }
    await stores.oidcRecords.upsert('Grant', 'g1', { jti: 'g1' }, undefined);
  });

  const familyLeft = async () => {
    const found = await Promise.all([['AccessToken', 'at'], ['RefreshToken', 'rt'], ['JwtAccessToken', 'jwt'], ['Grant', 'g1']].map(([m, id]) => stores.oidcRecords.find(m!, id!)));
    return found.filter(Boolean).length;
  };

  it('treats a consumed refresh token as unused within the grace window, and lets it be consumed again', async () => {
    const adapter = make(10)('RefreshToken');
    await adapter.consume('rt');
    clock.advance(10_000);
    expect(await adapter.find('rt')).not.toHaveProperty('consumed');
    await expect(adapter.consume('rt')).resolves.toBeUndefined();
    expect(events).toEqual([]);
  });

  it('after the grace window, refuses the second consume, revokes the family and reports it', async () => {
    const adapter = make(10)('RefreshToken');
    await adapter.consume('rt');
    clock.advance(11_000);
    expect(await adapter.find('rt')).toHaveProperty('consumed');
    await expect(adapter.consume('rt')).rejects.toMatchObject({ error: 'invalid_grant' });
    expect(await familyLeft()).toBe(0);
    expect(events).toEqual([{ event: 'refresh_token_reuse', grantId: 'g1', clientId: 'app', detectedBy: 'concurrent redemption' }]);
  });

  it('never gives authorization codes a grace window', async () => {
    const adapter = make(10)('AuthorizationCode');
    await adapter.consume('code');
    await expect(adapter.consume('code')).rejects.toMatchObject({ error: 'invalid_grant' });
    expect(await familyLeft()).toBe(0);
    expect(events[0]).toMatchObject({ event: 'authorization_code_reuse', grantId: 'g1' });
  });

  it('revokes JWT access token records with the access tokens of a grant', async () => {
    await make(0)('AccessToken').revokeByGrantId('g1');
    expect(await stores.oidcRecords.find('JwtAccessToken', 'jwt')).toBeUndefined();
    expect(await stores.oidcRecords.find('RefreshToken', 'rt')).toBeDefined();
  });
});
