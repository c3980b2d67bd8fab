import { describe, expect, it } from '@jest/globals';
import { SignJWT, generateKeyPair } from 'jose';
import { isJwt } from '../../src/oidc/jwt-access-tokens.ts';

describe('isJwt', () => {
  it('recognises a compact JWS', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const jwt = await new SignJWT({ sub: 'x' }).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt' }).sign(privateKey);
    expect(isJwt(jwt)).toBe(true);
  });

  it.each([
    ['an opaque oidc-provider token', 'xY3_kQ9-abcdefghijklmnopqrstuvwxyz0123456789A'],
    ['two parts', 'eyJhbGciOiJFUzI1NiJ9.e30'],
    ['four parts', 'a.b.c.d'],
    ['three parts whose header is not JSON', 'bm90LWpzb24.e30.sig'],
    ['characters outside base64url', 'eyJhbGciOiJFUzI1NiJ9.e30.si+g/'],
    ['a non-string', 42],
  ])('rejects %s', (_label, value) => {
    expect(isJwt(value)).toBe(false);
  });
});
