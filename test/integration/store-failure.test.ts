import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestKeyward, TEST_WEB_CLIENT, type TestKeyward } from '../helpers/test-server.ts';
import { discoverTestClient, startAuthorization } from '../helpers/relying-party.ts';
import { locationOf, UserAgent } from '../helpers/user-agent.ts';

/** With the store gone: readiness says so, and unexpected errors stay generic for clients. */
describe('when the store is unavailable', () => {
  let keyward: TestKeyward;
  let agent: UserAgent;
  let interactionUrl: URL;

  beforeAll(async () => {
    keyward = await startTestKeyward();
    // An authorization request in flight, so the next page needs the store.
    const rp = await discoverTestClient(keyward.issuer);
    agent = new UserAgent();
    const authorizationUrl = (await startAuthorization(rp)).url;
    interactionUrl = locationOf(await agent.get(authorizationUrl), keyward.issuer);
    await keyward.running.container.stores.close();
  });
  afterAll(async () => keyward?.stop());

  it('answers /readyz with 503 while /healthz stays 200', async () => {
    const ready = await fetch(`${keyward.issuer}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'unavailable', reason: 'store unreachable' });
    expect((await fetch(`${keyward.issuer}/healthz`)).status).toBe(200);
  });

  it('answers an unexpected error on a Keyward page with a generic message and the request id, and logs it in full', async () => {
    const response = await agent.get(interactionUrl);
    const html = await response.text();
    const requestId = response.headers.get('x-request-id')!;
    expect(response.status).toBe(500);
    expect(html).toContain('Something went wrong on our side');
    expect(html).toContain(requestId);
    expect(html).not.toMatch(/database|sqlite|at .+\.ts:\d+/i);
    const logged = keyward.logs.lines().find((line) => line.reqId === requestId && line.msg === 'unexpected error');
    expect(logged).toMatchObject({ level: 50, err: { message: expect.any(String), stack: expect.any(String) } });
  });

  it('answers JSON clients with the same contract', async () => {
    const response = await agent.request(interactionUrl, { headers: { accept: 'application/json' } });
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ error: 'server_error', error_description: expect.stringContaining('Something went wrong'), request_id: response.headers.get('x-request-id') });
  });

  it('answers protocol endpoints with an RFC server_error body and no stack trace', async () => {
    const response = await fetch(`${keyward.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${TEST_WEB_CLIENT.client_id}:${TEST_WEB_CLIENT.client_secret}`).toString('base64')}` },
      body: 'grant_type=refresh_token&refresh_token=abc',
    });
    const text = await response.text();
    expect(response.status).toBe(500);
    expect(JSON.parse(text)).toMatchObject({ error: 'server_error' });
    expect(text).not.toMatch(/database|sqlite|at .+\.(ts|js):\d+/i);
  });
});
