import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { KNOWN_SECRETS } from '../../src/config/known-secrets.ts';
import { loadConfig } from '../../src/config/load.ts';
import { SECRET_VARIABLES } from '../../src/config/schema.ts';
import { urlPassword } from '../../src/config/secret-strength.ts';
import { buildContainer } from '../../src/container.ts';
import { ConfigError, StartupError } from '../../src/errors/app-error.ts';
import { parseClientsFile } from '../../src/services/clients.service.ts';
import { tempDir } from '../helpers/temp-dir.ts';

/**
 * Every secret that ships in the repository is refused in production: a copied example file
 * must never start a production Keyward. A new example secret fails here until it is added to
 * src/config/known-secrets.ts.
 */
const random = () => randomBytes(32).toString('base64');
const production = (extra: Record<string, string> = {}) => ({
  NODE_ENV: 'production', ISSUER: 'https://id.example.com', TRUST_PROXY: 'true',
  COOKIE_SECRETS: random(), SMTP_URL: `smtps://mailer:${randomBytes(16).toString('hex')}@smtp.example.com:465`, ...extra,
});
const problemsOf = (env: Record<string, string>): readonly string[] => {
  try {
    loadConfig(env, false);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
};

/** The secret values in an example file: comma-separated for COOKIE_SECRETS, the password for a URL, else the whole value. */
function secretsIn(name: string, text: string): string[] {
  const value = text.trim();
  if (name === 'COOKIE_SECRETS') return value.split(',').map((s) => s.trim()).filter(Boolean);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return [value, urlPassword(value)].filter((s): s is string => Boolean(s));
  return [value];
}

const exampleFiles = readdirSync('docker/secrets').filter((file) => file.endsWith('.example'));
const clientsFiles = ['config/clients.example.json', 'docker/clients.json'];

describe('secrets shipped in the repository', () => {
  it.each(exampleFiles)('docker/secrets/%s: every secret in it is listed and refused in production', (file) => {
    const variable = file.replace(/\.example$/, '').toUpperCase();
    expect(SECRET_VARIABLES).toContain(variable);
    const text = readFileSync(join('docker/secrets', file), 'utf8');
    const secrets = secretsIn(variable, text);
    if (variable === 'DATABASE_URL' && secrets.length === 1) {
      // A database URL without credentials holds no secret (the compose file's MongoDB has no users).
      expect(urlPassword(secrets[0]!)).toBeUndefined();
      return;
    }
    expect(secrets.length).toBeGreaterThan(0);
    for (const secret of secrets) expect([secret, KNOWN_SECRETS.has(secret)]).toEqual([secret, true]);
    const problems = problemsOf(production({ [variable]: text.trim() }));
    expect(problems).toContainEqual(expect.stringMatching(new RegExp(`^${variable}: .*(shipped in the Keyward repository|placeholder)`)));
  });

  it('.env.example: every secret value it shows is listed', () => {
    const lines = readFileSync('.env.example', 'utf8').split('\n');
    for (const line of lines) {
      const match = /^#?\s*([A-Z_]+)=(\S+)/.exec(line);
      if (!match || !(SECRET_VARIABLES as readonly string[]).includes(match[1]!)) continue;
      const password = urlPassword(match[2]!);
      if (/^[a-z]+:/.test(match[2]!) && password === undefined) continue; // a URL without credentials (sqlite:…)
      for (const secret of secretsIn(match[1]!, match[2]!)) expect([line, KNOWN_SECRETS.has(secret)]).toEqual([line, true]);
    }
  });

  it.each(clientsFiles)('%s: every client_secret is listed and refused in production, allowed in development', (file) => {
    const text = readFileSync(file, 'utf8');
    const secrets = (JSON.parse(text) as { clients: { client_secret?: string }[] }).clients.flatMap((client) => (client.client_secret ? [client.client_secret] : []));
    expect(secrets.length).toBeGreaterThan(0);
    for (const secret of secrets) expect([secret, KNOWN_SECRETS.has(secret)]).toEqual([secret, true]);
    expect(() => parseClientsFile(text, file)).not.toThrow();
    expect(() => parseClientsFile(text, file, { production: true })).toThrow(
      /client "nightly-job", field client_secret: is a value shipped in the Keyward repository .*; generate a real one with `openssl rand -base64 32`/,
    );
  });

  it('a production start with the example clients file stops before any client can get a token', async () => {
    const env = production({ DATABASE_URL: `sqlite:${join(tempDir(), 'k.sqlite')}`, CLIENTS_FILE: 'config/clients.example.json', ARGON2_MEMORY_KIB: '1024', ARGON2_TIME_COST: '1', LOG_LEVEL: 'silent' });
    const started = buildContainer(loadConfig(env, false), { migrate: true });
    await expect(started).rejects.toThrow(StartupError);
    await expect(started).rejects.toThrow(/client "my-web-app", field client_secret: .*client "nightly-job", field client_secret: .*client "example-api", field client_secret: /);
  });

  it('development and test keep accepting the example values', () => {
    const cookie = readFileSync('docker/secrets/cookie_secrets.example', 'utf8').trim();
    expect(loadConfig({ NODE_ENV: 'development', COOKIE_SECRETS: cookie, METRICS_TOKEN: 'x'.repeat(40) }, false).cookieSecrets).toEqual([cookie]);
    expect(loadConfig({ NODE_ENV: 'test', COOKIE_SECRETS: cookie }, false).cookieSecrets).toEqual([cookie]);
  });
});
