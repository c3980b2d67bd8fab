import type { Config } from './schema.ts';
import { GENERATE_HINT, MIN_ISSUED_SECRET_BITS, weakSecretReason, weakUrlPasswordReason } from './secret-strength.ts';

const ORDINALS = ['1st', '2nd', '3rd'];
const ordinal = (index: number) => ORDINALS[index] ?? `${index + 1}th`;

/**
 * Production refuses every secret setting whose value ships in the repository or is easy to
 * guess (a placeholder, one repeated character, a sequence): with such a value anyone can
 * forge session cookies, read metrics or obtain tokens as a client. The clients file's
 * client_secret values are checked where that file is read (services/clients.service.ts).
 * Messages name the setting, never the value.
 */
export function productionSecretProblems(config: Config): string[] {
  const problems: string[] = [];
  const check = (setting: string, value: string | undefined, minBits?: number) => {
    const reason = value === undefined ? undefined : weakSecretReason(value, minBits);
    if (reason) problems.push(`${setting}: ${reason}; ${GENERATE_HINT}`);
  };
  const list = (setting: string, values: readonly string[]) =>
    values.forEach((value, index) => check(values.length > 1 ? `${setting} (the ${ordinal(index)} one)` : setting, value));

  list('COOKIE_SECRETS', config.cookieSecrets ?? []);
  list('KEYWARD_ENCRYPTION_KEY', config.encryptionKeys);
  check('METRICS_TOKEN', config.metrics.token);
  for (const upstream of config.federation.upstreams) {
    const setting = upstream.icon === 'google' ? 'GOOGLE_CLIENT_SECRET' : upstream.kind === 'github' ? 'GITHUB_CLIENT_SECRET' : `OIDC_UPSTREAMS "${upstream.id}" client_secret`;
    check(setting, upstream.clientSecret, MIN_ISSUED_SECRET_BITS);
  }
  const urls: [string, string | undefined][] = [['SMTP_URL', config.mail.smtpUrl], ['DATABASE_URL', config.database.kind === 'mongo' ? config.database.url : undefined]];
  for (const [setting, url] of urls) {
    const reason = url === undefined ? undefined : weakUrlPasswordReason(url);
    if (reason) problems.push(`${setting}: ${reason}; set the real password of that account`);
  }
  return problems;
}
