import { once } from 'node:events';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createResourceServer } from '../../examples/resource-server/resource-server.ts';
import { completeCodeFlow, discoverTestClient } from '../helpers/relying-party.ts';
import { postAsClient, startTestKeyward, TEST_API, TEST_SERVICE_CLIENT, type TestKeyward } from '../helpers/test-server.ts';
import { REPORTS_API, REPORTS_RESOURCE_SERVER, TOKEN_REGISTRY } from '../helpers/token-fixtures.ts';

/** The example API in examples/ accepts Keyward's tokens as an API team would use it. */
describe('example resource server', () => {
  let keyward: TestKeyward;
  const servers: Server[] = [];
  let ordersUrl: string;
  let reportsUrl: string;

  const listen = async (app: ReturnType<typeof createResourceServer>) => {
    const server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    servers.push(server);
    return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  };

  beforeAll(async () => {
    keyward = await startTestKeyward({ registry: TOKEN_REGISTRY });
    ordersUrl = await listen(createResourceServer({ issuer: keyward.issuer, audience: TEST_API.identifier }));
    reportsUrl = await listen(createResourceServer({
      issuer: keyward.issuer,
      audience: REPORTS_API.identifier,
      introspection: { clientId: REPORTS_RESOURCE_SERVER.client_id, clientSecret: REPORTS_RESOURCE_SERVER.client_secret },
    }));
  });
  afterAll(async () => {
    for (const server of servers) server.close();
    await keyward?.stop();
  });

  const call = (url: string, token?: string) => fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });

  it('accepts a JWT access token for its audience and scope, verified against the JWKS', async () => {
    const tokens = await completeCodeFlow(await discoverTestClient(keyward.issuer), { scope: 'openid orders:read' });
    const response = await call(`${ordersUrl}/orders`, tokens.access_token);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ orders: [], for: tokens.claims()!.sub, client: 'test-web' });
  });

  it('accepts an opaque token through introspection', async () => {
    const tokens = await completeCodeFlow(await discoverTestClient(keyward.issuer), { scope: 'openid reports:read', extra: { resource: REPORTS_API.identifier } });
    expect((await call(`${reportsUrl}/reports`, tokens.access_token)).status).toBe(200);
  });

  it('answers 401 without a token, for a forged one and for another audience’s, and 403 without the scope', async () => {
    expect((await call(`${ordersUrl}/orders`)).status).toBe(401);
    expect((await call(`${ordersUrl}/orders`, 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln')).status).toBe(401);
    const serviceToken = String((await postAsClient(`${keyward.issuer}/token`, TEST_SERVICE_CLIENT, { grant_type: 'client_credentials', resource: TEST_API.identifier })).json.access_token);
    expect((await call(`${reportsUrl}/reports`, serviceToken)).status).toBe(401);
    const noScope = await call(`${ordersUrl}/orders`, serviceToken);
    expect(noScope.status).toBe(403);
    expect(noScope.headers.get('www-authenticate')).toBe('Bearer error="insufficient_scope", scope="orders:read"');
  });
});
