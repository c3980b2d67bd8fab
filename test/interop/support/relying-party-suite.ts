import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { DEMO_ACCOUNT } from '../../../src/services/demo-data.service.ts';
import { postAsClient, type TestKeyward } from '../../helpers/test-server.ts';
import { signInAndConsent, UserAgent } from '../../helpers/user-agent.ts';
import { defaultApi, exampleClient, exampleRegistry, interopSecret, startKeywardWith, type ExampleRegistry } from './example-registry.ts';

type Claims = Record<string, unknown>;

/** What a library reports once it has signed in, read UserInfo and refreshed. */
export interface SignedIn {
  /** The ID token claims after the library validated the ID token (signature too, where it can). */
  idTokenClaims: Claims;
  userinfo: Claims;
  accessToken: string;
  refreshToken: string;
  /** The scope the token response stated (absent when the library does not expose it). */
  scope?: string;
  refreshed: { accessToken: string; refreshToken: string };
}

/** What a library reports once it has revoked the refresh token. */
export interface Revoked {
  /** The error (OAuth `error` code, or the library's message) of a refresh with the revoked token. */
  refreshAfterRevocation: string;
}

export interface RelyingPartyContext {
  issuer: string;
  clientId: string;
  clientSecret?: string;
  redirectUri: string;
  scope: string;
}

/** One relying-party library driven through a sign-in: in-process, or a script in another language. */
export interface RelyingPartyDriver {
  /** Builds the authorization request (PKCE S256, state and nonce, as the library does them). */
  start(): Promise<URL>;
  /** Redeems the code in the callback, validates the ID token, reads UserInfo and refreshes. */
  finish(callback: URL): Promise<SignedIn>;
  /** Revokes the refresh token (which ends the grant) and tries to refresh with it. */
  revoke(): Promise<Revoked>;
  close?(): Promise<void>;
}

export interface RelyingPartySuite {
  /** The library, with its version, as the test names it. */
  library: string;
  /** The example client the library signs in as: the `public` or the `web` one. */
  kind: 'public' | 'web';
  /** Origin of the loopback redirect URIs (the example's paths are kept). */
  rpOrigin?: string | (() => Promise<string>);
  /**
   * Extra clients derived from the example one, for a library that cannot do what the example
   * client requires (e.g. PKCE); `client` is then the one the library uses.
   */
  deriveClient?: (example: ExampleRegistry['clients'][number]) => ExampleRegistry['clients'][number];
  /** Runs before Keyward starts (tool checks, builds). */
  prepare?: () => Promise<void>;
  makeDriver(context: RelyingPartyContext): RelyingPartyDriver | Promise<RelyingPartyDriver>;
  /** Extra checks on what the library reported. */
  extraChecks?: (signedIn: SignedIn) => void;
}

/** The scope every library asks for: OpenID scopes plus the first scope the example grants it on the default API. */
export function interopScope(registry: ExampleRegistry, clientKind: string): string {
  const api = defaultApi(registry);
  const granted = exampleClient(registry, clientKind).api_scopes?.[api.identifier] ?? [];
  return ['openid', 'email', 'profile', ...granted.slice(0, 1)].join(' ');
}

/**
 * The interop scenario for one library, against Keyward running the example configuration:
 * sign-in through the real pages, ID token validation, UserInfo, the default API's resource server
 * (JWT verified against /jwks, introspection as the example's resource_server client), refresh
 * with rotation, revocation.
 */
