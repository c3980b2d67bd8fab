import * as oidc from 'openid-client';
import { z } from 'zod';
import type { UpstreamConfig } from '../../config/schema.ts';
import { singleEmailAddress } from '../email-address.ts';

/** What Keyward learns about a person from an upstream. */
export interface UpstreamProfile {
  subject: string;
  email: string | undefined;
  /** Whether the upstream vouches for the email; only a verified email may ever link accounts. */
  emailVerified: boolean;
  name: string | undefined;
  picture: string | undefined;
}

/** Why a federated sign-in failed; the code is audited, the person sees a friendly page. */
export class FederationError extends Error {
  readonly code: 'upstream_denied' | 'upstream_unavailable' | 'invalid_response' | 'state_mismatch';
  constructor(code: FederationError['code'], message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export interface UpstreamRequest {
  state: string;
  nonce: string;
  codeVerifier: string;
  redirectUri: string;
}

export interface UpstreamClient {
  readonly config: UpstreamConfig;
  authorizationUrl(request: UpstreamRequest): Promise<URL>;
  /** Exchanges the code in `callback` and validates the answer (ID token, or GitHub's API). */
  profile(callback: URL, request: UpstreamRequest): Promise<UpstreamProfile>;
}

const TIMEOUT_SECONDS = 10;

/** Loopback upstreams (tests) speak http; everything else must be https (openid-client's default). */
const transport = (url: string) => (/^http:\/\/(127\.0\.0\.1|localhost)(:|\/)/.test(url) ? { execute: [oidc.allowInsecureRequests] } : {});

function failure(error: unknown): FederationError {
  if (error instanceof FederationError) return error;
  if (error instanceof oidc.AuthorizationResponseError) return new FederationError('upstream_denied', `the upstream answered ${error.error}`, { cause: error });
  const code = (error as { code?: string }).code;
  if (code === 'OAUTH_INVALID_RESPONSE' || code === 'OAUTH_JWT_CLAIM_COMPARISON_FAILED' || code === 'OAUTH_JWS_SIGNATURE_VERIFICATION_FAILED' || error instanceof oidc.ResponseBodyError) {
    return new FederationError('invalid_response', (error as Error).message, { cause: error });
  }
  return new FederationError('upstream_unavailable', (error as Error)?.message ?? 'the upstream could not be reached', { cause: error });
}

/** An OpenID Connect upstream (Google, or any issuer): discovery, PKCE, state, nonce, ID token validation. */
export function createOidcUpstream(config: UpstreamConfig): UpstreamClient {
  let discovered: Promise<oidc.Configuration> | undefined;
  const configuration = () => {
    discovered ??= oidc.discovery(new URL(config.issuer!), config.clientId, config.clientSecret, undefined, { ...transport(config.issuer!), timeout: TIMEOUT_SECONDS }).then((found) => {
      // openid-client trusts TLS for ID tokens from the token endpoint (OIDC Core §3.1.3.7);
      // Keyward verifies their signature against the upstream's JWKS too.
      oidc.enableNonRepudiationChecks(found);
      return found;
    });
    return discovered.catch((error: unknown) => {
      discovered = undefined; // try discovery again next time
      throw failure(error);
    });
  };
  return {
    config,
    async authorizationUrl({ state, nonce, codeVerifier, redirectUri }) {
      return oidc.buildAuthorizationUrl(await configuration(), {
        redirect_uri: redirectUri, scope: config.scopes.join(' '), state, nonce,
        code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier), code_challenge_method: 'S256',
      });
    },
    async profile(callback, { state, nonce, codeVerifier }) {
      try {
        const tokens = await oidc.authorizationCodeGrant(await configuration(), callback, { pkceCodeVerifier: codeVerifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true });
        const claims = tokens.claims()!;
        const text = (value: unknown) => (typeof value === 'string' && value.length <= 500 ? value : undefined);
        return { subject: claims.sub, email: singleEmailAddress(claims.email), emailVerified: claims.email_verified === true, name: text(claims.name), picture: text(claims.picture) };
      } catch (error) {
        throw failure(error);
      }
    },
  };
}

const githubUser = z.object({ id: z.number().int(), login: z.string(), name: z.string().max(500).nullish(), avatar_url: z.url().nullish() });
const githubEmails = z.array(z.object({ email: z.string().max(320), primary: z.boolean(), verified: z.boolean() }));

/** GitHub: OAuth 2.0 with PKCE, then /user and /user/emails; only the primary verified email counts. */
export function createGithubUpstream(config: UpstreamConfig): UpstreamClient {
  const server = { issuer: config.githubUrl!, authorization_endpoint: `${config.githubUrl}/login/oauth/authorize`, token_endpoint: `${config.githubUrl}/login/oauth/access_token` };
  const configuration = new oidc.Configuration(server, config.clientId, config.clientSecret);
  if (transport(config.githubUrl!).execute) oidc.allowInsecureRequests(configuration);
  configuration.timeout = TIMEOUT_SECONDS;
  const api = async <T>(path: string, token: string, schema: z.ZodType<T>): Promise<T> => {
    const response = await fetch(`${config.githubApiUrl}${path}`, {
      headers: { authorization: `Bearer ${token}`, accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28' },
      signal: AbortSignal.timeout(TIMEOUT_SECONDS * 1000),
    });
    if (!response.ok) throw new FederationError('invalid_response', `GitHub ${path} answered ${response.status}`);
    const parsed = schema.safeParse(await response.json().catch(() => undefined));
    if (!parsed.success) throw new FederationError('invalid_response', `GitHub ${path} answered an unexpected shape`);
    return parsed.data;
  };
  return {
    config,
    async authorizationUrl({ state, codeVerifier, redirectUri }) {
      return oidc.buildAuthorizationUrl(configuration, {
        redirect_uri: redirectUri, scope: config.scopes.join(' '), state,
        code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier), code_challenge_method: 'S256',
      });
    },
    async profile(callback, { state, codeVerifier }) {
      try {
        const tokens = await oidc.authorizationCodeGrant(configuration, callback, { pkceCodeVerifier: codeVerifier, expectedState: state });
        const [user, emails] = await Promise.all([api('/user', tokens.access_token, githubUser), api('/user/emails', tokens.access_token, githubEmails)]);
        const primary = emails.find((e) => e.primary && e.verified);
        const email = singleEmailAddress(primary?.email);
        return { subject: String(user.id), email, emailVerified: Boolean(email), name: user.name ?? user.login, picture: user.avatar_url ?? undefined };
      } catch (error) {
        throw failure(error);
      }
    },
  };
}

export function createUpstreamClients(upstreams: readonly UpstreamConfig[]): Map<string, UpstreamClient> {
  return new Map(upstreams.map((u) => [u.id, u.kind === 'github' ? createGithubUpstream(u) : createOidcUpstream(u)]));
}
