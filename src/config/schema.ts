import { z } from 'zod';

/**
 * Environment variables Keyward reads, validated in one pass so that every problem is
 * reported together (DESIGN.md, Conventions 1). Secrets listed in SECRET_VARIABLES may
 * also be given as NAME_FILE, a path to a file holding the value.
 */
export const SECRET_VARIABLES = ['COOKIE_SECRETS', 'SMTP_URL', 'METRICS_TOKEN', 'GOOGLE_CLIENT_SECRET', 'GITHUB_CLIENT_SECRET', 'DATABASE_URL', 'KEYWARD_ENCRYPTION_KEY'] as const;

const seconds = (fallback: number) => z.coerce.number().int().min(1).max(10 * 366 * 24 * 3600).default(fallback);

const booleanFlag = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => ['true', '1', 'yes'].includes(v));

/** A URL the hosted pages link to or load: https://, or a path on this server (never javascript: or data:). */
const pageUrl = z.string().regex(/^(https:\/\/|\/)[^\s"'<>]*$/, 'must be an https:// URL or a path starting with /').max(500).optional();

export const environmentSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /** Default: 127.0.0.1 in development (the demo user's password is published), 0.0.0.0 otherwise. */
  HOST: z.string().min(1).optional(),
  ISSUER: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL such as https://id.example.com' }).optional(),
  ALLOW_HTTP_ISSUER: booleanFlag.default(false),
  TRUST_PROXY: booleanFlag.default(false),
  TRUST_PROXY_HOPS: z.coerce.number().int().min(1).max(10).default(1),
  DATABASE_URL: z
    .string()
    .regex(/^(sqlite:.+|mongodb(\+srv)?:\/\/.+)$/, 'must be sqlite:<path>, sqlite::memory:, mongodb://… or mongodb+srv://…')
    .default('sqlite:./data/keyward.sqlite'),
  MONGO_POOL_SIZE: z.coerce.number().int().min(1).max(500).default(20),
  MONGO_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  MONGO_SERVER_SELECTION_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(5_000),
  MONGO_SOCKET_TIMEOUT_MS: z.coerce.number().int().min(1000).max(600_000).default(30_000),
  SQLITE_BUSY_TIMEOUT_MS: z.coerce.number().int().min(0).max(60_000).default(5000),
  SWEEP_INTERVAL_SECONDS: seconds(300),
  COOKIE_SECRETS: z
    .string()
    .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
    .pipe(z.array(z.string().min(32, 'each cookie secret must be at least 32 characters')).min(1))
    .optional(),
  // Comma-separated: the first encrypts, every one decrypts (rotation). See stores/sealed-stores.ts.
  KEYWARD_ENCRYPTION_KEY: z
    .string()
    .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
    .pipe(z.array(z.string().min(32, 'each key must be at least 32 characters (openssl rand -base64 32)')).min(1))
    .optional(),
  CLIENTS_FILE: z.string().min(1).optional(),
  DEMO_DATA: booleanFlag.optional(),
  ACCESS_TOKEN_TTL: seconds(600),
  AUTHORIZATION_CODE_TTL: seconds(60),
  ID_TOKEN_TTL: seconds(3600),
  REFRESH_TOKEN_IDLE_TTL: seconds(14 * 24 * 3600),
  REFRESH_TOKEN_ABSOLUTE_TTL: seconds(90 * 24 * 3600),
  REFRESH_TOKEN_REUSE_GRACE_SECONDS: z.coerce.number().int().min(0).max(120).default(10),
  LOGOUT_REVOKES_REFRESH_TOKENS: booleanFlag.default(true),
  SESSION_TTL: seconds(14 * 24 * 3600),
  INTERACTION_TTL: seconds(3600),
  GRANT_TTL: seconds(14 * 24 * 3600),
  OUTBOUND_ALLOW_PRIVATE_NETWORKS: booleanFlag.default(false),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_FORMAT: z.enum(['auto', 'json', 'pretty']).default('auto'),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).max(120_000).default(10_000),
  ARGON2_MEMORY_KIB: z.coerce.number().int().min(1024).max(4 * 1024 * 1024).default(19_456),
  ARGON2_TIME_COST: z.coerce.number().int().min(1).max(20).default(2),
  ARGON2_PARALLELISM: z.coerce.number().int().min(1).max(16).default(1),
  PRODUCT_NAME: z.string().min(1).max(60).default('Keyward'),
  /** The language of pages and mails when neither ui_locales nor Accept-Language picks one. */
  DEFAULT_LOCALE: z.enum(['en', 'fr', 'de']).default('en'),
  LOGO_URL: pageUrl,
  /** The tab icon; default: public/favicon.svg. */
  FAVICON_URL: pageUrl,
  /** Links in the footer of every hosted page, each shown only when set. */
  PRIVACY_URL: pageUrl,
  TERMS_URL: pageUrl,
  SUPPORT_URL: pageUrl,
  ACCENT_COLOR: z.string().regex(/^#[0-9a-fA-F]{6}$/, 'must be a colour like #3451b2').default('#3451b2'),
  REGISTRATION_ENABLED: booleanFlag.default(true),
  REQUIRE_VERIFIED_EMAIL: booleanFlag.default(true),
  EMAIL_VERIFICATION_TTL: seconds(24 * 3600),
  MFA_POLICY: z.enum(['optional', 'required']).default('optional'),
  MFA_REQUIRED_ROLES: z.string().max(1000).regex(/^[\w:.-]*(,\s*[\w:.-]+)*$/, 'must be a comma-separated list of role names').default(''),
  WEBAUTHN_RP_ID: z.string().max(253).regex(/^[a-z0-9.-]+$/, 'must be a host name (the issuer\'s host or a parent domain of it)').optional(),
  WEBAUTHN_RP_NAME: z.string().min(1).max(60).optional(),
  SMTP_URL: z.string().regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL').optional(),
  MAIL_FROM: z.string().min(3).max(200).default('Keyward <no-reply@localhost>'),
  MAIL_DIRECTORY: z.string().min(1).optional(),
  THROTTLE_SIGN_IN_PER_ACCOUNT: z.coerce.number().int().min(1).max(1000).default(5),
  THROTTLE_SIGN_IN_PER_IP: z.coerce.number().int().min(1).max(100_000).default(50),
  THROTTLE_SIGN_IN_WINDOW_SECONDS: seconds(900),
  THROTTLE_REQUESTS_PER_EMAIL: z.coerce.number().int().min(1).max(1000).default(3),
  THROTTLE_REQUESTS_PER_IP: z.coerce.number().int().min(1).max(100_000).default(20),
  THROTTLE_REQUESTS_WINDOW_SECONDS: seconds(3600),
  THROTTLE_CLIENT_AUTH_PER_CLIENT: z.coerce.number().int().min(1).max(100_000).default(20),
  THROTTLE_CLIENT_AUTH_PER_IP: z.coerce.number().int().min(1).max(1_000_000).default(100),
  THROTTLE_CLIENT_AUTH_WINDOW_SECONDS: seconds(300),
  KEY_REFRESH_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
  API_REFRESH_SECONDS: z.coerce.number().int().min(1).max(3600).default(10),
  ADMIN_REQUIRE_MFA: booleanFlag.default(true),
  JWKS_MAX_AGE_SECONDS: z.coerce.number().int().min(0).max(86_400).default(3600),
  KEY_ROTATION_DAYS: z.coerce.number().int().min(0).max(3650).default(0),
  METRICS_ENABLED: booleanFlag.default(false),
  METRICS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  METRICS_TOKEN: z.string().min(32, 'must be at least 32 characters').optional(),
  GOOGLE_CLIENT_ID: z.string().min(1).max(200).optional(),
  GOOGLE_CLIENT_SECRET: z.string().min(1).max(500).optional(),
  GOOGLE_ISSUER: z.url().default('https://accounts.google.com'),
  GITHUB_CLIENT_ID: z.string().min(1).max(200).optional(),
  GITHUB_CLIENT_SECRET: z.string().min(1).max(500).optional(),
  GITHUB_URL: z.url().default('https://github.com'),
  GITHUB_API_URL: z.url().default('https://api.github.com'),
  OIDC_UPSTREAMS: z.string().optional(),
  FEDERATION_REFRESH_PROFILE: booleanFlag.default(true),
  AUDIT_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(90),
});

