import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { DEMO_ACCOUNT } from '../../src/services/demo-data.service.ts';
import { startTestKeyward, TEST_WEB_CLIENT, type TestKeyward } from '../helpers/test-server.ts';
import { completeCodeFlow, discoverTestClient, signOut, startAuthorization } from '../helpers/relying-party.ts';
import { locationOf, UserAgent } from '../helpers/user-agent.ts';

/** The relying party is openid-client, the library apps actually use; the login is driven over HTTP. */
describe('authorization code flow with PKCE (openid-client as the relying party)', () => {
  let keyward: TestKeyward;
  let rp: oidc.Configuration;
  let tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;

  beforeAll(async () => {
    // No reuse grace here: a rotated refresh token presented again is refused at once.
    keyward = await startTestKeyward({ env: { REFRESH_TOKEN_REUSE_GRACE_SECONDS: '0' } });
    rp = await discoverTestClient(keyward.issuer);
    tokens = await completeCodeFlow(rp, { scope: 'openid email profile' });
  });

  afterAll(async () => {
    await keyward?.stop();
  });

  it('serves discovery with every endpoint of the protocol surface', () => {
    const metadata = rp.serverMetadata();
    expect(metadata.issuer).toBe(keyward.issuer);
    for (const endpoint of ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'jwks_uri', 'revocation_endpoint', 'introspection_endpoint', 'end_session_endpoint'] as const) {
      expect(metadata[endpoint]).toMatch(new RegExp(`^${keyward.issuer}/`));
    }
    expect(metadata.code_challenge_methods_supported).toEqual(['S256']);
  });

  it('issues an RS256 ID token that verifies against the JWKS', async () => {
    expect(tokens.id_token).toBeDefined();
    const account = await keyward.running.container.stores.accounts.findByEmail(DEMO_ACCOUNT.email);
    const jwks = createRemoteJWKSet(new URL(`${keyward.issuer}/jwks`));
    const { payload, protectedHeader } = await jwtVerify(tokens.id_token!, jwks, { issuer: keyward.issuer, audience: TEST_WEB_CLIENT.client_id });
    expect(protectedHeader.alg).toBe('RS256');
    expect(payload.sub).toBe(account!.id);
    expect(tokens.claims()?.sub).toBe(account!.id);
  });

  it('answers userinfo with the claims the scopes allow', async () => {
    const account = await keyward.running.container.stores.accounts.findByEmail(DEMO_ACCOUNT.email);
    const userinfo = await oidc.fetchUserInfo(rp, tokens.access_token, account!.id);
    expect(userinfo).toMatchObject({ sub: account!.id, email: DEMO_ACCOUNT.email, email_verified: true, name: DEMO_ACCOUNT.name });
  });

  it('refuses introspection to a client that is not a resource server, whatever the token', async () => {
    await expect(oidc.tokenIntrospection(rp, tokens.access_token)).rejects.toMatchObject({ error: 'unauthorized_client' });
    await expect(oidc.tokenIntrospection(rp, 'not-a-token')).rejects.toMatchObject({ error: 'unauthorized_client' });
  });

  it('rotates the refresh token and refuses the rotated one', async () => {
    expect(tokens.refresh_token).toBeDefined();
    const refreshed = await oidc.refreshTokenGrant(rp, tokens.refresh_token!);
    expect(refreshed.access_token).not.toBe(tokens.access_token);
    expect(refreshed.refresh_token).toBeDefined();
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    await expect(oidc.refreshTokenGrant(rp, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('lets exactly one of racing uses of a refresh token rotate it, and revokes the family (no grace window)', async () => {
    const flow = await completeCodeFlow(rp);
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => oidc.refreshTokenGrant(rp, flow.refresh_token!)));
    const rotated = results.filter((r): r is PromiseFulfilledResult<Awaited<ReturnType<typeof oidc.refreshTokenGrant>>> => r.status === 'fulfilled');
    expect(rotated).toHaveLength(1);
    await expect(oidc.refreshTokenGrant(rp, rotated[0]!.value.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect(keyward.logs.lines().some((l) => l.securityEvent === 'refresh_token_reuse')).toBe(true);
  });

  it('revokes a refresh token, ending its grant', async () => {
    const fresh = await completeCodeFlow(rp);
    await oidc.tokenRevocation(rp, fresh.refresh_token!);
    await expect(oidc.refreshTokenGrant(rp, fresh.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(oidc.fetchUserInfo(rp, fresh.access_token, fresh.claims()!.sub)).rejects.toThrow();
  });

  it('ends the session through RP-initiated logout with a confirmation page', async () => {
    const agent = new UserAgent();
    const session = await completeCodeFlow(rp, { agent });
    const page = await agent.get(oidc.buildEndSessionUrl(rp, { id_token_hint: session.id_token! }));
    expect(await page.text()).toContain(TEST_WEB_CLIENT.client_name);
    const confirmed = await signOut(agent, rp, session.id_token!, TEST_WEB_CLIENT.post_logout_redirect_uris[0]);
    expect(confirmed.status).toBe(303);
    expect(confirmed.headers.get('location')).toBe(`${TEST_WEB_CLIENT.post_logout_redirect_uris[0]}?state=bye`);
    // Signed out: a new authorization asks for the password again.
    const started = await startAuthorization(rp);
    const login = locationOf(await agent.get(started.url), keyward.issuer);
    expect(await (await agent.get(login)).text()).toContain('/login"');
  });

  it('never serves a private key part in the JWKS', async () => {
    const jwks = (await (await fetch(`${keyward.issuer}/jwks`)).json()) as { keys: Record<string, unknown>[] };
    // A current and a next key per algorithm (staged rotation).
    expect(jwks.keys.map((k) => k.alg).sort()).toEqual(['ES256', 'ES256', 'EdDSA', 'EdDSA', 'RS256', 'RS256']);
    for (const key of jwks.keys) for (const part of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(key).not.toHaveProperty(part);
    const stored = await keyward.running.container.stores.signingKeys.list();
    const currentRsa = stored.find((k) => k.alg === 'RS256' && k.state === 'current')!;
    expect(decodeProtectedHeader(tokens.id_token!).kid).toBe(currentRsa.kid);
  });
});
