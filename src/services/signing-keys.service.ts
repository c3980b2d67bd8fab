import { createPublicKey, generateKeyPair, type JsonWebKey, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { calculateJwkThumbprint, type JWK } from 'jose';
import type { Clock } from '../lib/clock.ts';
import type { KeyState, SigningKeyStore, StoredSigningKey } from '../stores/types.ts';

const generate = promisify(generateKeyPair);

async function toPrivateJwk(privateKey: KeyObject, alg: StoredSigningKey['alg']): Promise<StoredSigningKey['privateJwk']> {
  const jwk = privateKey.export({ format: 'jwk' }) as JWK;
  // RFC 7638 thumbprints as key ids: stable, unique and derived from the public part only.
  const kid = await calculateJwkThumbprint(jwk, 'sha256');
  return { ...jwk, kid, alg, use: 'sig' };
}

/**
 * A fresh key set in `state`: ES256 for access tokens (cheap to sign), RS256 for ID tokens (the
 * OpenID Connect default every relying party accepts, OIDC Core §15.1), and EdDSA (Ed25519)
 * for clients that register it.
 */
export async function generateSigningKeys(clock: Clock, state: KeyState): Promise<StoredSigningKey[]> {
  const [ec, rsa, ed] = await Promise.all([generate('ec', { namedCurve: 'P-256' }), generate('rsa', { modulusLength: 2048 }), generate('ed25519')]);
  const now = clock.now();
  const keys: StoredSigningKey[] = [];
  for (const [privateKey, alg] of [[ec.privateKey, 'ES256'], [rsa.privateKey, 'RS256'], [ed.privateKey, 'EdDSA']] as const) {
    const privateJwk = await toPrivateJwk(privateKey, alg);
    keys.push({ kid: String(privateJwk.kid), alg, privateJwk, createdAt: now, state, stateSince: now });
  }
  return keys;
}

/**
 * The signing keys every Keyward process uses: those in the store, or, on the very first
 * start, a current set and a next set (published now, so the first rotation is safe at once
 * for caches) that the store keeps; the first process to commit wins.
 */
export async function loadSigningKeys(store: SigningKeyStore, clock: Clock): Promise<StoredSigningKey[]> {
  const stored = await store.list();
  if (stored.length > 0) return stored;
  const [current, next] = await Promise.all([generateSigningKeys(clock, 'current'), generateSigningKeys(clock, 'next')]);
  return store.initialiseIfEmpty([...current, ...next]);
}

const SIGNING_ORDER: Record<KeyState, number> = { current: 0, next: 1, previous: 2 };

/**
 * The private keys for oidc-provider, current ones first: it signs with the first key that
 * fits the algorithm and verifies with any (its docs, #jwks, on staged rotation).
 */
export function providerKeys(keys: readonly StoredSigningKey[]): Record<string, unknown>[] {
  return [...keys].sort((a, b) => SIGNING_ORDER[a.state] - SIGNING_ORDER[b.state]).map((key) => key.privateJwk);
}

/** The public halves, as published at /jwks (what verifiers of Keyward's tokens use). */
export function publicJwks(keys: readonly StoredSigningKey[]): { keys: JWK[] } {
  return {
    keys: keys.map(({ privateJwk, kid, alg }) => {
      const publicJwk = createPublicKey({ key: privateJwk as JsonWebKey, format: 'jwk' }).export({ format: 'jwk' }) as JWK;
      return { ...publicJwk, kid, alg, use: 'sig' };
    }),
  };
}

/** Changes whenever a key is added, removed or changes state: what replicas poll for. */
export function keySetFingerprint(keys: readonly StoredSigningKey[]): string {
  return keys.map((key) => `${key.kid}:${key.state}`).sort().join(',');
}
