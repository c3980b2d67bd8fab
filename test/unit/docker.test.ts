import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { load as parseYaml } from 'js-yaml';
import { freePort } from '../helpers/free-port.ts';
import { childEnv, collect, waitFor } from '../helpers/run-cli.ts';
import { tempDir } from '../helpers/temp-dir.ts';

/** What can be checked of docker/ without a Docker engine. */
describe('docker/', () => {
  const dockerfile = readFileSync('docker/Dockerfile', 'utf8');

  it('builds a multi-stage, non-root Node 24 image with a health check on /healthz', () => {
    expect(dockerfile.match(/^FROM node:24-bookworm-slim/gm)).toHaveLength(2);
    expect(dockerfile).toMatch(/RUN npm ci --omit=dev/);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/HEALTHCHECK[\s\S]*127\.0\.0\.1:3000\/healthz/);
  });

  it('has a compose file that parses: MongoDB replica set initiated, migrate before the replicas, secrets as files', () => {
    const compose = parseYaml(readFileSync('docker/compose.yml', 'utf8')) as {
      services: Record<string, { command?: string[]; healthcheck?: { test: string[] }; environment?: Record<string, string>; secrets?: string[]; depends_on?: Record<string, { condition: string }>; deploy?: { replicas: number } }>;
      secrets: Record<string, { file: string }>;
    };
    // Compose resolves YAML merge keys (`<<: *keyward`); so does this check.
    const merged = (name: string) => {
      const service = compose.services[name] as Record<string, unknown>;
      return { ...(service['<<'] as object | undefined), ...service } as (typeof compose.services)[string];
    };
    const [mongo, migrate, keyward] = [merged('mongo'), merged('migrate'), merged('keyward')];
    expect(mongo!.command).toEqual(['--replSet', 'rs0', '--bind_ip_all']);
    expect(mongo!.healthcheck!.test.join(' ')).toMatch(/rs\.initiate/);
    expect(migrate!.command).toEqual(['node', 'bin/keyward.js', 'migrate']);
    expect(keyward!.depends_on).toEqual({ migrate: { condition: 'service_completed_successfully' } });
    expect(keyward!.deploy!.replicas).toBeGreaterThan(1);
    expect(keyward!.environment).toMatchObject({ NODE_ENV: 'production', TRUST_PROXY: 'true', DATABASE_URL_FILE: '/run/secrets/database_url', COOKIE_SECRETS_FILE: '/run/secrets/cookie_secrets' });
    expect(keyward!.secrets).toEqual(['database_url', 'cookie_secrets', 'smtp_url']);
    for (const secret of Object.values(compose.secrets)) expect(readFileSync(join('docker', `${secret.file}.example`), 'utf8').trim()).not.toBe('');
  });

  it("runs the image's start command on this machine", async () => {
    const command = JSON.parse(/^CMD (\[.*\])$/m.exec(dockerfile)![1]!) as string[];
    expect(command).toEqual(['node', 'bin/keyward.js', 'start']);
    const port = await freePort();
    const child = spawn(process.execPath, command.slice(1), { env: childEnv({ PORT: String(port), DATABASE_URL: `sqlite:${join(tempDir(), 'k.sqlite')}` }), stdio: ['ignore', 'pipe', 'pipe'] });
    const output = collect(child);
    try {
      await waitFor(() => output().stdout, /Keyward is listening/);
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      child.kill('SIGTERM');
      expect((await once(child, 'exit'))[0]).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
