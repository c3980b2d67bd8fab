import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { FakeClock } from '../helpers/fake-clock.ts';
import { postAsClient, startTestKeyward, TEST_API, TEST_RESOURCE_SERVER, TEST_SERVICE_CLIENT, type TestKeyward } from '../helpers/test-server.ts';

const PER_CLIENT = 3;
const PER_IP = 6;
const WINDOW_SECONDS = 60;
const OTHER_SERVICE = { client_id: 'other-job', kind: 'service', client_secret: 'other-job-secret-0123456789abcdef0123456789' } as const;
const THIRD_SERVICE = { client_id: 'third-job', kind: 'service', client_secret: 'third-job-secret-0123456789abcdef0123456789' } as const;
const THROTTLED = { error: 'invalid_client', error_description: 'too many failed attempts, retry later' };

type Client = { client_id: string; client_secret: string };
const wrong = (client: Client, n: number) => ({ client_id: client.client_id, client_secret: `wrong-secret-${n}-0123456789abcdef0123456789` });

/**
 * Guessing client secrets at the endpoints that authenticate clients is limited per client and
 * per IP (RFC 6749 §10.10, RFC 9700 §4.15), with counters in the store and Keyward's clock
 * moved by the test instead of waiting for windows to pass.
 */
describe('failed client authentication is throttled', () => {
  let keyward: TestKeyward;
  const clock = new FakeClock(Date.now());
  const token = (client: Client) => postAsClient(`${keyward.issuer}/token`, client, { grant_type: 'client_credentials' });

  beforeAll(async () => {
    keyward = await startTestKeyward({
      clock,
      env: { THROTTLE_CLIENT_AUTH_PER_CLIENT: String(PER_CLIENT), THROTTLE_CLIENT_AUTH_PER_IP: String(PER_IP), THROTTLE_CLIENT_AUTH_WINDOW_SECONDS: String(WINDOW_SECONDS) },
      registry: { apis: [TEST_API], clients: [TEST_SERVICE_CLIENT, OTHER_SERVICE, THIRD_SERVICE, TEST_RESOURCE_SERVER] },
    });
  });
  afterAll(async () => keyward?.stop());
  // Every test starts in fresh windows.
  beforeEach(() => clock.advance(2 * WINDOW_SECONDS * 1000));

  it('answers 429 with Retry-After past the limit, then refuses even the right secret until the window passes', async () => {
    for (let n = 0; n < PER_CLIENT; n += 1) {
      const response = await token(wrong(TEST_SERVICE_CLIENT, n));
      expect({ status: response.status, error: response.json.error }).toEqual({ status: 401, error: 'invalid_client' });
    }
    const over = await token(wrong(TEST_SERVICE_CLIENT, 99));
    expect(over.status).toBe(429);
    expect(over.json).toEqual(THROTTLED);
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(over.headers.get('retry-after'))).toBeLessThanOrEqual(WINDOW_SECONDS);

    const right = await token(TEST_SERVICE_CLIENT);
    expect(right.status).toBe(429);
    expect(right.json).toEqual(THROTTLED);
    expect(keyward.logs.lines().some((line) => line.module === 'client-auth' && line.clientId === TEST_SERVICE_CLIENT.client_id)).toBe(true);

    // Another client from the same address is unaffected.
    expect((await token(OTHER_SERVICE)).status).toBe(200);

    clock.advance(WINDOW_SECONDS * 1000 + 1000);
    expect((await token(TEST_SERVICE_CLIENT)).status).toBe(200);
  });

  it('counts the same client at introspection and revocation, with the same answer', async () => {
    const endpoints = ['/token/introspection', '/token/revocation', '/token/introspection'];
    for (const [n, path] of endpoints.entries()) {
      expect((await postAsClient(`${keyward.issuer}${path}`, wrong(TEST_RESOURCE_SERVER, n), { token: 'x' })).status).toBe(401);
    }
    const right = await postAsClient(`${keyward.issuer}/token/introspection`, TEST_RESOURCE_SERVER, { token: 'x' });
    expect(right.status).toBe(429);
    expect(right.json).toEqual(THROTTLED);
    // A client that may not introspect learns that only once authenticated: before, invalid_client like any other.
    for (let n = 0; n < PER_CLIENT; n += 1) {
      expect((await postAsClient(`${keyward.issuer}/token/introspection`, wrong(OTHER_SERVICE, n), { token: 'x' })).json.error).toBe('invalid_client');
    }
    const over = await postAsClient(`${keyward.issuer}/token/introspection`, OTHER_SERVICE, { token: 'x' });
    expect({ status: over.status, body: over.json }).toEqual({ status: 429, body: THROTTLED });
  });

  it('limits one address across clients', async () => {
    const clients = [TEST_SERVICE_CLIENT, OTHER_SERVICE, THIRD_SERVICE];
    for (let n = 0; n < PER_IP; n += 1) expect((await token(wrong(clients[n % clients.length]!, n))).status).toBe(401);
    // Each client is under its own limit, but the address is not.
    const right = await token(OTHER_SERVICE);
    expect(right.status).toBe(429);
    expect(right.json).toEqual(THROTTLED);
  });

  it('tells a burst of concurrent guesses apart no more than the limit allows', async () => {
    const guesses = Array.from({ length: 20 }, (_, n) => token(wrong(THIRD_SERVICE, n)));
    const answers = await Promise.all([...guesses.slice(0, 10), token(THIRD_SERVICE), ...guesses.slice(10)]);
    const statuses = answers.map((answer) => answer.status);
    // At most PER_CLIENT wrong guesses learn "wrong"; the rest, right secret included, look alike.
    expect(statuses.filter((status) => status === 401).length).toBeLessThanOrEqual(PER_CLIENT);
    expect(statuses.filter((status) => status === 401 || status === 200).length).toBeLessThanOrEqual(PER_CLIENT + 1);
    for (const answer of answers.filter((a) => a.status === 429)) expect(answer.json).toEqual(THROTTLED);
  });
});
