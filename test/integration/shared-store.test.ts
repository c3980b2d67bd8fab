import { afterAll, describe, expect, it } from '@jest/globals';
import { freePort, grantAll, postAsClient, startTestKeyward, TEST_API, TEST_RESOURCE_SERVER, TEST_SERVICE_CLIENT, TEST_WEB_CLIENT, type TestKeyward } from '../helpers/test-server.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { completeCodeFlow, discoverTestClient } from '../helpers/relying-party.ts';

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
    const registry = { apis: [TEST_API], clients: [TEST_RESOURCE_SERVER, grantAll(TEST_SERVICE_CLIENT, TEST_API)] };
    const [a, b] = await Promise.all([
      startTestKeyward({ databaseFile, port: portA, env: { ISSUER: issuer }, registry }),
      startTestKeyward({ databaseFile, env: { ISSUER: issuer }, registry }),
    ]);
    running.push(a!, b!);
    const atB = (path: string) => `http://127.0.0.1:${b!.port}${path}`;

    expect(await (await fetch(atB('/jwks'))).json()).toEqual(await (await fetch(`${issuer}/jwks`)).json());
    expect(b!.running.container.cookieSecrets).toEqual(a!.running.container.cookieSecrets);

    // Authorize and redeem the code on A, then refresh on B; an API token from A introspects on B.
    const tokens = await completeCodeFlow(await discoverTestClient(issuer));
    const refreshed = await postAsClient(atB('/token'), TEST_WEB_CLIENT, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! });
    expect(refreshed.status).toBe(200);
    expect(refreshed.json).toMatchObject({ access_token: expect.any(String), refresh_token: expect.any(String) });

    const apiToken = await postAsClient(`${issuer}/token`, TEST_SERVICE_CLIENT, { grant_type: 'client_credentials', resource: TEST_API.identifier });
    const introspection = await postAsClient(atB('/token/introspection'), TEST_RESOURCE_SERVER, { token: String(apiToken.json.access_token) });
    expect(introspection.json).toMatchObject({ active: true, client_id: TEST_SERVICE_CLIENT.client_id });
  });
});
