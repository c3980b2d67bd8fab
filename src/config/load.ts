import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { ConfigError } from '../errors/app-error.ts';
import { z } from 'zod';
import { productionSecretProblems } from './production-secrets.ts';
import { SECRET_VARIABLES, environmentSchema, genericUpstreamSchema, type Config, type Environment, type UpstreamConfig } from './schema.ts';

type RawEnvironment = Record<string, string | undefined>;

/**
 * The only reader of process.env (DESIGN.md, Layering rule 4). Returns a frozen Config or
 * throws one ConfigError listing every problem found.
 */
export function loadConfig(rawEnv: RawEnvironment = process.env, isTerminal = Boolean(process.stdout.isTTY)): Config {
  const problems: string[] = [];
  const env = resolveSecretFiles(rawEnv, problems);
  const parsed = environmentSchema.safeParse(env);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(`${issue.path.join('.')}: ${issue.message}`);
  }
  const config = parsed.success ? toConfig(parsed.data, isTerminal, problems) : undefined;
  if (config?.demoData && (!isLoopbackIssuer(config.issuer) || !isLoopbackHost(config.http.host))) {
    problems.push('DEMO_DATA: the demo user has a published password, so demo data is only for a loopback ISSUER and HOST (localhost, 127.0.0.1, ::1)');
  }
  if (config) problems.push(...productionProblems(config, parsed.data!));
  if (config?.metrics.enabled && !config.metrics.port && !config.metrics.token) {
    problems.push('METRICS_ENABLED: set METRICS_PORT (a separate listener) or METRICS_TOKEN (bearer token on the main port), so that /metrics is never public');
  }
  if (problems.length > 0 || !config) throw new ConfigError(problems);
  return deepFreeze(config);
}

/**
 * WebAuthn binds a passkey to a relying party id: the issuer's host by default, or a parent
 * domain of it (WebAuthn Level 3 §5.1.3 "rp.id": a registrable domain suffix of the origin).
 */
function webauthnSettings(env: Environment, issuer: string, problems: string[]): Config['mfa']['webauthn'] {
  const { origin, hostname: host } = new URL(issuer);
  const rpId = env.WEBAUTHN_RP_ID ?? host;
  if (rpId !== host && !host.endsWith(`.${rpId}`)) problems.push(`WEBAUTHN_RP_ID: "${rpId}" is neither the issuer's host (${host}) nor a parent domain of it`);
  return { rpId, rpName: env.WEBAUTHN_RP_NAME ?? env.PRODUCT_NAME, origin };
}

