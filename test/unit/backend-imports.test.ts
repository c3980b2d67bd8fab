import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const source = (path: string) => JSON.stringify(fileURLToPath(new URL(`../../src/${path}`, import.meta.url)));

/**
 * Runs openStores in a fresh Node process that records every package it resolves. A module
 * hook sees what the process really loads, through static and dynamic imports alike.
 */
const SCRIPT = `
  import { registerHooks } from 'node:module';
  const loaded = new Set();
  registerHooks({ resolve(specifier, context, next) {
    const result = next(specifier, context);
    const match = /node_modules\\/((?:@[^/]+\\/)?[^/]+)/.exec(result.url);
    if (match) loaded.add(match[1]);
    return result;
  } });
  const { openStores } = await import(${source('container.ts')});
  const { loadConfig } = await import(${source('config/load.ts')});
  const stores = await openStores(loadConfig(JSON.parse(process.env.CONFIG_UNDER_TEST)), { now: () => Date.now() });
  await stores.close();
  process.stdout.write(JSON.stringify([...loaded]));
`;

function packagesLoadedBy(config: Record<string, string>): string[] {
  const env = { PATH: process.env.PATH ?? '', CONFIG_UNDER_TEST: JSON.stringify({ ...config, DEMO_DATA: 'false' }) };
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', SCRIPT], { encoding: 'utf8', env, timeout: 30_000 });
  if (result.status !== 0) throw new Error(result.stderr);
  return JSON.parse(result.stdout) as string[];
}

describe('store backends are loaded only when chosen', () => {
  it('an embedded-store instance never loads mongoose (~20 MiB resident)', () => {
    const loaded = packagesLoadedBy({ DATABASE_URL: 'sqlite::memory:' });
    expect(loaded).toContain('zod');
    expect(loaded).not.toContain('mongoose');
  });

  it('a MongoDB instance does load mongoose', () => {
    // Opening creates the connection object; nothing needs to answer for this test.
    const loaded = packagesLoadedBy({ DATABASE_URL: 'mongodb://127.0.0.1:1/keyward', MONGO_SERVER_SELECTION_TIMEOUT_MS: '200', MONGO_CONNECT_TIMEOUT_MS: '200' });
    expect(loaded).toContain('mongoose');
  });
});
