import { afterAll, describe, expect, it } from '@jest/globals';
import { freePort, startTestKeyward, TEST_WEB_CLIENT, type TestKeyward } from '../helpers/test-server.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { completeCodeFlow, discoverTestClient } from '../helpers/relying-party.ts';

const basicAuth = `Basic ${Buffer.from(`${TEST_WEB_CLIENT.client_id}:${TEST_WEB_CLIENT.client_secret}`).toString('base64')}`;

/** Two Keyward instances behind one issuer, sharing one store, as replicas would. */
describe('two instances on one store', () => {
  const running: TestKeyward[] = [];
  afterAll(async () => {
    for (const keyward of running) await keyward.stop();
  });

  it('agree on keys and secrets generated at a simultaneous first start, and honour each other’s tokens', async () => {
    const databaseFile = `${tempDir()}/shared.sqlite`;
    const portA = await freePort();
    const issuer = `http://127.0.0.1:${portA}`;
    const [a, b] = await Promise.all([
      startTestKeyward({ databaseFile, port: portA, env: { ISSUER: issuer } }),
      startTestKeyward({ databaseFile, env: { ISSUER: issuer } }),
    ]);
    running.push(a!, b!);
    const atB = (path: string) => `http://127.0.0.1:${b!.port}${path}`;

    expect(await (await fetch(atB('/jwks'))).json()).toEqual(await (await fetch(`${issuer}/jwks`)).json());
    expect(b!.running.container.cookieSecrets).toEqual(a!.running.container.cookieSecrets);

    // Authorize and redeem the code on A, then use the tokens on B.
    const tokens = await completeCodeFlow(await discoverTestClient(issuer));

    const introspection = await fetch(atB('/token/introspection'), {
      method: 'POST',
      headers: { authorization: basicAuth, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: tokens.access_token }),
    });
    expect(await introspection.json()).toMatchObject({ active: true, client_id: TEST_WEB_CLIENT.client_id });

    const refreshed = await fetch(atB('/token'), {
      method: 'POST',
      headers: { authorization: basicAuth, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token! }),
    });
    expect(refreshed.status).toBe(200);
    expect(await refreshed.json()).toMatchObject({ access_token: expect.any(String), refresh_token: expect.any(String) });
  });
});
