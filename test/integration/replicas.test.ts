import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DEMO_ACCOUNT } from '../../src/services/demo-data.service.ts';
import { freePort } from '../helpers/free-port.ts';
import { childEnv, collect, KEYWARD_BIN, waitFor } from '../helpers/run-cli.ts';
import { grantAll, postAsClient, TEST_API, TEST_RESOURCE_SERVER, TEST_WEB_CLIENT } from '../helpers/test-server.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { csrfTokenIn, locationOf, signInAndConsent, UserAgent } from '../helpers/user-agent.ts';

/** Two Keyward processes on one store behind one issuer, as stateless replicas. */
describe('stateless replicas', () => {
  const children: ChildProcess[] = [];
  let issuer: string;
  let a: string;
  let b: string;

  beforeAll(async () => {
    const dir = tempDir();
    const clientsFile = join(dir, 'clients.json');
    writeFileSync(clientsFile, JSON.stringify({ apis: [{ ...TEST_API, default: true }], clients: [grantAll(TEST_WEB_CLIENT, TEST_API), TEST_RESOURCE_SERVER] }));
    const [portA, portB] = [await freePort(), await freePort()];
    issuer = `http://127.0.0.1:${portA}`;
    a = issuer;
    b = `http://127.0.0.1:${portB}`;
    const env = { ISSUER: issuer, DATABASE_URL: `sqlite:${join(dir, 'shared.sqlite')}`, CLIENTS_FILE: clientsFile, DEMO_DATA: 'true', THROTTLE_SIGN_IN_PER_ACCOUNT: '2' };
    // Both start at once on an empty store: they must agree on one schema and one key set.
    const started = [portA, portB].map((port) => {
      const child = spawn(process.execPath, [KEYWARD_BIN, 'start'], { env: childEnv({ ...env, PORT: String(port) }), stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(child);
      const output = collect(child);
      return waitFor(() => output().stdout, /Keyward is listening/, 20_000);
    });
    await Promise.all(started);
  });
  afterAll(() => {
    for (const child of children) child.kill('SIGKILL');
  });

  it('completes one flow across both: authorize on A, redeem on B, refresh on A, introspect on either', async () => {
    const verifier = randomBytes(32).toString('base64url');
    const authorize = new URL(`${a}/auth`);
    authorize.search = new URLSearchParams({
      client_id: TEST_WEB_CLIENT.client_id, response_type: 'code', scope: 'openid orders:read', redirect_uri: TEST_WEB_CLIENT.redirect_uris[0],
      code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256',
    }).toString();
    const callback = await signInAndConsent(new UserAgent(), authorize, DEMO_ACCOUNT);
    const redeemed = await postAsClient(`${b}/token`, TEST_WEB_CLIENT, { grant_type: 'authorization_code', code: callback.searchParams.get('code')!, redirect_uri: TEST_WEB_CLIENT.redirect_uris[0], code_verifier: verifier });
    expect(redeemed.status).toBe(200);
    const refreshed = await postAsClient(`${a}/token`, TEST_WEB_CLIENT, { grant_type: 'refresh_token', refresh_token: String(redeemed.json.refresh_token) });
    expect(refreshed.status).toBe(200);
    for (const replica of [a, b]) {
      const introspection = await postAsClient(`${replica}/token/introspection`, TEST_RESOURCE_SERVER, { token: String(refreshed.json.access_token) });
      expect(introspection.json).toMatchObject({ active: true, client_id: TEST_WEB_CLIENT.client_id, iss: issuer });
    }
  });

  it('throttles on B a sign-in that failed too often on A', async () => {
    const attempt = async (replica: string) => {
      const agent = new UserAgent();
      const url = new URL(`${replica}/auth`);
      url.search = new URLSearchParams({ client_id: TEST_WEB_CLIENT.client_id, response_type: 'code', scope: 'openid', redirect_uri: TEST_WEB_CLIENT.redirect_uris[0], code_challenge: 'a'.repeat(43), code_challenge_method: 'S256' }).toString();
      const login = locationOf(await agent.get(url), replica);
      const page = await (await agent.get(new URL(login.pathname, replica))).text();
      return agent.postForm(new URL(`${login.pathname}/login`, replica), { _csrf: csrfTokenIn(page), email: 'target@example.com', password: 'wrong password' });
    };
    expect((await attempt(a)).status).toBe(401);
    expect((await attempt(a)).status).toBe(401);
    const onB = await attempt(b);
    expect(onB.status).toBe(429);
    expect(Number(onB.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});
