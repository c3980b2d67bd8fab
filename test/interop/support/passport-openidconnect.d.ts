// The parts of passport-openidconnect 0.1.2 (JavaScript, no bundled types) that the interop test uses.
declare module 'passport-openidconnect' {
  interface OAuth2 {
    getOAuthAccessToken(code: string, params: Record<string, string>, callback: (error: { statusCode?: number; data?: string } | null, accessToken: string, refreshToken: string, results: Record<string, unknown>) => void): void;
  }

  interface StrategyOptions {
    issuer: string;
    authorizationURL: string;
    tokenURL: string;
    userInfoURL: string;
    clientID: string;
    clientSecret: string;
    callbackURL: string;
    scope?: string | string[];
    nonce?: boolean;
    skipUserProfile?: boolean;
  }

  interface Profile {
    id: string;
    _json?: Record<string, unknown>;
  }

  type Verified = (error: Error | null, user?: unknown, info?: unknown) => void;

  export class Strategy {
    constructor(options: StrategyOptions, verify: (...args: never[]) => void);
    /** "Protected" in the library's words: subclasses may use it; the test refreshes with it. */
    _oauth2: OAuth2;
    authenticate(req: unknown, options?: Record<string, unknown>): void;
    // Set by passport (or a test) on a per-request copy of the strategy.
    redirect(url: string): void;
    success(user: unknown, info?: unknown): void;
    fail(challenge?: unknown, status?: number): void;
    error(error: Error): void;
  }

  export type { Profile, Verified };
}