export function describeRelyingParty(suite: RelyingPartySuite): void {
  describe(`${suite.library} signs in to Keyward running config/clients.example.json`, () => {
    let keyward: TestKeyward;
    let registry: ExampleRegistry;
    let context: RelyingPartyContext;
    let driver: RelyingPartyDriver;
    let signedIn: SignedIn | undefined;
    const state: { revoked?: Revoked } = {};

    beforeAll(async () => {
      await suite.prepare?.();
      const rpOrigin = typeof suite.rpOrigin === 'function' ? await suite.rpOrigin() : (suite.rpOrigin ?? 'http://127.0.0.1:9');
      const example = exampleRegistry(rpOrigin);
      let client = exampleClient(example, suite.kind);
      registry = example;
      if (suite.deriveClient) {
        client = suite.deriveClient(client);
        registry = exampleRegistry(rpOrigin, [client]);
      }
      keyward = await startKeywardWith(registry);
      context = {
        issuer: keyward.issuer,
        clientId: client.client_id,
        ...(client.client_secret ? { clientSecret: client.client_secret } : {}),
        redirectUri: client.redirect_uris![0]!,
        scope: interopScope(registry, suite.kind),
      };
      driver = await suite.makeDriver(context);
    }, 120_000);
    afterAll(async () => {
      await driver?.close?.();
      await keyward?.stop();
    });

    const api = () => defaultApi(registry);
    const resourceServer = () => {
      const client = exampleClient(registry, 'resource_server');
      return { client_id: client.client_id, client_secret: interopSecret(client.client_id) };
    };
    const introspect = async (token: string) =>
      (await postAsClient(`${keyward.issuer}/token/introspection`, resourceServer(), { token })).json;
    const userinfo = (token: string) => fetch(`${keyward.issuer}/me`, { headers: { authorization: `Bearer ${token}` } });
    const signed = () => {
      if (!signedIn) throw new Error('the sign-in did not complete (see the first failure)');
      return signedIn;
    };

    it('signs in through the hosted pages and validates the ID token', async () => {
      const url = await driver.start();
      expect(`${url.origin}${url.pathname}`).toBe(`${keyward.issuer}/auth`);
      expect(url.searchParams.get('client_id')).toBe(context.clientId);
      const callback = await signInAndConsent(new UserAgent(), url, DEMO_ACCOUNT);
      expect(Object.fromEntries(callback.searchParams)).not.toHaveProperty('error');
      expect(callback.searchParams.get('code')).toBeTruthy();
      signedIn = await driver.finish(callback);
      expect(signedIn.idTokenClaims).toMatchObject({ iss: keyward.issuer, aud: context.clientId, sub: expect.any(String), email: DEMO_ACCOUNT.email });
      suite.extraChecks?.(signedIn);
    });

    it('reads UserInfo with the access token it got', () => {
      const { userinfo: claims, idTokenClaims } = signed();
      expect(claims).toMatchObject({ sub: idTokenClaims.sub, email: DEMO_ACCOUNT.email, name: DEMO_ACCOUNT.name });
    });

    it('gets a scope stated in the token response and an RS256 JWT that the default API verifies and introspects', async () => {
      const { accessToken, scope, idTokenClaims } = signed();
      if (scope !== undefined) expect(scope.split(' ').sort()).toEqual(context.scope.split(' ').sort());
      const { payload, protectedHeader } = await jwtVerify(accessToken, createRemoteJWKSet(new URL(`${keyward.issuer}/jwks`)), {
        issuer: keyward.issuer, audience: api().identifier, typ: 'at+jwt', algorithms: ['RS256'],
      });
      expect(protectedHeader.alg).toBe('RS256');
      const apiScopes = Object.keys(api().scopes);
      expect(payload).toMatchObject({ sub: idTokenClaims.sub, client_id: context.clientId });
      expect(String(payload.scope).split(' ').filter((s) => apiScopes.includes(s))).toEqual(context.scope.split(' ').filter((s) => apiScopes.includes(s)));
      expect(await introspect(accessToken)).toMatchObject({ active: true, sub: idTokenClaims.sub, client_id: context.clientId, aud: api().identifier });
    });

    it('refreshes: a new access token, and the refresh token rotates', async () => {
      const { accessToken, refreshToken, refreshed, idTokenClaims } = signed();
      expect(refreshed.accessToken).not.toBe(accessToken);
      expect(refreshed.refreshToken).toBeTruthy();
      expect(refreshed.refreshToken).not.toBe(refreshToken);
      expect(await introspect(refreshed.accessToken)).toMatchObject({ active: true, sub: idTokenClaims.sub });
      expect((await userinfo(refreshed.accessToken)).status).toBe(200);
    });

    it('revokes the refresh token, which ends the grant', async () => {
      const { refreshed } = signed();
      state.revoked = await driver.revoke();
      expect(state.revoked.refreshAfterRevocation).toMatch(/invalid_grant/);
      expect(await introspect(refreshed.accessToken)).toEqual({ active: false });
      expect((await userinfo(refreshed.accessToken)).status).toBe(401);
    });
  });
}
