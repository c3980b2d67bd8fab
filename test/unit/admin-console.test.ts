import { beforeEach, describe, expect, it } from '@jest/globals';
import { isoInstant } from '../../src/http/admin-console/audit.routes.ts';
import { apiGrantsFrom } from '../../src/services/clients.service.ts';
import { scopesOf } from '../../src/http/admin-console/apis.routes.ts';
import { hourlyChart, niceMaximum } from '../../src/http/admin-console/dashboard-chart.ts';
import { revokeEverythingFor } from '../../src/services/account-sessions.service.ts';
import { ADMIN_CONSOLE_SESSION_TTL_MS, checkConsoleSession, closeConsoleSession, openConsoleSession } from '../../src/services/admin-console-sessions.service.ts';
import { createSqliteStores } from '../../src/stores/sqlite/sqlite-stores.ts';
import type { AccountRecord, Stores } from '../../src/stores/types.ts';
import { FakeClock } from '../helpers/fake-clock.ts';

describe('admin console sessions', () => {
  let clock: FakeClock;
  let stores: Stores;
  let admin: AccountRecord;
  let deps: { records: Stores['oidcRecords']; accounts: Stores['accounts']; clock: FakeClock };
  const signIn = (accountId: string) => ({ accountId, grantId: 'grant-1', sessionUid: 'session-uid-1', amr: ['pwd', 'otp', 'mfa'], acr: 'mfa', authTime: 1 });

  beforeEach(async () => {
    clock = new FakeClock();
    stores = createSqliteStores({ location: ':memory:', busyTimeoutMs: 0 }, clock);
    await stores.migrate();
    admin = (await stores.accounts.create({ email: 'admin@example.com', emailVerified: true, name: undefined, passwordHash: undefined, roles: ['admin'] }))!;
    deps = { records: stores.oidcRecords, accounts: stores.accounts, clock };
    // What oidc-provider keeps for the sign-in the console came through.
    await stores.oidcRecords.upsert('Grant', 'grant-1', { jti: 'grant-1', accountId: admin.id, clientId: 'keyward-admin-console' }, undefined);
    await stores.oidcRecords.upsert('Session', 'session-1', { jti: 'session-1', uid: 'session-uid-1', accountId: admin.id }, undefined);
  });

  it('opens for an administrator whose grant and session exist, and stores only a hash of the token', async () => {
    const token = await openConsoleSession(deps, signIn(admin.id));
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await checkConsoleSession(deps, token)).toMatchObject({ status: 'admin', account: { id: admin.id }, signIn: { grantId: 'grant-1', amr: ['pwd', 'otp', 'mfa'] } });
    const [record] = await stores.oidcRecords.listByAccountId('KeywardAdminConsoleSession', admin.id, 5);
    expect(record!.id).not.toContain(token);
    expect(JSON.stringify(record!.payload)).not.toContain(token);
  });

  it('ends after 8 hours, at sign-out, and for tokens it never gave', async () => {
    const token = await openConsoleSession(deps, signIn(admin.id));
    clock.advance(ADMIN_CONSOLE_SESSION_TTL_MS - 1);
    expect((await checkConsoleSession(deps, token)).status).toBe('admin');
    clock.advance(1);
    expect((await checkConsoleSession(deps, token)).status).toBe('ended');
    const other = await openConsoleSession(deps, signIn(admin.id));
    await closeConsoleSession(deps, other);
    expect((await checkConsoleSession(deps, other)).status).toBe('ended');
    for (const forged of [undefined, '', 'x'.repeat(43), '../../etc/passwd']) expect((await checkConsoleSession(deps, forged)).status).toBe('ended');
  });

  it.each([
    ['the account is disabled', async () => { await stores.accounts.setDisabled(admin.id, true); }, 'ended'],
    ['the grant is revoked', async () => { await stores.oidcRecords.destroy('Grant', 'grant-1'); }, 'ended'],
    ['the Keyward session is signed out', async () => { await stores.oidcRecords.destroy('Session', 'session-1'); }, 'ended'],
    ['everything of the account is revoked', async () => { await revokeEverythingFor(stores.oidcRecords, admin.id); }, 'ended'],
    ['the admin role is taken away', async () => { await stores.accounts.setRoles(admin.id, ['support']); }, 'not_admin'],
  ] as const)('ends at once when %s, and stays ended', async (_what, change, status) => {
    const token = await openConsoleSession(deps, signIn(admin.id));
    await change();
    expect((await checkConsoleSession(deps, token)).status).toBe(status);
    await stores.accounts.setRoles(admin.id, ['admin']);
    await stores.accounts.setDisabled(admin.id, false);
    expect((await checkConsoleSession(deps, token)).status).toBe('ended');
  });
});

describe('admin console forms and chart', () => {
  it('reads API grants as "identifier scope scope" lines, merging repeated APIs', () => {
    expect(apiGrantsFrom([])).toBeUndefined();
    expect(apiGrantsFrom(['https://a.example read write', 'https://b.example', 'https://a.example read admin'])).toEqual({
      'https://a.example': ['read', 'write', 'admin'], 'https://b.example': [],
    });
  });

  it('reads scopes as "scope = description" lines; a bare scope describes itself', () => {
    expect(scopesOf(['orders:read = See your orders', 'orders:write=Place = orders', 'audit'])).toEqual({ 'orders:read': 'See your orders', 'orders:write': 'Place = orders', audit: 'audit' });
  });

  it('reads a datetime-local value as UTC and leaves a full ISO 8601 value alone', () => {
    expect(isoInstant('2025-05-01T09:30')).toBe('2025-05-01T09:30:00Z');
    expect(isoInstant('2025-05-01')).toBe('2025-05-01T00:00:00Z');
    expect(isoInstant('2025-05-01T09:30:15')).toBe('2025-05-01T09:30:15Z');
    expect(isoInstant('2025-05-01T09:30:00+02:00')).toBe('2025-05-01T09:30:00+02:00');
  });

  it('scales the chart to a round maximum and keeps every bar inside the plot', () => {
    expect([0, 3, 4, 5, 9, 10, 11, 38, 120, 999].map(niceMaximum)).toEqual([4, 4, 4, 5, 10, 10, 20, 50, 200, 1000]);
    const start = Date.UTC(2025, 4, 1, 10);
    const chart = hourlyChart(Array.from({ length: 24 }, (_, i) => ({ hour: start + i * 3_600_000, sign_ins: i * 3, failures: i % 4 })));
    expect(chart.ticks.map((tick) => tick.value)).toEqual([0, 50, 100]);
    expect(chart.totals).toEqual({ signIns: 828, failures: 36 });
    expect(chart.hours[0]).toMatchObject({ from: '10:00', to: '11:00', label: { text: '10:00', minor: false } });
    for (const hour of chart.hours) {
      for (const bar of [hour.signIns, hour.failures]) {
        expect(bar.y + bar.height).toBeCloseTo(chart.plot.bottom, 0);
        expect(bar.y).toBeGreaterThanOrEqual(chart.plot.top - 0.1);
        expect(bar.x + bar.width).toBeLessThanOrEqual(chart.plot.right);
      }
    }
  });
});
