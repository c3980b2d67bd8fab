import { InMemoryWebStorage, OidcClient, WebStorageStateStore, type RefreshState, type SigninResponse } from 'oidc-client-ts';
import { payloadOf } from './support/jwt-payload.ts';
import { describeRelyingParty, type RelyingPartyContext, type RelyingPartyDriver } from './support/relying-party-suite.ts';

/**
 * oidc-client-ts (the maintained successor of oidc-client-js; one dependency, jwt-decode) as the
 * example's `public` client, the single-page app: authorization code with PKCE S256, state and
 * nonce, ID token claims validated (it checks iss, aud, azp, exp, iat and nonce; it does not check
 * signatures, by design — the token comes straight from the token endpoint, OIDC Core §3.1.3.7),
 * UserInfo loaded and its `sub` compared with the ID token's, refresh with rotation, revocation.
 * OidcClient is the library's browser-independent core; an in-memory store stands in for
 * sessionStorage.
 */
const VERSION = '3.5.0';

class OidcClientTsDriver implements RelyingPartyDriver {
  private readonly client: OidcClient;

  private signedIn?: SigninResponse;

  private refreshed?: SigninResponse;

  /** The UserInfo answers the library fetched (it merges them into `profile`; the test wants them apart). */
  private readonly userinfoAnswers: Record<string, unknown>[] = [];

  private readonly realFetch = globalThis.fetch;

  constructor(context: RelyingPartyContext) {
    this.client = new OidcClient({
      authority: context.issuer,
      client_id: context.clientId,
      redirect_uri: context.redirectUri,
      response_type: 'code',
      scope: context.scope,
      loadUserInfo: true,
      stateStore: new WebStorageStateStore({ store: new InMemoryWebStorage() }),
      requestTimeoutInSeconds: 10,
    });
    const userinfoUrl = `${context.issuer}/me`;
    globalThis.fetch = async (input, init) => {
      const response = await this.realFetch(input, init);
      if (String(input instanceof Request ? input.url : input) === userinfoUrl && response.ok) {
        this.userinfoAnswers.push(await response.clone().json() as Record<string, unknown>);
      }
      return response;
    };
  }

  async start(): Promise<URL> {
    const request = await this.client.createSigninRequest({});
    return new URL(request.url);
  }

  async finish(callback: URL) {
    const response = await this.client.processSigninResponse(callback.href);
    this.signedIn = response;
    const refreshed = await this.client.useRefreshToken({ state: this.refreshState(response) });
    this.refreshed = refreshed;
    return {
      idTokenClaims: payloadOf(response.id_token!),
      userinfo: this.userinfoAnswers[0] ?? {},
      accessToken: response.access_token,
      refreshToken: response.refresh_token!,
      scope: response.scope ?? '',
      refreshed: { accessToken: refreshed.access_token, refreshToken: refreshed.refresh_token! },
    };
  }

  async revoke() {
    await this.client.revokeToken(this.refreshed!.refresh_token!, 'refresh_token');
    try {
      await this.client.useRefreshToken({ state: this.refreshState(this.refreshed!) });
      return { refreshAfterRevocation: 'accepted' };
    } catch (error) {
      return { refreshAfterRevocation: String((error as { error?: string }).error ?? error) };
    }
  }

  private refreshState(response: SigninResponse): RefreshState {
    // RefreshState is a type only in the package's exports; UserManager builds the same object from a User.
    return {
      refresh_token: response.refresh_token!,
      id_token: response.id_token ?? this.signedIn!.id_token!,
      session_state: response.session_state,
      scope: response.scope!,
      profile: response.profile,
    };
  }

  async close() {
    globalThis.fetch = this.realFetch;
  }
}

describeRelyingParty({
  library: `oidc-client-ts ${VERSION}`,
  kind: 'public',
  makeDriver: (context) => new OidcClientTsDriver(context),
});
