import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { attemptSignIn } from '../helpers/sign-in-attempt.ts';
import { startTestKeyward, type TestKeyward } from '../helpers/test-server.ts';

/**
 * A client writes whatever it likes into X-Forwarded-For; only the entries the trusted proxies
 * appended (TRUST_PROXY_HOPS from the right) say who is asking.
 */
describe.each([[1], [2]])('X-Forwarded-For behind %i trusted proxies', (hops) => {
  let keyward: TestKeyward;
  beforeAll(async () => {
    keyward = await startTestKeyward({ env: { TRUST_PROXY: 'true', TRUST_PROXY_HOPS: String(hops), THROTTLE_SIGN_IN_PER_IP: '10', THROTTLE_SIGN_IN_PER_ACCOUNT: '1000' } });
  });
  afterAll(async () => keyward?.stop());

  // What the proxies append: the client's real address, then (two hops) the first proxy's.
  const appended = hops === 1 ? '198.51.100.77' : '198.51.100.77, 10.0.0.2';

  const attempt = (i: number) => attemptSignIn(keyward.issuer, { email: `someone-${i}@example.com`, password: 'guessed password' }, { 'x-forwarded-for': `203.0.113.${i}, ${appended}` });

  it('counts forged leftmost addresses against the real client, and audits the real address', async () => {
    const statuses: number[] = [];
    for (let i = 1; i <= 14; i += 1) statuses.push(await attempt(i));
    expect(statuses.slice(0, 10).every((status) => status === 401)).toBe(true);
    expect(statuses.slice(10)).toEqual([429, 429, 429, 429]);
    const events = await keyward.running.container.stores.audit.list({ event: 'sign_in', limit: 50 });
    expect(new Set(events.map((event) => event.ip))).toEqual(new Set(['198.51.100.77']));
  });
});
