import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DEMO_ACCOUNT } from '../../src/services/demo-data.service.ts';
import { discoverTestClient, startAuthorization } from '../helpers/relying-party.ts';
import { startTestKeyward, type TestKeyward } from '../helpers/test-server.ts';
import { csrfTokenIn, locationOf, UserAgent } from '../helpers/user-agent.ts';

/**
 * Races through check-then-act: a burst of concurrent wrong passwords on one interaction must
 * not get more evaluations than the limit (the throttle counts before argon2 runs).
 */
describe('sign-in lockout under concurrency', () => {
  const LIMIT = 5;
  let keyward: TestKeyward;
  beforeAll(async () => {
    // argon2 at its production cost: the window between a check and a count is what a real
    // attacker gets (the cheap test cost hides it).
    keyward = await startTestKeyward({ env: { THROTTLE_SIGN_IN_PER_ACCOUNT: String(LIMIT), THROTTLE_SIGN_IN_PER_IP: '1000', ARGON2_MEMORY_KIB: '19456', ARGON2_TIME_COST: '2' } });
  });
  afterAll(async () => keyward?.stop());

  it(`evaluates at most ${LIMIT} of 60 concurrent attempts, a correct password among them included`, async () => {
    const agent = new UserAgent();
    const started = await startAuthorization(await discoverTestClient(keyward.issuer));
    const login = locationOf(await agent.get(started.url), keyward.issuer);
    const csrf = csrfTokenIn(await (await agent.get(login)).text());
    const post = (password: string) => agent.postForm(`${login}/login`, { _csrf: csrf, email: DEMO_ACCOUNT.email, password });
    const attempts = Array.from({ length: 60 }, (_, i) => post(i === 30 ? DEMO_ACCOUNT.password : `wrong password ${i}`));
    const statuses = (await Promise.all(attempts)).map((response) => response.status);
    const evaluated = statuses.filter((status) => status !== 429);
    expect(evaluated.length).toBeLessThanOrEqual(LIMIT);
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThanOrEqual(60 - LIMIT);
    const failures = await keyward.running.container.stores.audit.list({ event: 'sign_in', limit: 200 });
    expect(failures.filter((event) => event.outcome === 'failure' || event.outcome === 'success').length).toBeLessThanOrEqual(LIMIT);
  });
});