/** NAME_FILE gives the value of secret NAME from a file (Docker/Kubernetes secrets). */
function resolveSecretFiles(rawEnv: RawEnvironment, problems: string[]): RawEnvironment {
  const env: RawEnvironment = {};
  for (const [key, value] of Object.entries(rawEnv)) if (value !== '') env[key] = value;
  for (const name of SECRET_VARIABLES) {
    const file = env[`${name}_FILE`];
    if (file === undefined) continue;
    if (env[name] !== undefined) {
      problems.push(`${name}: set either ${name} or ${name}_FILE, not both`);
      continue;
    }
    try {
      env[name] = readFileSync(file, 'utf8').trim();
    } catch (error) {
      problems.push(`${name}_FILE: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  return env;
}

/** Google and GitHub from their variables, others from OIDC_UPSTREAMS (secrets may be in files). */
function upstreams(env: Environment, problems: string[]): UpstreamConfig[] {
  const list: UpstreamConfig[] = [];
  const pair = (name: 'GOOGLE' | 'GITHUB') => {
    const id = env[`${name}_CLIENT_ID`];
    const secret = env[`${name}_CLIENT_SECRET`];
    if (Boolean(id) !== Boolean(secret)) problems.push(`${name}_CLIENT_ID and ${name}_CLIENT_SECRET (or _FILE) go together`);
    return id && secret ? { clientId: id, clientSecret: secret } : undefined;
  };
  const google = pair('GOOGLE');
  if (google) list.push({ id: 'google', name: 'Google', kind: 'oidc', icon: 'google', issuer: env.GOOGLE_ISSUER, scopes: ['openid', 'email', 'profile'], ...google });
  const github = pair('GITHUB');
  if (github) list.push({ id: 'github', name: 'GitHub', kind: 'github', icon: 'github', githubUrl: env.GITHUB_URL.replace(/\/+$/, ''), githubApiUrl: env.GITHUB_API_URL.replace(/\/+$/, ''), scopes: ['read:user', 'user:email'], ...github });
  if (!env.OIDC_UPSTREAMS) return list;
  let entries: unknown;
  try {
    entries = JSON.parse(env.OIDC_UPSTREAMS);
  } catch {
    problems.push('OIDC_UPSTREAMS: must be a JSON array');
    return list;
  }
  const parsed = z.array(genericUpstreamSchema).safeParse(entries);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(`OIDC_UPSTREAMS[${issue.path.join('.')}]: ${issue.message}`);
    return list;
  }
  for (const entry of parsed.data) {
    let secret = entry.client_secret;
    if (entry.client_secret_file) {
      try {
        secret = readFileSync(entry.client_secret_file, 'utf8').trim();
      } catch (error) {
        problems.push(`OIDC_UPSTREAMS "${entry.id}": cannot read client_secret_file (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
      }
    }
    if (!secret) problems.push(`OIDC_UPSTREAMS "${entry.id}": client_secret or client_secret_file is required`);
    if (list.some((u) => u.id === entry.id)) problems.push(`OIDC_UPSTREAMS "${entry.id}": the id is taken`);
    list.push({ id: entry.id, name: entry.name, kind: 'oidc', icon: 'openid', issuer: entry.issuer, clientId: entry.client_id, clientSecret: secret ?? '', scopes: entry.scopes });
  }
  return list;
}

function toConfig(env: Environment, isTerminal: boolean, problems: string[]): Config {
  const issuer = (env.ISSUER ?? `http://localhost:${env.PORT === 0 ? 3000 : env.PORT}`).replace(/\/+$/, '');
  return {
    env: env.NODE_ENV,
    http: { host: env.HOST ?? (env.NODE_ENV === 'development' ? '127.0.0.1' : '0.0.0.0'), port: env.PORT, trustProxy: env.TRUST_PROXY, trustProxyHops: env.TRUST_PROXY_HOPS, shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS },
    issuer,
    database: env.DATABASE_URL.startsWith('sqlite:')
      ? { kind: 'sqlite', location: env.DATABASE_URL.slice('sqlite:'.length), busyTimeoutMs: env.SQLITE_BUSY_TIMEOUT_MS, sweepIntervalSeconds: env.SWEEP_INTERVAL_SECONDS }
      : {
        kind: 'mongo',
        url: env.DATABASE_URL,
        poolSize: env.MONGO_POOL_SIZE,
        connectTimeoutMs: env.MONGO_CONNECT_TIMEOUT_MS,
        serverSelectionTimeoutMs: env.MONGO_SERVER_SELECTION_TIMEOUT_MS,
        socketTimeoutMs: env.MONGO_SOCKET_TIMEOUT_MS,
        sweepIntervalSeconds: env.SWEEP_INTERVAL_SECONDS,
      },
    cookieSecrets: env.COOKIE_SECRETS,
    clientsFile: env.CLIENTS_FILE,
    encryptionKeys: env.KEYWARD_ENCRYPTION_KEY ?? [],
    // A demo account with a published password is a way in: only where nobody else can reach it.
    demoData: env.DEMO_DATA ?? (env.NODE_ENV === 'development' && isLoopbackIssuer(issuer) && isLoopbackHost(env.HOST ?? '127.0.0.1')),
    ttl: {
      accessToken: env.ACCESS_TOKEN_TTL,
      authorizationCode: env.AUTHORIZATION_CODE_TTL,
      idToken: env.ID_TOKEN_TTL,
      refreshTokenIdle: env.REFRESH_TOKEN_IDLE_TTL,
      refreshTokenAbsolute: env.REFRESH_TOKEN_ABSOLUTE_TTL,
      session: env.SESSION_TTL,
      interaction: env.INTERACTION_TTL,
      grant: env.GRANT_TTL,
    },
    refreshTokens: { reuseGraceSeconds: env.REFRESH_TOKEN_REUSE_GRACE_SECONDS, revokeOnLogout: env.LOGOUT_REVOKES_REFRESH_TOKENS },
    outbound: { allowPrivateNetworks: env.OUTBOUND_ALLOW_PRIVATE_NETWORKS },
    log: {
      level: env.LOG_LEVEL,
      pretty: env.LOG_FORMAT === 'pretty' || (env.LOG_FORMAT === 'auto' && env.NODE_ENV === 'development' && isTerminal),
    },
    argon2: { memoryKiB: env.ARGON2_MEMORY_KIB, timeCost: env.ARGON2_TIME_COST, parallelism: env.ARGON2_PARALLELISM },
    ui: {
      productName: env.PRODUCT_NAME,
      defaultLocale: env.DEFAULT_LOCALE,
      logoUrl: env.LOGO_URL,
      accentColor: env.ACCENT_COLOR,
      faviconUrl: env.FAVICON_URL,
      privacyUrl: env.PRIVACY_URL,
      termsUrl: env.TERMS_URL,
      supportUrl: env.SUPPORT_URL,
    },
    accounts: {
      registrationEnabled: env.REGISTRATION_ENABLED,
      requireVerifiedEmail: env.REQUIRE_VERIFIED_EMAIL,
      emailVerificationTtl: env.EMAIL_VERIFICATION_TTL,
    },
    mfa: {
      policy: env.MFA_POLICY,
      requiredRoles: env.MFA_REQUIRED_ROLES.split(',').map((role) => role.trim()).filter(Boolean),
      webauthn: webauthnSettings(env, issuer, problems),
    },
    mail: {
      smtpUrl: env.SMTP_URL,
      from: env.MAIL_FROM,
      directory: env.MAIL_DIRECTORY ?? (env.NODE_ENV === 'development' ? './data/mail' : undefined),
      logLinks: env.NODE_ENV === 'development',
    },
    throttle: {
      signInPerAccount: env.THROTTLE_SIGN_IN_PER_ACCOUNT,
      signInPerIp: env.THROTTLE_SIGN_IN_PER_IP,
      signInWindowSeconds: env.THROTTLE_SIGN_IN_WINDOW_SECONDS,
      requestsPerEmail: env.THROTTLE_REQUESTS_PER_EMAIL,
      requestsPerIp: env.THROTTLE_REQUESTS_PER_IP,
      requestsWindowSeconds: env.THROTTLE_REQUESTS_WINDOW_SECONDS,
    },
    clientAuthThrottle: { perClient: env.THROTTLE_CLIENT_AUTH_PER_CLIENT, perIp: env.THROTTLE_CLIENT_AUTH_PER_IP, windowSeconds: env.THROTTLE_CLIENT_AUTH_WINDOW_SECONDS },
    audit: { retentionDays: env.AUDIT_RETENTION_DAYS },
    federation: { upstreams: upstreams(env, problems), refreshProfile: env.FEDERATION_REFRESH_PROFILE },
    metrics: { enabled: env.METRICS_ENABLED, port: env.METRICS_PORT, host: env.METRICS_HOST, token: env.METRICS_TOKEN },
    keys: { refreshSeconds: env.KEY_REFRESH_SECONDS, jwksMaxAgeSeconds: env.JWKS_MAX_AGE_SECONDS, rotationDays: env.KEY_ROTATION_DAYS },
    apis: { refreshSeconds: env.API_REFRESH_SECONDS },
    admin: { requireMfa: env.ADMIN_REQUIRE_MFA },
  };
}

/** Production refuses what is only safe on a laptop (DESIGN.md, Conventions 1). */
function productionProblems(config: Config, env: Environment): string[] {
  if (config.env !== 'production') return [];
  const problems: string[] = [];
  if (!config.issuer.startsWith('https://') && !env.ALLOW_HTTP_ISSUER) {
    problems.push('ISSUER: must be an https:// URL in production (set ALLOW_HTTP_ISSUER=true only behind a TLS-terminating proxy you trust)');
  }
  if (config.issuer.startsWith('https://') && !config.http.trustProxy) {
    problems.push('TRUST_PROXY: must be true in production with an https issuer (Keyward serves HTTP behind a TLS-terminating proxy; it needs X-Forwarded-Proto to mark cookies Secure)');
  }
  if (!config.cookieSecrets) problems.push('COOKIE_SECRETS: required in production (or COOKIE_SECRETS_FILE)');
  if (config.demoData) problems.push('DEMO_DATA: the development demo client and user must not be enabled in production');
  for (const upstream of config.federation.upstreams) {
    const urls = [upstream.issuer, upstream.githubUrl, upstream.githubApiUrl].filter((url): url is string => Boolean(url));
    if (urls.some((url) => !url.startsWith('https://'))) problems.push(`upstream "${upstream.id}": its URLs must be https:// in production`);
  }
  if (env.MAIL_DIRECTORY) problems.push('MAIL_DIRECTORY: not allowed in production (the folder would keep live verification and reset links on disk); deliver through SMTP_URL');
  if (!config.mail.smtpUrl) problems.push('SMTP_URL: required in production (verification and password-reset mail), or SMTP_URL_FILE');
  problems.push(...productionSecretProblems(config));
  return problems;
}

function isLoopbackIssuer(issuer: string): boolean {
  return isLoopbackHost(new URL(issuer).hostname);
}

/** A name or address only this machine reaches (0.0.0.0 and :: listen on every interface). */
function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '[::1]' || host === '::1' || /^127(?:\.\d{1,3}){3}$/.test(host);
}

/**
 * Reads `file` (default `.env` in the working directory) into the process environment, the way
 * operators expect beside `.env.example`. What is set in the environment wins, a secret given
 * there as NAME_FILE included: the file's NAME (or NAME_FILE) is then left out rather than
 * colliding with it. Returns the file read, or undefined when there is none.
 */
export function loadDotEnvFile(file = '.env'): string | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigError([`${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`]);
  }
  const isSet = (name: string) => process.env[name] !== undefined;
  for (const [name, value] of Object.entries(parseEnv(text))) {
    const base = name.endsWith('_FILE') ? name.slice(0, -'_FILE'.length) : name;
    if (isSet(base) || isSet(`${base}_FILE`)) continue;
    process.env[name] = value;
  }
  return file;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
