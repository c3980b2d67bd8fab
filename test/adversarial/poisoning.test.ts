import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { clientMetadataSchema } from '../../src/services/clients.service.ts';
import { rawRequest } from '../helpers/raw-http.ts';
import { startTestKeyward, type TestKeyward } from '../helpers/test-server.ts';

/**
 * Poisoning: an attacker controls Host and X-Forwarded-* of their own requests. Nothing Keyward
 * publishes or compares may follow them (DESIGN.md, Layering rule 7).
 */
const METADATA = ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server'];
const LYING_HEADERS: Record<string, string>[] = [
  { host: 'attacker.example:8443' },
  { 'x-forwarded-host': 'attacker.example:8443', 'x-forwarded-proto': 'https' },
  { host: 'attacker.example', 'x-forwarded-host': 'attacker.example:8443', 'x-forwarded-proto': 'http' },
];

describe.each([['false'], ['true']])('metadata with TRUST_PROXY=%s', (trustProxy) => {
  let keyward: TestKeyward;
  beforeAll(async () => {
    keyward = await startTestKeyward({ env: { TRUST_PROXY: trustProxy } });
  });
  afterAll(async () => keyward?.stop());

  it.each(METADATA)('answers %s for the issuer, whoever asked first and whatever they claimed', async (path) => {
    for (const headers of LYING_HEADERS) {
      const poisoned = await rawRequest(`${keyward.issuer}${path}`, { headers });
      expect(poisoned.status).toBe(200);
      expect(poisoned.body).not.toContain('attacker.example');
      expect(JSON.parse(poisoned.body)).toMatchObject({ issuer: keyward.issuer, token_endpoint: `${keyward.issuer}/token`, jwks_uri: `${keyward.issuer}/jwks` });
    }
    const plain = await fetch(`${keyward.issuer}${path}`);
    const text = await plain.text();
    expect(text).not.toContain('attacker.example');
    for (const value of Object.values(JSON.parse(text) as Record<string, unknown>)) {
      if (typeof value === 'string' && /^https?:\/\//.test(value)) expect(value.startsWith(keyward.issuer)).toBe(true);
    }
  });

  it('redirects from /auth to sign-in pages on the issuer, not on the claimed host', async () => {
    const response = await rawRequest(`${keyward.issuer}/auth?client_id=keyward-demo&response_type=code&scope=openid&redirect_uri=${encodeURIComponent(`${keyward.issuer}/demo/callback`)}&code_challenge=${'a'.repeat(43)}&code_challenge_method=S256`, { headers: LYING_HEADERS[1]! });
    expect(response.status).toBe(303);
    expect(String(response.headers.location)).not.toContain('attacker.example');
  });
});

describe('an absolute URL in the request line (RFC 9112 §3.2.2), as the first request after start', () => {
  let keyward: TestKeyward;
  beforeAll(async () => {
    keyward = await startTestKeyward();
  });
  afterAll(async () => keyward?.stop());

  it.each(METADATA)('answers %s for the issuer when the request line carries an absolute URL of another host', async (path) => {
    const poisoned = await rawRequest(`${keyward.issuer}${path}`, { requestTarget: `http://evil.example${path}` });
    expect(poisoned.body).not.toContain('evil.example');
    const plain = await (await fetch(`${keyward.issuer}${path}`)).text();
    expect(plain).not.toContain('evil.example');
    expect(JSON.parse(plain)).toMatchObject({ token_endpoint: `${keyward.issuer}/token`, jwks_uri: `${keyward.issuer}/jwks` });
  });

});

describe('private_key_jwt client assertions (RFC 7523 §3)', () => {
  let keyward: TestKeyward;
  let privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  beforeAll(async () => {
    const pair = await generateKeyPair('ES256', { extractable: true });
    privateKey = pair.privateKey;
    const { kty, crv, x, y } = await exportJWK(pair.publicKey);
    const jwk = { kty, crv, x, y, kid: 'job-key', alg: 'ES256', use: 'sig' };
    keyward = await startTestKeyward({ env: { TRUST_PROXY: 'true' } });
    // Through the client store, as `keyward clients add` stores clients: a clients-file client with
    // `jwks` cannot run under jest, whose structuredClone (oidc-provider clones static clients)
    // makes objects of another realm that oidc-provider's plain-object check refuses.
    const metadata = clientMetadataSchema.parse({ client_id: 'signed-job', kind: 'service', token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [jwk] } });
    await keyward.running.container.stores.clients.create('signed-job', metadata);
  });
  afterAll(async () => keyward?.stop());

  const assertion = (aud: string) => new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: 'job-key' })
    .setIssuer('signed-job').setSubject('signed-job').setAudience(aud).setIssuedAt().setExpirationTime('1m').setJti(crypto.randomUUID()).sign(privateKey);
  const tokenRequest = async (aud: string, headers: Record<string, string> = {}) => rawRequest(`${keyward.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...headers },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: await assertion(aud),
    }).toString(),
  });

  it('accepts the issuer and the issuer\'s token endpoint as audience', async () => {
    const first = await tokenRequest(keyward.issuer);
    expect(first.body).toContain('access_token');
    expect(first.status).toBe(200);
    expect((await tokenRequest(`${keyward.issuer}/token`)).status).toBe(200);
  });

  it('refuses an audience that only the request\'s Host or X-Forwarded-Host would vouch for', async () => {
    const viaHost = await tokenRequest('http://evil.example/token', { host: 'evil.example' });
    expect(viaHost.status).toBe(401);
    expect(JSON.parse(viaHost.body)).toMatchObject({ error: 'invalid_client' });
    const viaProxy = await tokenRequest('https://evil.example/token', { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' });
    expect(viaProxy.status).toBe(401);
  });

  it('refuses an assertion minted for another endpoint of this server', async () => {
    expect((await tokenRequest(`${keyward.issuer}/token/introspection`)).status).toBe(401);
  });
});