export type Environment = z.infer<typeof environmentSchema>;

export interface Config {
  readonly env: 'development' | 'production' | 'test';
  readonly http: {
    readonly host: string; readonly port: number; readonly trustProxy: boolean; readonly shutdownTimeoutMs: number;
    /** How many proxies in front of Keyward append to X-Forwarded-For (the client is that many from the right). */
    readonly trustProxyHops: number;
  };
  readonly issuer: string;
  readonly database: SqliteDatabaseConfig | MongoDatabaseConfig;
  /** Undefined means "generate once and keep in the store". */
  readonly cookieSecrets: readonly string[] | undefined;
  readonly clientsFile: string | undefined;
  /**
   * KEYWARD_ENCRYPTION_KEY: keys that encrypt private signing keys and stored secrets at rest
   * (the first encrypts, all decrypt). Empty: stored in plaintext.
   */
  readonly encryptionKeys: readonly string[];
  readonly demoData: boolean;
  readonly ttl: {
    readonly accessToken: number; readonly authorizationCode: number; readonly idToken: number;
    readonly refreshTokenIdle: number; readonly refreshTokenAbsolute: number; readonly session: number; readonly interaction: number; readonly grant: number;
  };
  readonly refreshTokens: {
    /** A rotated refresh token presented again this soon is a lost-response retry, not theft. 0: off. */
    readonly reuseGraceSeconds: number;
    /** RP-initiated logout revokes the refresh tokens issued in the session. */
    readonly revokeOnLogout: boolean;
  };
  /** Outbound calls (back-channel logout, jwks_uri): may they reach private and loopback addresses? */
  readonly outbound: { readonly allowPrivateNetworks: boolean };
  readonly log: { readonly level: Environment['LOG_LEVEL']; readonly pretty: boolean };
  readonly argon2: { readonly memoryKiB: number; readonly timeCost: number; readonly parallelism: number };
  readonly ui: {
    readonly productName: string;
    readonly defaultLocale: Environment['DEFAULT_LOCALE'];
    readonly logoUrl: string | undefined;
    readonly accentColor: string;
    readonly faviconUrl: string | undefined;
    readonly privacyUrl: string | undefined;
    readonly termsUrl: string | undefined;
    readonly supportUrl: string | undefined;
  };
  readonly accounts: {
    readonly registrationEnabled: boolean;
    readonly requireVerifiedEmail: boolean;
    readonly emailVerificationTtl: number;
  };
  readonly mfa: {
    /** optional: people choose; required: everyone enrols a second factor at their next sign-in. */
    readonly policy: 'optional' | 'required';
    /** Accounts with any of these roles must sign in with a second factor. */
    readonly requiredRoles: readonly string[];
    /** WebAuthn relying party: id (the issuer's host or a parent domain) and the name authenticators show. */
    readonly webauthn: { readonly rpId: string; readonly rpName: string; readonly origin: string };
  };
  readonly mail: {
    readonly smtpUrl: string | undefined;
    readonly from: string;
    /** Development: every mail is also written here and its link logged. */
    readonly directory: string | undefined;
    /** Log the link of each mail written to the directory (development only: links are credentials). */
    readonly logLinks: boolean;
  };
  readonly throttle: {
    readonly signInPerAccount: number;
    readonly signInPerIp: number;
    readonly signInWindowSeconds: number;
    readonly requestsPerEmail: number;
    readonly requestsPerIp: number;
    readonly requestsWindowSeconds: number;
  };
  /** Failed client authentications (wrong client secrets) allowed per client and per IP in a window. */
  readonly clientAuthThrottle: { readonly perClient: number; readonly perIp: number; readonly windowSeconds: number };
  readonly audit: { readonly retentionDays: number };
  /** Prometheus metrics at /metrics: on a separate port, or on the main one behind a bearer token. */
  readonly metrics: { readonly enabled: boolean; readonly port: number | undefined; readonly host: string; readonly token: string | undefined };
  readonly federation: {
    readonly upstreams: readonly UpstreamConfig[];
    /** Update name, picture and email_verified from the upstream at every federated sign-in. */
    readonly refreshProfile: boolean;
  };
  readonly keys: {
    /** How often every replica re-reads the key set from the store (bound on picking up a rotation). */
    readonly refreshSeconds: number;
    /** Cache-Control max-age of /jwks; a next key is published at least this long before it signs. */
    readonly jwksMaxAgeSeconds: number;
    /** Automatic rotation period; 0: only `keyward keys rotate`. */
    readonly rotationDays: number;
  };
  readonly apis: {
    /** How often every replica re-reads the store's APIs (bound on serving one added or changed elsewhere). */
    readonly refreshSeconds: number;
  };
  readonly admin: {
    /** Administrators sign in with a second factor (or a passkey), to the console and for admin API tokens; on by default. */
    readonly requireMfa: boolean;
  };
}

