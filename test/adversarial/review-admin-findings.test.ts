/**
 * Security review of the admin REST API (commit f5be43a). Each test states the secure behaviour;
 * at f5be43a all three fail, demonstrating the weakness named in its title.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import { adminApiIdentifier } from '../../src/services/apis.service.ts';
import { createVerifiedAccount } from '../helpers/accounts.ts';
import { enrolTotp } from '../helpers/mfa-flow.ts';
import { adminCall, adminServiceClient, adminWebClient, personToken, serviceToken } from '../helpers/admin-api.ts';
import { freePort, postAsClient, startTestKeyward, type TestKeyward } from '../helpers/test-server.ts';

describe('admin API review findings', () => {
  let keyward: TestKeyward;
  let botToken: string;
  let issuer: string;

  beforeAll(async () => {
    const port = await freePort();
    issuer = `http://127.0.0.1:${port}`;
    const bot = adminServiceClient(issuer, 'ops-bot', ['admin:read', 'admin:write']);
    keyward = await startTestKeyward({ port, registry: { clients: [adminWebClient(issuer), bot] } });
    botToken = await serviceToken(keyward, bot);
  });
  afterAll(() => keyward.stop());

  it('F1: taking the admin API out of a client\'s api_scopes ends the admin tokens it already holds', async () => {
    const created = await adminCall(keyward, botToken, 'POST', '/clients', { body: { client_id: 'tmp-bot', kind: 'service', api_scopes: { [adminApiIdentifier(issuer)]: ['admin:read', 'admin:write'] } } });
    expect(created.status).toBe(201);
    const token = await serviceToken(keyward, { client_id: 'tmp-bot', client_secret: created.json.client_secret });
    const etag = (await adminCall(keyward, botToken, 'GET', '/clients/tmp-bot')).headers.get('etag')!;
    expect((await adminCall(keyward, botToken, 'PATCH', '/clients/tmp-bot', { body: { api_scopes: null }, headers: { 'if-match': etag } })).status).toBe(200);
    // At f5be43a: 201, the de-authorised client still creates users until its token expires (300 s).
    const write = await adminCall(keyward, token, 'POST', '/users', { body: { email: 'after-narrow@example.test' } });
    expect(write.status).toBe(401);
  });

  it('F2: an admin cannot remove the last admin (here: demote themself)', async () => {
    const person = { email: 'solo@example.test', password: 'solo-long-password-1' };
    const account = await createVerifiedAccount(keyward, person.email, person.password);
    await keyward.running.container.stores.accounts.setRoles(account.id, ['admin']);
    const token = await personToken(keyward, person, await enrolTotp(keyward, person.email));
    const demote = await adminCall(keyward, token, 'POST', `/users/${account.id}/roles`, { body: { roles: [] } });
    // At f5be43a: 200, and no account has the admin role any more.
    expect(demote.status).toBe(409);
  });

  it('F3: switching a client to a secret auth method through PATCH gives it a secret (or is refused)', async () => {
    const jwk = { ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }), kid: 'k1', use: 'sig', alg: 'ES256' };
    const created = await adminCall(keyward, botToken, 'POST', '/clients', { body: { client_id: 'pkj', kind: 'service', token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [jwk] } } });
    expect(created.status).toBe(201);
    const etag = created.headers.get('etag')!;
    const patched = await adminCall(keyward, botToken, 'PATCH', '/clients/pkj', { body: { token_endpoint_auth_method: 'client_secret_basic', jwks: null }, headers: { 'if-match': etag } });
    // At f5be43a: 200, stored with no client_secret; the token endpoint then answers invalid_client_metadata.
    if (patched.status === 200) {
      const token = await postAsClient(`${issuer}/token`, { client_id: 'pkj', client_secret: 'x'.repeat(43) }, { grant_type: 'client_credentials' });
      expect(token.json.error).not.toBe('invalid_client_metadata');
      expect(patched.json.client_secret).toBe('(hashed)');
    } else {
      expect(patched.status).toBe(400);
    }
  });
});
