import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type * as oidc from 'openid-client';
import { DEMO_ACCOUNT } from '../../src/services/demo-data.service.ts';
import { backendsForTests } from '../helpers/backends.ts';
import { completeCodeFlow, discoverTestClient, startAuthorization } from '../helpers/relying-party.ts';
import { postAsClient, startTestKeyward, TEST_WEB_CLIENT, type TestKeyward } from '../helpers/test-server.ts';
import { csrfTokenIn, signInAndConsent, UserAgent } from '../helpers/user-agent.ts';

/**
 * The same races on both backends: SQLite, and MongoDB — the wire emulator started here (a smoke
 * run: it executes one command at a time, so it shows the conditional updates decide, not that
 * they hold under real parallelism), or the real replica set in MONGODB_URI (the proof).
 */
describe.each(backendsForTests())('races on %s', (_backend, backend) => {
  let keyward: TestKeyward;
  let rp: oidc.Configuration;

  beforeAll(async () => {
    await backend.start();
    keyward = await startTestKeyward({ env: { ...(await backend.freshDatabase()), REFRESH_TOKEN_REUSE_GRACE_SECONDS: '0', THROTTLE_REQUESTS_PER_EMAIL: '1000', THROTTLE_REQUESTS_PER_IP: '100000' } });
    rp = await discoverTestClient(keyward.issuer);
  });
  afterAll(async () => {
    await keyward?.stop();
    await backend.stop();
  });

  const token = (form: Record<string, string>) => postAsClient(`${keyward.issuer}/token`, TEST_WEB_CLIENT, form);

  it('200 concurrent redemptions of one authorization code: exactly one succeeds', async () => {
    const started = await startAuthorization(rp);
    const code = (await signInAndConsent(new UserAgent(), started.url, DEMO_ACCOUNT)).searchParams.get('code')!;
    const results = await Promise.all(Array.from({ length: 200 }, () => token({ grant_type: 'authorization_code', code, redirect_uri: TEST_WEB_CLIENT.redirect_uris[0], code_verifier: started.verifier })));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.json.error === 'invalid_grant')).toHaveLength(199);
  });

  it('200 concurrent uses of one refresh token (no grace): at most one new family member, the rest refused, the family revoked', async () => {
    const flow = await completeCodeFlow(rp);
    const results = await Promise.all(Array.from({ length: 200 }, () => token({ grant_type: 'refresh_token', refresh_token: flow.refresh_token! })));
    const rotated = results.filter((r) => r.status === 200);
    expect(rotated.length).toBeLessThanOrEqual(1);
    expect(results.filter((r) => r.json.error === 'invalid_grant')).toHaveLength(200 - rotated.length);
    // Reuse was detected, so whatever was issued in the race is revoked with the family.
    for (const member of rotated) expect((await token({ grant_type: 'refresh_token', refresh_token: String(member.json.refresh_token) })).json.error).toBe('invalid_grant');
  });

  it('100 concurrent registrations of one email: exactly one account', async () => {
    const agents = await Promise.all(Array.from({ length: 100 }, async () => {
      const agent = new UserAgent();
      return { agent, csrf: csrfTokenIn(await (await agent.get(`${keyward.issuer}/register`)).text()) };
    }));
    const answers = await Promise.all(agents.map(({ agent, csrf }) => agent.postForm(`${keyward.issuer}/register`, { _csrf: csrf, email: 'Same.Person@Example.com', password: 'a perfectly fine passphrase' })));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    const created = (await keyward.running.container.stores.audit.list({ event: 'registration', limit: 500 })).filter((e) => e.outcome === 'success');
    expect(created).toHaveLength(1);
    expect(await keyward.running.container.stores.accounts.findByEmail('same.person@example.com')).toBeDefined();
  });
});