/** One upstream identity provider users may sign in with. */
export interface UpstreamConfig {
  /** In URLs and in stored links: google, github, or the id given in OIDC_UPSTREAMS. */
  readonly id: string;
  readonly name: string;
  readonly kind: 'oidc' | 'github';
  readonly icon: 'google' | 'github' | 'openid';
  readonly clientId: string;
  readonly clientSecret: string;
  readonly scopes: readonly string[];
  /** OpenID Connect: the issuer to discover. GitHub: the web and API base URLs. */
  readonly issuer?: string;
  readonly githubUrl?: string;
  readonly githubApiUrl?: string;
}

/** One entry of OIDC_UPSTREAMS (a JSON array). */
export const genericUpstreamSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9-]{1,32}$/, 'must be 1-32 characters of a-z 0-9 -'),
  name: z.string().min(1).max(60),
  issuer: z.url(),
  client_id: z.string().min(1).max(200),
  client_secret: z.string().min(1).max(500).optional(),
  client_secret_file: z.string().min(1).optional(),
  scopes: z.array(z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/)).default(['openid', 'email', 'profile']),
});

export interface SqliteDatabaseConfig {
  readonly kind: 'sqlite';
  readonly location: string;
  readonly busyTimeoutMs: number;
  readonly sweepIntervalSeconds: number;
}

export interface MongoDatabaseConfig {
  readonly kind: 'mongo';
  /** A secret (it may carry credentials): never logged. */
  readonly url: string;
  readonly poolSize: number;
  readonly connectTimeoutMs: number;
  readonly serverSelectionTimeoutMs: number;
  readonly socketTimeoutMs: number;
  readonly sweepIntervalSeconds: number;
}

/** What to call the database in messages: the SQLite path, or the MongoDB host without credentials. */
export function describeDatabase(database: Config['database']): string {
  if (database.kind === 'sqlite') return database.location;
  try {
    const url = new URL(database.url);
    return `${url.protocol}//${url.host}${url.pathname}`;
  } catch {
    return 'MongoDB';
  }
}
