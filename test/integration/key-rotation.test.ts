import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { keyward } from '../helpers/cli.ts';
import { FakeClock } from '../helpers/fake-clock.ts';
import { completeCodeFlow, discoverTestClient } from '../helpers/relying-party.ts';
import { freePort, grantAll, postAsClient, startTestKeyward, TEST_API, TEST_RESOURCE_SERVER, TEST_SERVICE_CLIENT, TEST_WEB_CLIENT, type TestKeyward } from '../helpers/test-server.ts';
import { tempDir } from '../helpers/temp-dir.ts';

/** Staged rotation across two replicas on one store, driven by the CLI. */
describe('signing key rotation', () => {
  const running: TestKeyward[] = [];
  afterAll(async () => {
    for (const server of running) await server.stop();
  });

  it('keeps old tokens valid, signs new ones with the promoted key, reaches the other replica by itself, and retires only after the longest token lifetime', async () => {
    const databaseFile = join(tempDir(), 'rotation.sqlite');
    const port = await freePort();
    const issuer = `http://127.0.0.1:${port}`;
    const env = { ISSUER: issuer, KEY_REFRESH_SECONDS: '1', JWKS_MAX_AGE_SECONDS: '1', ID_TOKEN_TTL: '60', ACCESS_TOKEN_TTL: '60' };
    const registry = { apis: [TEST_API], clients: [TEST_RESOURCE_SERVER, grantAll(TEST_SERVICE_CLIENT, TEST_API)] };
    const a = await startTestKeyward({ databaseFile, port, env, registry });
    const b = await startTestKeyward({ databaseFile, env, registry });
    running.push(a, b);
    const cliEnv = { ...env, DATABASE_URL: `sqlite:${databaseFile}`, CLIENTS_FILE: String(a.running.container.config.clientsFile) };
    const jwksOf = async (server: TestKeyward) => {
      const response = await fetch(`http://127.0.0.1:${server.port}/jwks`);
      return { keys: (await response.json()) as JSONWebKeySet, cacheControl: response.headers.get('cache-control') };
    };
    const apiToken = async (server: TestKeyward) =>
      String((await postAsClient(`http://127.0.0.1:${server.port}/token`, TEST_SERVICE_CLIENT, { grant_type: 'client_credentials', resource: TEST_API.identifier })).json.access_token);

    // Before: tokens signed by the current keys.
    const before = await jwksOf(a);
    expect(before.cacheControl).toBe('public, max-age=1');
    const idTokenBefore = (await completeCodeFlow(await discoverTestClient(issuer))).id_token!;
    const accessTokenBefore = await apiToken(a);
    const kidBefore = decodeProtectedHeader(accessTokenBefore).kid!;
    const nextKid = (await a.running.container.stores.signingKeys.list()).find((k) => k.state === 'next' && k.alg === 'RS256')!.kid;

    // Rotate with the CLI (its clock a little ahead: the next keys were published long enough ago).
    const rotatedAt = Date.now() + 3_000;
    const rotation = await keyward(cliEnv, ['keys', 'rotate', '--json'], { clock: new FakeClock(rotatedAt) });
    expect(rotation.json()).toMatchObject({ outcome: 'rotated' });
    // Right after, the new next keys are too young for caches: a second rotation is refused.
    const tooSoon = await keyward(cliEnv, ['keys', 'rotate', '--json'], { clock: new FakeClock(rotatedAt) });
    expect(tooSoon.code).toBe(1);
    expect(tooSoon.json()).toMatchObject({ outcome: 'too_soon' });

    // Replica B picks the rotation up by itself within its refresh period (bounded wait).
    const deadline = Date.now() + 5_000;
    while (decodeProtectedHeader(await apiToken(b)).kid !== nextKid) {
      if (Date.now() > deadline) throw new Error('replica B did not pick up the rotation within 5 s');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await a.running.container.refreshKeys();

    // After: new tokens use the promoted key, on both replicas; old tokens still verify and introspect.
    expect(decodeProtectedHeader(await apiToken(a)).kid).toBe(nextKid);
    const after = await jwksOf(b);
    const verifyWith = (jwks: JSONWebKeySet, token: string, audience: string) => jwtVerify(token, createLocalJWKSet(jwks), { issuer, audience });
    await expect(verifyWith(after.keys, idTokenBefore, TEST_WEB_CLIENT.client_id)).resolves.toBeDefined();
    await expect(verifyWith(after.keys, accessTokenBefore, TEST_API.identifier)).resolves.toBeDefined();
    const introspection = await postAsClient(`http://127.0.0.1:${b.port}/token/introspection`, TEST_RESOURCE_SERVER, { token: accessTokenBefore });
    expect(introspection.json).toMatchObject({ active: true });

    // Retiring: not before the longest token lifetime (60 s) + refresh (1 s) has passed since the rotation.
    const early = await keyward(cliEnv, ['keys', 'retire', '--json'], { clock: new FakeClock(rotatedAt + 60_000) });
    expect(early.json()).toEqual({ retired: [] });
    await a.running.container.refreshKeys();
    expect((await jwksOf(a)).keys.keys.map((k) => k.kid)).toContain(kidBefore);
    const late = await keyward(cliEnv, ['keys', 'retire', '--json'], { clock: new FakeClock(rotatedAt + 61_000) });
    expect(late.json<{ retired: string[] }>().retired).toContain(kidBefore);
    await a.running.container.refreshKeys();
    expect((await jwksOf(a)).keys.keys.map((k) => k.kid)).not.toContain(kidBefore);
  });

  it('rotates on the configured schedule by itself', async () => {
    const clock = new FakeClock(Date.now());
    const server = await startTestKeyward({ clock, env: { KEY_ROTATION_DAYS: '1', JWKS_MAX_AGE_SECONDS: '1' } });
    running.push(server);
    const currentKids = async () => (await server.running.container.stores.signingKeys.list()).filter((k) => k.state === 'current').map((k) => k.kid).sort();
    const before = await currentKids();
    await server.running.container.refreshKeys();
    expect(await currentKids()).toEqual(before);
    clock.advance(86_400_000);
    expect(await server.running.container.refreshKeys()).toBe(true);
    const after = await currentKids();
    expect(after).toHaveLength(3);
    expect(after.some((kid) => before.includes(kid))).toBe(false);
  });
});
