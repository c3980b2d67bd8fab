import { afterAll, describe, expect, it } from '@jest/globals';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { DEMO_ACCOUNT } from '../../src/services/demo-data.service.ts';
import { startTestKeyward, TEST_WEB_CLIENT, type TestKeyward } from '../helpers/test-server.ts';
import { signInAndConsent, UserAgent } from '../helpers/user-agent.ts';

/** Keys and cookie secrets live in the store, so tokens and sessions outlive a restart. */
describe('restart on the same store', () => {
  const running: TestKeyward[] = [];
  afterAll(async () => {
    for (const keyward of running) await keyward.stop();
  });

  const discover = (issuer: string) =>
    oidc.discovery(new URL(issuer), TEST_WEB_CLIENT.client_id, TEST_WEB_CLIENT.client_secret, undefined, { execute: [oidc.allowInsecureRequests] });

  it('keeps tokens valid, keys identical and the browser session signed in', async () => {
    const first = await startTestKeyward();
    running.push(first);
    const rp = await discover(first.issuer);
    const agent = new UserAgent();
    const authorize = async () => {
      const verifier = oidc.randomPKCECodeVerifier();
      const url = oidc.buildAuthorizationUrl(rp, {
        redirect_uri: TEST_WEB_CLIENT.redirect_uris[0],
        scope: 'openid email',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      });
      return { url, verifier };
    };
    const before = await authorize();
    const tokens = await oidc.authorizationCodeGrant(rp, await signInAndConsent(agent, before.url, DEMO_ACCOUNT), { pkceCodeVerifier: before.verifier });
    const jwksBefore = await (await fetch(`${first.issuer}/jwks`)).json();
    await first.stop();

    const second = await startTestKeyward({ databaseFile: first.databaseFile, port: first.port });
    running.push(second);
    const rpAfter = await discover(second.issuer);

    // Same published keys, and the ID token signed before the restart verifies against them.
    expect(await (await fetch(`${second.issuer}/jwks`)).json()).toEqual(jwksBefore);
    await expect(jwtVerify(tokens.id_token!, createRemoteJWKSet(new URL(`${second.issuer}/jwks`)), { issuer: second.issuer, audience: TEST_WEB_CLIENT.client_id })).resolves.toBeDefined();
    // The access token issued before still introspects and reaches userinfo; the refresh token still works.
    expect(await oidc.tokenIntrospection(rpAfter, tokens.access_token)).toMatchObject({ active: true });
    const sub = tokens.claims()!.sub;
    expect(await oidc.fetchUserInfo(rpAfter, tokens.access_token, sub)).toMatchObject({ sub, email: DEMO_ACCOUNT.email });
    expect((await oidc.refreshTokenGrant(rpAfter, tokens.refresh_token!)).access_token).toBeDefined();

    // The session cookie signed before the restart is still accepted: the authorization goes
    // straight back to the client with a code, no sign-in and no consent page.
    const again = await authorize();
    const firstHop = await agent.get(again.url);
    expect(firstHop.status).toBe(303);
    const callback = new URL(firstHop.headers.get('location')!, second.issuer);
    expect(callback.origin + callback.pathname).toBe(TEST_WEB_CLIENT.redirect_uris[0]);
    const code = await oidc.authorizationCodeGrant(rpAfter, callback, { pkceCodeVerifier: again.verifier });
    expect(code.claims()!.sub).toBe(sub);
  });
});
