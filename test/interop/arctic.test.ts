import { CodeChallengeMethod, decodeIdToken, generateCodeVerifier, generateState, OAuth2Client, OAuth2RequestError, type OAuth2Tokens } from 'arctic';
import { randomBytes } from 'node:crypto';
import { discover, type Discovery } from './support/discovery.ts';
import { describeRelyingParty, type RelyingPartyContext, type RelyingPartyDriver } from './support/relying-party-suite.ts';

/**
 * arctic (small, maintained, ESM, three @oslojs dependencies) as the example's `web` client: its
 * generic OAuth2Client does the authorization URL with PKCE S256, the code exchange and refresh
 * with client_secret_basic, and revocation. arctic is an OAuth 2.0 library: it only decodes ID
 * tokens (`decodeIdToken`, no validation — its documentation leaves that to the app, relying on
 * TLS to the token endpoint) and has no UserInfo call, so this app checks iss, aud, exp and nonce
 * itself and reads UserInfo with a plain bearer request, as arctic's guides do.
 */
const VERSION = '3.7.0';

class ArcticDriver implements RelyingPartyDriver {
  private readonly client: OAuth2Client;

  private endpoints!: Discovery;

  private readonly verifier = generateCodeVerifier();

  private readonly state = generateState();

  private readonly nonce = randomBytes(16).toString('base64url');

  private refreshed?: OAuth2Tokens;

  private readonly context: RelyingPartyContext;

  constructor(context: RelyingPartyContext) {
    this.context = context;
    this.client = new OAuth2Client(context.clientId, context.clientSecret!, context.redirectUri);
  }

  async start(): Promise<URL> {
    this.endpoints = await discover(this.context.issuer);
    const url = this.client.createAuthorizationURLWithPKCE(this.endpoints.authorization_endpoint, this.state, CodeChallengeMethod.S256, this.verifier, this.context.scope.split(' '));
    url.searchParams.set('nonce', this.nonce);
    return url;
  }

  async finish(callback: URL) {
    if (callback.searchParams.get('state') !== this.state) throw new Error('state mismatch');
    const tokens = await this.client.validateAuthorizationCode(this.endpoints.token_endpoint, callback.searchParams.get('code')!, this.verifier);
    const claims = decodeIdToken(tokens.idToken()) as Record<string, unknown>;
    if (claims.iss !== this.context.issuer || claims.aud !== this.context.clientId || claims.nonce !== this.nonce || Number(claims.exp) * 1000 < Date.now()) {
      throw new Error(`ID token claims refused: ${JSON.stringify(claims)}`);
    }
    const me = await fetch(this.endpoints.userinfo_endpoint, { headers: { authorization: `Bearer ${tokens.accessToken()}` } });
    if (!me.ok) throw new Error(`UserInfo answered ${me.status}`);
    this.refreshed = await this.client.refreshAccessToken(this.endpoints.token_endpoint, tokens.refreshToken(), []);
    return {
      idTokenClaims: claims,
      userinfo: await me.json() as Record<string, unknown>,
      accessToken: tokens.accessToken(),
      refreshToken: tokens.refreshToken(),
      scope: tokens.scopes().join(' '),
      refreshed: { accessToken: this.refreshed.accessToken(), refreshToken: this.refreshed.refreshToken() },
    };
  }

  async revoke() {
    await this.client.revokeToken(this.endpoints.revocation_endpoint, this.refreshed!.refreshToken());
    try {
      await this.client.refreshAccessToken(this.endpoints.token_endpoint, this.refreshed!.refreshToken(), []);
      return { refreshAfterRevocation: 'accepted' };
    } catch (error) {
      return { refreshAfterRevocation: error instanceof OAuth2RequestError ? error.code : String(error) };
    }
  }
}

describeRelyingParty({
  library: `arctic ${VERSION}`,
  kind: 'web',
  makeDriver: (context) => new ArcticDriver(context),
});
