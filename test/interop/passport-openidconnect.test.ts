import { Strategy, type Profile, type Verified } from 'passport-openidconnect';
import { discover, type Discovery } from './support/discovery.ts';
import { payloadOf } from './support/jwt-payload.ts';
import { describeRelyingParty, type RelyingPartyContext, type RelyingPartyDriver } from './support/relying-party-suite.ts';

/**
 * passport-openidconnect (Jared Hanson's OpenID Connect strategy for Passport, the usual choice in
 * Express apps; depends on `oauth` and `passport-strategy`), driven the way passport drives a
 * strategy: a per-request copy with redirect/success/fail/error, and a session object for its state
 * store. It sends no PKCE but a nonce, and authenticates with client_secret_post only (its `oauth`
 * client puts the secret in the body), so it signs in as a copy of the example's `web` client with
 * `"require_pkce": false` and `client_secret_post` (README, Policies: PKCE). It checks the ID
 * token's iss, aud, azp, exp and nonce, not its signature; it reads UserInfo itself. It has no
 * refresh or revocation API: the refresh goes through its `oauth` client (`_oauth2`, documented as
 * protected for subclasses), the revocation is a plain client_secret_post request.
 */
const VERSION = '0.1.2';

interface Outcome {
  idToken: string;
  userinfo: Record<string, unknown>;
  accessToken: string;
  refreshToken: string;
  params: Record<string, unknown>;
}

class PassportDriver implements RelyingPartyDriver {
  private endpoints!: Discovery;

  private strategy!: Strategy;

  /** The request's session, where the strategy keeps state and nonce between the two requests. */
  private readonly session: Record<string, unknown> = {};

  private refreshToken?: string;

  private readonly context: RelyingPartyContext;

  constructor(context: RelyingPartyContext) {
    this.context = context;
  }

  async start(): Promise<URL> {
    this.endpoints = await discover(this.context.issuer);
    const verify = (_issuer: string, userinfo: Profile, _idProfile: Profile, _context: unknown, idToken: string, accessToken: string, refreshToken: string, params: Record<string, unknown>, done: Verified) =>
      done(null, { idToken, userinfo: userinfo._json ?? {}, accessToken, refreshToken, params } satisfies Outcome);
    this.strategy = new Strategy({
      issuer: this.endpoints.issuer,
      authorizationURL: this.endpoints.authorization_endpoint,
      tokenURL: this.endpoints.token_endpoint,
      userInfoURL: this.endpoints.userinfo_endpoint,
      clientID: this.context.clientId,
      clientSecret: this.context.clientSecret!,
      callbackURL: this.context.redirectUri,
      // The strategy prepends `openid`.
      scope: this.context.scope.split(' ').filter((scope) => scope !== 'openid'),
      nonce: true,
      skipUserProfile: false,
    }, verify as (...args: never[]) => void);
    return new URL(await this.run({}) as string);
  }

  async finish(callback: URL) {
    const outcome = await this.run(Object.fromEntries(callback.searchParams)) as Outcome;
    const refreshed = await this.refresh(outcome.refreshToken);
    this.refreshToken = refreshed.refreshToken;
    return {
      idTokenClaims: payloadOf(outcome.idToken),
      userinfo: outcome.userinfo,
      accessToken: outcome.accessToken,
      refreshToken: outcome.refreshToken,
      scope: String(outcome.params.scope ?? ''),
      refreshed,
    };
  }

  async revoke() {
    const response = await fetch(this.endpoints.revocation_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: this.refreshToken!, token_type_hint: 'refresh_token', client_id: this.context.clientId, client_secret: this.context.clientSecret! }),
    });
    if (!response.ok) throw new Error(`revocation answered ${response.status}`);
    try {
      await this.refresh(this.refreshToken!);
      return { refreshAfterRevocation: 'accepted' };
    } catch (error) {
      return { refreshAfterRevocation: String((error as Error).message) };
    }
  }

  /** One request through the strategy, as passport.authenticate runs it: resolves with the redirect or the user. */
  private run(query: Record<string, string>): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const action = Object.create(this.strategy) as Strategy;
      action.redirect = resolve;
      action.success = resolve;
      action.fail = (challenge, status) => reject(new Error(`strategy failed (${status ?? 401}): ${JSON.stringify(challenge)}`));
      action.error = reject;
      action.authenticate({ query, session: this.session, headers: {}, url: '/' }, {});
    });
  }

  private refresh(refreshToken: string): Promise<{ accessToken: string; refreshToken: string }> {
    return new Promise((resolve, reject) => {
      this.strategy._oauth2.getOAuthAccessToken(refreshToken, { grant_type: 'refresh_token' }, (error, accessToken, newRefreshToken) => {
        if (error) reject(new Error(`refresh failed: ${error.statusCode} ${error.data}`));
        else resolve({ accessToken, refreshToken: newRefreshToken });
      });
    });
  }
}

describeRelyingParty({
  library: `passport-openidconnect ${VERSION}`,
  kind: 'web',
  deriveClient: (web) => ({
    ...web,
    client_id: `${web.client_id}-passport`,
    client_secret: `${web.client_id}-passport-interop-secret-0123456789abcdef`,
    require_pkce: false,
    token_endpoint_auth_method: 'client_secret_post',
  }),
  makeDriver: (context) => new PassportDriver(context),
});
