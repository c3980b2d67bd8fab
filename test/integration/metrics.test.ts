import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { backendsForTests } from '../helpers/backends.ts';
import { completeCodeFlow, discoverTestClient, startAuthorization } from '../helpers/relying-party.ts';
import { freePort, postAsClient, startTestKeyward, TEST_SERVICE_CLIENT, TEST_WEB_CLIENT, type TestKeyward } from '../helpers/test-server.ts';
import { csrfTokenIn, locationOf, UserAgent } from '../helpers/user-agent.ts';

const TOKEN = 'metrics-token-0123456789abcdef0123456789';

/** The value of one sample in Prometheus text format (0 when absent). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const [series = '', value = '0'] = line.split(/ (?=[^ ]+$)/);
    const seriesName = series.split('{')[0];
    if (seriesName === name && wanted.every((label) => series.includes(label))) return Number(value);
  }
  return 0;
}

describe.each(backendsForTests())('metrics on %s', (_name, backend) => {
  beforeAll(() => backend.start());
  afterAll(() => backend.stop());

  describe('behind a token on the main port', () => {
    let keyward: TestKeyward;
    const read = async () => (await fetch(`${keyward.issuer}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();

    beforeAll(async () => {
      keyward = await startTestKeyward({
        env: { ...(await backend.freshDatabase()), METRICS_ENABLED: 'true', METRICS_TOKEN: TOKEN, THROTTLE_SIGN_IN_PER_ACCOUNT: '2', REFRESH_TOKEN_REUSE_GRACE_SECONDS: '0' },
        registry: { clients: [TEST_SERVICE_CLIENT] },
      });
    });
    afterAll(async () => keyward?.stop());

    it('cannot be read without the token, or with a wrong one', async () => {
      const none = await fetch(`${keyward.issuer}/metrics`);
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
      expect((await fetch(`${keyward.issuer}/metrics`, { headers: { authorization: `Bearer ${TOKEN}x` } })).status).toBe(401);
      const ok = await fetch(`${keyward.issuer}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(ok.status).toBe(200);
      expect(ok.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(await ok.text()).toMatch(/process_resident_memory_bytes \d+/);
    });

    it('counts issued tokens by grant type and times requests by route', async () => {
      const before = await read();
      await postAsClient(`${keyward.issuer}/token`, TEST_SERVICE_CLIENT, { grant_type: 'client_credentials' });
      await fetch(`${keyward.issuer}/healthz`);
      const after = await read();
      expect(sample(after, 'keyward_tokens_issued_total', { grant_type: 'client_credentials' })).toBe(sample(before, 'keyward_tokens_issued_total', { grant_type: 'client_credentials' }) + 1);
      expect(sample(after, 'keyward_http_request_duration_seconds_count', { route: '/token', status: '200' })).toBeGreaterThan(0);
      expect(sample(after, 'keyward_http_request_duration_seconds_count', { route: '/healthz' })).toBeGreaterThan(0);
      expect(after).not.toMatch(/route="\/interaction\/[A-Za-z0-9_-]{20,}/);
      expect(sample(after, 'keyward_store_operation_duration_seconds_count', { store: 'oidcRecords', operation: 'upsert' })).toBeGreaterThan(0);
    });

    it('counts sign-in successes and failures, lockouts and refresh-token reuse', async () => {
      const before = await read();
      const rp = await discoverTestClient(keyward.issuer);
      const tokens = await completeCodeFlow(rp);
      const agent = new UserAgent();
      const loginUrl = locationOf(await agent.get((await startAuthorization(rp)).url), keyward.issuer);
      for (let attempt = 0; attempt < 2; attempt += 1) {
        const csrf = csrfTokenIn(await (await agent.get(loginUrl)).text());
        await agent.postForm(`${loginUrl}/login`, { _csrf: csrf, email: 'someone@example.com', password: 'wrong password' });
      }
      await postAsClient(`${keyward.issuer}/token`, TEST_WEB_CLIENT, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! });
      await postAsClient(`${keyward.issuer}/token`, TEST_WEB_CLIENT, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! });
      const after = await read();
      const delta = (name: string, labels: Record<string, string> = {}) => sample(after, name, labels) - sample(before, name, labels);
      expect(delta('keyward_sign_ins_total', { outcome: 'success' })).toBe(1);
      expect(delta('keyward_sign_ins_total', { outcome: 'failure' })).toBe(2);
      expect(delta('keyward_lockouts_total')).toBe(1);
      expect(delta('keyward_token_reuse_detected_total', { kind: 'refresh_token' })).toBe(1);
      expect(delta('keyward_tokens_issued_total', { grant_type: 'refresh_token' })).toBe(1);
    });
  });

  describe('on a separate port', () => {
    let keyward: TestKeyward;
    let metricsPort: number;
    beforeAll(async () => {
      metricsPort = await freePort();
      keyward = await startTestKeyward({ env: { ...(await backend.freshDatabase()), METRICS_ENABLED: 'true', METRICS_PORT: String(metricsPort) } });
    });
    afterAll(async () => keyward?.stop());

    it('serves /metrics there and not on the main port', async () => {
      expect(keyward.running.metricsPort).toBe(metricsPort);
      expect((await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).status).toBe(200);
      expect((await fetch(`${keyward.issuer}/metrics`)).status).toBe(404);
    });
  });

  describe('disabled (the default)', () => {
    let keyward: TestKeyward;
    beforeAll(async () => {
      keyward = await startTestKeyward({ env: await backend.freshDatabase() });
    });
    afterAll(async () => keyward?.stop());

    it('serves no /metrics at all', async () => {
      expect((await fetch(`${keyward.issuer}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404);
    });
  });
});
