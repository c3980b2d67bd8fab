import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { keyward as cli } from '../helpers/cli.ts';
import { FakeClock } from '../helpers/fake-clock.ts';
import { startTestKeyward, type TestKeyward } from '../helpers/test-server.ts';

/** Discovery and JWKS are served from a cache with ETags, and the JWKS cache follows key rotation. */
describe('discovery and JWKS cache', () => {
  let keyward: TestKeyward;
  beforeAll(async () => {
    keyward = await startTestKeyward({ env: { JWKS_MAX_AGE_SECONDS: '1' } });
  });
  afterAll(async () => keyward?.stop());

  for (const path of ['/.well-known/openid-configuration', '/jwks']) {
    it(`answers ${path} with the same body and an ETag, and 304 to If-None-Match`, async () => {
      const first = await fetch(`${keyward.issuer}${path}`);
      const second = await fetch(`${keyward.issuer}${path}`);
      const etag = first.headers.get('etag');
      expect(etag).toMatch(/^"[\w-]{43}"$/);
      expect(second.headers.get('etag')).toBe(etag);
      expect(await second.json()).toEqual(await first.json());
      expect(second.headers.get('content-type')).toMatch(/^application\/(jwk-set\+)?json/);
      const revalidated = await fetch(`${keyward.issuer}${path}`, { headers: { 'if-none-match': etag! } });
      expect(revalidated.status).toBe(304);
      const cors = await fetch(`${keyward.issuer}${path}`, { headers: { origin: 'https://app.example.com' } });
      expect(cors.headers.get('access-control-allow-origin')).toBe('*');
    });
  }

  it('keeps the JWKS Cache-Control on cached answers, and serves the new key set after a rotation', async () => {
    const before = await fetch(`${keyward.issuer}/jwks`);
    expect(before.headers.get('cache-control')).toBe('public, max-age=1');
    const etag = before.headers.get('etag');
    const env = { JWKS_MAX_AGE_SECONDS: '1', DATABASE_URL: `sqlite:${keyward.databaseFile}`, CLIENTS_FILE: String(keyward.running.container.config.clientsFile) };
    expect((await cli(env, ['keys', 'rotate', '--json'], { clock: new FakeClock(Date.now() + 60_000) })).json()).toMatchObject({ outcome: 'rotated' });
    await keyward.running.container.refreshKeys();
    const after = await fetch(`${keyward.issuer}/jwks`);
    expect(after.headers.get('cache-control')).toBe('public, max-age=1');
    expect(after.headers.get('etag')).not.toBe(etag);
    const kids = ((await after.json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
    const stored = await keyward.running.container.stores.signingKeys.list();
    expect(kids.sort()).toEqual(stored.map((k) => k.kid).sort());
  });
});
