import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { discoverTestClient, startAuthorization } from '../helpers/relying-party.ts';
import { startTestKeyward, TEST_WEB_CLIENT, type TestKeyward } from '../helpers/test-server.ts';
import { locationOf, UserAgent } from '../helpers/user-agent.ts';

/** An authorization request in flight, so the next page needs the store. */
async function pendingSignIn(keyward: TestKeyward) {
  const rp = await discoverTestClient(keyward.issuer);
  const agent = new UserAgent();
  const interactionUrl = locationOf(await agent.get((await startAuthorization(rp)).url), keyward.issuer);
  return { agent, interactionUrl };
}

describe('when the store is unavailable', () => {
  let keyward: TestKeyward;
  let agent: UserAgent;
  let interactionUrl: URL;

  beforeAll(async () => {
    keyward = await startTestKeyward();
    ({ agent, interactionUrl } = await pendingSignIn(keyward));
    await keyward.running.container.stores.close();
  });
  afterAll(async () => keyward?.stop());

  it('answers /readyz with 503 while /healthz stays 200', async () => {
    const ready = await fetch(`${keyward.issuer}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'unavailable', reason: 'store unreachable' });
    expect((await fetch(`${keyward.issuer}/healthz`)).status).toBe(200);
  });

  it('answers Keyward pages with 503, a clear message, Retry-After and the request id', async () => {
    const response = await agent.get(interactionUrl);
    const html = await response.text();
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    expect(html).toContain('temporarily unavailable');
    expect(html).toContain(response.headers.get('x-request-id')!);
    expect(html).not.toMatch(/database|sqlite|at .+\.ts:\d+/i);
  });

  it('answers JSON clients with the same contract', async () => {
    const response = await agent.request(interactionUrl, { headers: { accept: 'application/json' } });
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ error: 'temporarily_unavailable', error_description: expect.stringContaining('temporarily unavailable'), request_id: response.headers.get('x-request-id') });
  });

  it('answers protocol endpoints with 503 temporarily_unavailable and no stack trace', async () => {
    const response = await fetch(`${keyward.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${TEST_WEB_CLIENT.client_id}:${TEST_WEB_CLIENT.client_secret}`).toString('base64')}` },
      body: 'grant_type=refresh_token&refresh_token=abc',
    });
    const text = await response.text();
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    expect(JSON.parse(text)).toMatchObject({ error: 'temporarily_unavailable' });
    expect(text).not.toMatch(/database|sqlite|at .+\.(ts|js):\d+/i);
  });
});

describe('when something unexpected fails', () => {
  let keyward: TestKeyward;
  beforeAll(async () => {
    keyward = await startTestKeyward();
  });
  afterAll(async () => keyward?.stop());

  it('answers with a generic message and the request id, and logs the error in full', async () => {
    const { agent, interactionUrl } = await pendingSignIn(keyward);
    const interactions = keyward.running.container.interactions as { load: unknown };
    const original = interactions.load;
    interactions.load = async () => {
      throw new Error('an internal detail that must not leak');
    };
    try {
      const response = await agent.get(interactionUrl);
      const html = await response.text();
      const requestId = response.headers.get('x-request-id')!;
      expect(response.status).toBe(500);
      expect(html).toContain('Something went wrong on our side');
      expect(html).toContain(requestId);
      expect(html).not.toContain('internal detail');
      const logged = keyward.logs.lines().find((line) => line.reqId === requestId && line.msg === 'unexpected error');
      expect(logged).toMatchObject({ level: 50, err: { message: 'an internal detail that must not leak', stack: expect.any(String) } });
    } finally {
      interactions.load = original;
    }
  });
});
