import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { consolePage, createAdmin, openConsole, walkToConsoleCallback, type TestAdmin } from '../helpers/admin-console.ts';
import { startTestKeyward, type TestKeyward } from '../helpers/test-server.ts';
import { locationOf, UserAgent } from '../helpers/user-agent.ts';

describe('review: admin console attacks', () => {
  let keyward: TestKeyward;
  let root: TestAdmin;
  let rootAgent: UserAgent;
  beforeAll(async () => {
    keyward = await startTestKeyward();
    root = await createAdmin(keyward, 'root@example.com');
    rootAgent = await openConsole(keyward, root);
  });
  afterAll(async () => { await keyward?.stop(); });
  const url = (p: string) => `${keyward.issuer}${p}`;

  it('R1: resetting an admin\'s second factors ends their console and the Keyward session behind it', async () => {
    const victim = await createAdmin(keyward, 'stolen-phone@example.com');
    const thief = await openConsole(keyward, victim);
    expect((await thief.get(url('/admin/users'))).status).toBe(200);
    const { csrf } = await consolePage(rootAgent, url(`/admin/users/${victim.id}`));
    const reset = await rootAgent.postForm(url(`/admin/users/${victim.id}/reset-mfa`), { _csrf: csrf });
    expect(reset.status).toBe(303);
    const after = await thief.get(url('/admin/users'));
    expect(after.status).toBe(303);
    // Nor can the browser open a fresh console session by single sign-on: it meets the sign-in page.
    let res = await thief.get(url('/admin/users'));
    for (let i = 0; i < 10 && (res.status === 302 || res.status === 303); i += 1) res = await thief.get(locationOf(res, keyward.issuer));
    expect(res.status).toBe(200);
    expect(new URL(res.url).pathname).toMatch(/^\/interaction\//);
  });

  it('R2: console sign-out also ends the Keyward session: the next visit to /admin meets the sign-in page', async () => {
    const admin = await createAdmin(keyward, 'signout@example.com');
    const agent = await openConsole(keyward, admin);
    const { csrf } = await consolePage(agent, url('/admin'));
    const out = await agent.postForm(url('/admin/sign-out'), { _csrf: csrf });
    expect(out.status).toBe(303);
    let res = await agent.get(url('/admin'));
    const path: string[] = [];
    for (let i = 0; i < 10 && (res.status === 302 || res.status === 303); i += 1) {
      const next = locationOf(res, keyward.issuer);
      path.push(`${res.status} ${next.pathname}`);
      res = await agent.get(next);
    }
    expect(res.status).toBe(200);
    expect(path.at(-1)).toMatch(/^30[23] \/interaction\//);
    expect(await res.text()).not.toContain('signout@example.com');
  });

  it('R3: an already-redeemed code presented in another browser does not end the admin\'s console', async () => {
    const admin = await createAdmin(keyward, 'replay@example.com');
    const agent = new UserAgent();
    const { callback } = await walkToConsoleCallback(agent, keyward.issuer, admin);
    expect((await agent.get(callback)).status).toBe(303);
    expect((await agent.get(url('/admin/users'))).status).toBe(200);
    const attacker = new UserAgent();
    const state = locationOf(await attacker.get(url('/admin')), keyward.issuer).searchParams.get('state')!;
    const cb = new URL(url('/admin/callback'));
    cb.search = new URLSearchParams({ code: callback.searchParams.get('code')!, state, iss: keyward.issuer }).toString();
    expect((await attacker.get(cb)).status).toBe(400);
    const after = await agent.get(url('/admin/users'));
    expect(after.status).toBe(200);
  });

  it('R4: odd inputs never give a 500', async () => {
    const gets = ['/admin/users?cursor=%%%', '/admin/users?cursor=AAAA', '/admin/users?cursor=' + 'a'.repeat(1400), '/admin/audit?cursor=zz', '/admin/audit?from=9999-99-99T99:99', '/admin/audit?from=2025-01-01T00:00&to=2024-01-01', '/admin/audit/export?from=x', '/admin/audit/export?cursor=zz', '/admin/users/%E0%A4%A', '/admin/users/' + 'a'.repeat(5000), '/admin/clients/%00', '/admin/apis/edit?identifier=%00', '/admin/apis/edit', '/admin/users?q=%00', '/admin/audit?event=%00&outcome=x', '/admin/audit?account_id[]=1', '/admin/keys?wait=999999999', '/admin/audit?from=2025-01-01T00:00:00.000%2B99:00'];
    const bad: string[] = [];
    for (const g of gets) { const r = await rootAgent.get(url(g)); await r.text(); if (r.status >= 500) bad.push(`${r.status} GET ${g}`); }
    const { csrf } = await consolePage(rootAgent, url('/admin'));
    const posts: [string, Record<string, string>][] = [
      [`/admin/users/${root.id}/sessions/end`, { session: '%00' }],
      ['/admin/users/nope/disable', { revision: '1' }],
      ['/admin/users/nope/reset-mfa', {}],
      ['/admin/users', { email: 'x@' + 'a'.repeat(300) + '.com', roles: 'a,'.repeat(100) }],
      ['/admin/clients', { client_id: '../x', client_name: 'x', kind: 'nope', redirect_uris: 'javascript:alert(1)' }],
      ['/admin/clients/nope', { revision: '1' }],
      ['/admin/clients/nope/rotate-secret', {}],
      ['/admin/clients/nope/delete', { confirm: 'nope', revision: '1' }],
      ['/admin/apis', { identifier: 'not a url', scopes: 'a\nb' , access_token_ttl: '99999999'}],
      ['/admin/apis/update', { identifier: 'https://nope.example', revision: '1' }],
      ['/admin/apis/delete', { identifier: 'https://nope.example', revision: '1' }],
      [`/admin/users/${root.id}/roles`, { roles: '', revision: '999999999999999' }],
    ];
    for (const [p, f] of posts) { const r = await rootAgent.postForm(url(p), { _csrf: csrf, ...f }); const t = await r.text(); if (r.status >= 500) bad.push(`${r.status} POST ${p} ${t.slice(0, 80)}`); }
    expect(bad).toEqual([]);
  });

  it('R5: headers', async () => {
    const r = await rootAgent.get(url('/admin/users'));
    const e = await rootAgent.get(url('/admin/audit/export'));
    const f = await new UserAgent().get(url('/admin/callback?state=x'));
    const g = await rootAgent.get(url(`/admin/users/${root.id}/disable`));
    expect(r.status).toBe(200);
    expect(r.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(r.headers.get('x-frame-options')).toBe('DENY');
    expect(r.headers.get('cache-control')).toContain('no-store');
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(e.headers.get('content-type')).toContain('application/jsonl');
    expect(e.headers.get('content-disposition')).toMatch(/^attachment/);
    expect(f.status).toBe(400);
    expect(g.status).toBe(405);
  });
});
