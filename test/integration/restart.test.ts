import { afterAll, describe, expect, it } from '@jest/globals';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { DEMO_ACCOUNT } from '../../src/services/demo-data.service.ts';
import { grantAll, postAsClient, startTestKeyward, TEST_API, TEST_RESOURCE_SERVER, TEST_SERVICE_CLIENT, TEST_WEB_CLIENT, type TestKeyward } from '../helpers/test-server.ts';
import { completeCodeFlow, discoverTestClient, redeem, startAuthorization } from '../helpers/relying-party.ts';
import { UserAgent } from '../helpers/user-agent.ts';

/** Keys and cookie secrets live in the store, so tokens and sessions outlive a restart. */
describe('restart on the same store', () => {
  const running: TestKeyward[] = [];
  afterAll(async () => {
    for (const keyward of running) await keyward.stop();
  });

  it('keeps tokens valid, keys identical and the browser session signed in', async () => {
    const registry = { apis: [TEST_API], clients: [TEST_RESOURCE_SERVER, grantAll(TEST_SERVICE_CLIENT, TEST_API)] };
    const first = await startTestKeyward({ registry });
    running.push(first);
    const rp = await discoverTestClient(first.issuer);
    const agent = new UserAgent();
    const tokens = await completeCodeFlow(rp, { scope: 'openid email', agent });
    const apiToken = (await postAsClient(`${first.issuer}/token`, TEST_SERVICE_CLIENT, { grant_type: 'client_credentials', resource: TEST_API.identifier })).json;
    const jwksBefore = await (await fetch(`${first.issuer}/jwks`)).json();
    await first.stop();

    const second = await startTestKeyward({ databaseFile: first.databaseFile, port: first.port, registry });
    running.push(second);
    const rpAfter = await discoverTestClient(second.issuer);

    // Same published keys, and the ID token signed before the restart verifies against them.
    expect(await (await fetch(`${second.issuer}/jwks`)).json()).toEqual(jwksBefore);
    await expect(jwtVerify(tokens.id_token!, createRemoteJWKSet(new URL(`${second.issuer}/jwks`)), { issuer: second.issuer, audience: TEST_WEB_CLIENT.client_id })).resolves.toBeDefined();
    // The JWT access token issued before still verifies and introspects; the userinfo token still
    // reaches userinfo; the refresh token still works.
    const jwks = createRemoteJWKSet(new URL(`${second.issuer}/jwks`));
    await expect(jwtVerify(String(apiToken.access_token), jwks, { issuer: second.issuer, audience: TEST_API.identifier, typ: 'at+jwt' })).resolves.toBeDefined();
    const introspection = await postAsClient(`${second.issuer}/token/introspection`, TEST_RESOURCE_SERVER, { token: String(apiToken.access_token) });
    expect(introspection.json).toMatchObject({ active: true, client_id: TEST_SERVICE_CLIENT.client_id, aud: TEST_API.identifier });
    const sub = tokens.claims()!.sub;
    expect(await oidc.fetchUserInfo(rpAfter, tokens.access_token, sub)).toMatchObject({ sub, email: DEMO_ACCOUNT.email });
    expect((await oidc.refreshTokenGrant(rpAfter, tokens.refresh_token!)).access_token).toBeDefined();

    // The session cookie signed before the restart is still accepted: the authorization goes
    // straight back to the client with a code, no sign-in and no consent page.
    const again = await startAuthorization(rpAfter, 'openid email');
    const firstHop = await agent.get(again.url);
    expect(firstHop.status).toBe(303);
    const callback = new URL(firstHop.headers.get('location')!, second.issuer);
    expect(callback.origin + callback.pathname).toBe(TEST_WEB_CLIENT.redirect_uris[0]);
    expect((await redeem(rpAfter, again, callback)).claims()!.sub).toBe(sub);
  });
});
