import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../src/config/load.ts';
import { ConfigError } from '../../src/errors/app-error.ts';

const load = (env: Record<string, string>) => loadConfig(env, false);

function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    load(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('starts from documented defaults with an empty environment', () => {
    const config = load({});
    expect(config.env).toBe('development');
    expect(config.http.port).toBe(3000);
    expect(config.issuer).toBe('http://localhost:3000');
    expect(config.database).toMatchObject({ kind: 'sqlite', location: './data/keyward.sqlite' });
    expect(config.ttl.accessToken).toBe(600);
    expect(config.demoData).toBe(true);
    expect(config.cookieSecrets).toBeUndefined();
    expect(config.argon2).toEqual({ memoryKiB: 19_456, timeCost: 2, parallelism: 1 });
  });

  it('returns a frozen object', () => {
    const config = load({});
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.ttl)).toBe(true);
  });

  it('reports every problem at once', () => {
    const problems = problemsOf({ PORT: 'eighty', ISSUER: 'ftp://x', LOG_LEVEL: 'loud', ACCESS_TOKEN_TTL: '-5' });
    expect(problems).toHaveLength(4);
    expect(problems.join('\n')).toMatch(/PORT/);
    expect(problems.join('\n')).toMatch(/ISSUER/);
    expect(problems.join('\n')).toMatch(/LOG_LEVEL/);
    expect(problems.join('\n')).toMatch(/ACCESS_TOKEN_TTL/);
  });

  it('formats the problems as one readable message without a stack', () => {
    try {
      load({ PORT: 'x', DATABASE_URL: 'postgres://db' });
      throw new Error('expected a ConfigError');
    } catch (error) {
      expect((error as Error).message).toMatch(/^Invalid configuration:\n {2}- /);
      expect((error as Error).message).toMatch(/DATABASE_URL/);
      expect((error as Error).message).not.toMatch(/ at .*\.ts:\d+/);
    }
  });

  it('reads a secret from NAME_FILE', () => {
    const dir = mkdtempSync(join(tmpdir(), 'keyward-config-'));
    const file = join(dir, 'cookie-secrets');
    writeFileSync(file, `${'a'.repeat(40)},${'b'.repeat(40)}\n`);
    expect(load({ COOKIE_SECRETS_FILE: file }).cookieSecrets).toEqual(['a'.repeat(40), 'b'.repeat(40)]);
  });

  it('refuses a secret given both directly and as a file, and an unreadable file', () => {
    expect(problemsOf({ COOKIE_SECRETS: 'x'.repeat(40), COOKIE_SECRETS_FILE: '/nonexistent' })[0]).toMatch(/either COOKIE_SECRETS or COOKIE_SECRETS_FILE/);
    expect(problemsOf({ COOKIE_SECRETS_FILE: '/nonexistent/secret' })[0]).toMatch(/cannot read \/nonexistent\/secret \(ENOENT\)/);
  });

  it('refuses short cookie secrets', () => {
    expect(problemsOf({ COOKIE_SECRETS: 'short' })[0]).toMatch(/at least 32 characters/);
  });

  describe('upstream identity providers', () => {
    it('reads Google, GitHub and generic upstreams, with secrets from files', () => {
      const dir = mkdtempSync(join(tmpdir(), 'keyward-upstreams-'));
      writeFileSync(join(dir, 'google'), 'google-secret\n');
      writeFileSync(join(dir, 'corp'), 'corp-secret\n');
      const config = load({
        GOOGLE_CLIENT_ID: 'g', GOOGLE_CLIENT_SECRET_FILE: join(dir, 'google'),
        GITHUB_CLIENT_ID: 'h', GITHUB_CLIENT_SECRET: 'github-secret',
        OIDC_UPSTREAMS: JSON.stringify([{ id: 'corp', name: 'Corp', issuer: 'https://sso.corp.example', client_id: 'c', client_secret_file: join(dir, 'corp') }]),
      });
      expect(config.federation.upstreams.map((u) => [u.id, u.kind, u.clientSecret])).toEqual([
        ['google', 'oidc', 'google-secret'], ['github', 'github', 'github-secret'], ['corp', 'oidc', 'corp-secret'],
      ]);
    });

    it('reports half-configured and malformed upstreams', () => {
      const problems = problemsOf({ GOOGLE_CLIENT_ID: 'g', OIDC_UPSTREAMS: JSON.stringify([{ id: 'Bad Id', name: 'x', issuer: 'nope', client_id: 'c' }]) });
      expect(problems.join('\n')).toMatch(/GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET \(or _FILE\) go together/);
      expect(problems.join('\n')).toMatch(/OIDC_UPSTREAMS\[0\.id\]/);
      expect(problemsOf({ OIDC_UPSTREAMS: '{' })).toEqual(['OIDC_UPSTREAMS: must be a JSON array']);
    });
  });

  describe('in production', () => {
    const secure = { NODE_ENV: 'production', ISSUER: 'https://id.example.com', COOKIE_SECRETS: randomBytes(32).toString('base64'), SMTP_URL: 'smtps://user:pass@smtp.example.com', TRUST_PROXY: 'true' };

    it('keeps demo data to a loopback issuer, in development too', () => {
      expect(load({ NODE_ENV: 'development', ISSUER: 'https://id.example.com' }).demoData).toBe(false);
      expect(load({ NODE_ENV: 'development', ISSUER: 'http://127.0.0.1:3000' }).demoData).toBe(true);
      expect(problemsOf({ NODE_ENV: 'development', ISSUER: 'https://id.example.com', DEMO_DATA: 'true' })).toEqual([expect.stringMatching(/^DEMO_DATA: the demo user has a published password/)]);
      // Reachable from the network through HOST, whatever the issuer says: no demo user either.
      expect(load({ NODE_ENV: 'development' }).http.host).toBe('127.0.0.1');
      expect(load({ NODE_ENV: 'development', HOST: '0.0.0.0' }).demoData).toBe(false);
      expect(problemsOf({ NODE_ENV: 'development', HOST: '0.0.0.0', DEMO_DATA: 'true' })).toEqual([expect.stringMatching(/^DEMO_DATA: .* loopback ISSUER and HOST/)]);
    });

    it('accepts an https issuer with cookie secrets and turns demo data off', () => {
      const config = load(secure);
      expect(config.demoData).toBe(false);
      expect(config.http.host).toBe('0.0.0.0');
      expect(config.log.pretty).toBe(false);
    });

    it('refuses an http issuer, missing cookie secrets, demo data and missing SMTP, all together', () => {
      const problems = problemsOf({ NODE_ENV: 'production', ISSUER: 'http://id.example.com', DEMO_DATA: 'true' });
      expect(problems).toEqual([
        expect.stringMatching(/^DEMO_DATA: the demo user has a published password/),
        expect.stringMatching(/^ISSUER: must be an https/),
        expect.stringMatching(/^COOKIE_SECRETS: required in production/),
        expect.stringMatching(/^DEMO_DATA: /),
        expect.stringMatching(/^SMTP_URL: required in production/),
      ]);
    });

    it('refuses a mail folder (it would keep live links on disk), and logs links only in development', () => {
      expect(problemsOf({ ...secure, MAIL_DIRECTORY: '/var/keyward/mail' })).toEqual([expect.stringMatching(/^MAIL_DIRECTORY: not allowed in production/)]);
      expect(load(secure).mail.logLinks).toBe(false);
      expect(load({ NODE_ENV: 'test' }).mail.logLinks).toBe(false);
      expect(load({ NODE_ENV: 'development' }).mail.logLinks).toBe(true);
    });

    it('requires TRUST_PROXY with an https issuer, so that cookies can be marked Secure', () => {
      expect(problemsOf({ ...secure, TRUST_PROXY: 'false' })).toEqual([expect.stringMatching(/^TRUST_PROXY: must be true in production/)]);
    });

    it('accepts an http issuer only when explicitly allowed', () => {
      expect(load({ ...secure, ISSUER: 'http://id.internal', ALLOW_HTTP_ISSUER: 'true' }).issuer).toBe('http://id.internal');
    });

    it('refuses every secret setting that is a shipped value, a placeholder or low-entropy, naming the setting and how to make one', () => {
      const strong = () => randomBytes(32).toString('base64');
      const weak = {
        COOKIE_SECRETS: `${strong()},${'s'.repeat(40)}`,
        METRICS_ENABLED: 'true', METRICS_TOKEN: 'replace-with-at-least-32-random-characters-0000',
        GOOGLE_CLIENT_ID: 'g', GOOGLE_CLIENT_SECRET: 'changeme',
        GITHUB_CLIENT_ID: 'h', GITHUB_CLIENT_SECRET: 'x'.repeat(40),
        OIDC_UPSTREAMS: JSON.stringify([{ id: 'corp', name: 'Corp', issuer: 'https://sso.corp.example', client_id: 'c', client_secret: 'secret-secret-secret' }]),
        KEYWARD_ENCRYPTION_KEY: `${'k'.repeat(32)},${strong()}`,
        DATABASE_URL: 'mongodb://keyward:changeme@db1:27017,db2:27017/keyward?replicaSet=rs0',
        SMTP_URL: 'smtp://user:password@smtp.example.com:587',
      };
      const problems = problemsOf({ ...secure, ...weak });
      expect(problems).toEqual([
        expect.stringMatching(/^COOKIE_SECRETS \(the 2nd one\): is too predictable \(about 0 bits .*\); generate a real one with `openssl rand -base64 32`$/),
        expect.stringMatching(/^KEYWARD_ENCRYPTION_KEY \(the 1st one\): is too predictable/),
        expect.stringMatching(/^METRICS_TOKEN: is a value shipped in the Keyward repository .*`openssl rand -base64 32`$/),
        expect.stringMatching(/^GOOGLE_CLIENT_SECRET: looks like a placeholder \(it contains "change"\)/),
        expect.stringMatching(/^GITHUB_CLIENT_SECRET: is too predictable/),
        expect.stringMatching(/^OIDC_UPSTREAMS "corp" client_secret: looks like a placeholder \(it contains "secret"\)/),
        expect.stringMatching(/^SMTP_URL: carries a password shipped in the Keyward repository/),
        expect.stringMatching(/^DATABASE_URL: carries a placeholder password/),
      ]);
      for (const problem of problems) expect(problem).not.toMatch(/ssssssss|kkkkkkkk|changeme|replace-with|secret-secret|:password@/);
      // Development and test accept the same values.
      expect(() => load({ ...weak, GOOGLE_CLIENT_SECRET: 'changeme' })).not.toThrow();
      expect(() => load({ ...weak, NODE_ENV: 'test' })).not.toThrow();
    });
  });
});
