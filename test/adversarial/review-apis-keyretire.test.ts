import { afterEach, beforeEach, expect, it } from '@jest/globals';
import type { AdminCall } from '../../src/services/admin/admin-context.ts';
import { openApiServices } from '../../src/services/admin/apis-admin.service.ts';
import { keyRotationPolicy } from '../../src/services/key-rotation.service.ts';
import { createTokenLifetimeMemory } from '../../src/services/token-lifetime-memory.ts';
import { createSqliteStores } from '../../src/stores/sqlite/sqlite-stores.ts';
import type { Stores } from '../../src/stores/types.ts';
import { captureLogger } from '../helpers/capture-logger.ts';
import { FakeClock } from '../helpers/fake-clock.ts';

/**
 * Outside review: a replica started after an API's JWT lifetime was shortened (or the API removed)
 * must still keep the signing key published as long as tokens issued before the change live.
 */
const config = { keys: { refreshSeconds: 60, jwksMaxAgeSeconds: 600, rotationDays: 30 }, ttl: { idToken: 3600, accessToken: 600 } } as never;
const call: AdminCall = { actor: { kind: 'cli', user: 'review' }, origin: {} };
let stores: Stores;
let clock: FakeClock;
beforeEach(async () => {
  clock = new FakeClock(Date.now());
  stores = createSqliteStores({ location: ':memory:', busyTimeoutMs: 0 }, clock);
  await stores.migrate();
});
afterEach(async () => stores.close());

const audit = { record: async () => undefined };
/** What a (re)started process builds: the registry, the admin service and the key rotation policy. */
async function startProcess() {
  const lifetimes = createTokenLifetimeMemory({ secrets: stores.secrets, clock });
  const apis = await openApiServices({ issuer: 'https://id.example', stores, file: { clients: [], apis: [] }, audit, logger: captureLogger().logger, lifetimes, defaultAccessTokenTtl: 600 });
  return { apis, policy: keyRotationPolicy(config, apis.registry, lifetimes) };
}
const retainedMs = async (policy: ReturnType<typeof keyRotationPolicy>) => Math.max(policy.retireAfterMs, (await policy.retainedMs?.()) ?? 0);

it('keeps keys for the JWTs of a shortened or removed API, on a process started after the change', async () => {
  const first = await startProcess();
  const created = await first.apis.admin.create(call, { identifier: 'https://long.example', scopes: {}, access_token_ttl: 86400 });
  expect(await retainedMs(first.policy)).toBe((86400 + 60) * 1000);
  await first.apis.admin.update(call, 'https://long.example', { identifier: 'https://long.example', scopes: {}, access_token_ttl: 60 }, created.revision!);

  const restarted = await startProcess();
  expect(await retainedMs(restarted.policy)).toBe((86400 + 60) * 1000);
  // Once every token of the old lifetime has expired, the usual rule again.
  clock.advance(86400 * 1000 + 1);
  expect(await retainedMs(restarted.policy)).toBe((3600 + 60) * 1000);
});

it('keeps keys for the JWTs of a removed API', async () => {
  const first = await startProcess();
  await first.apis.admin.create(call, { identifier: 'https://gone.example', scopes: {}, access_token_ttl: 7200 });
  await first.apis.admin.remove(call, 'https://gone.example');
  expect(await retainedMs((await startProcess()).policy)).toBe((7200 + 60) * 1000);
});
