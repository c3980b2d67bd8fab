import { createHash, randomBytes, randomUUID } from 'node:crypto';

/** A URL-safe random string carrying `bytes` bytes of entropy. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/**
 * SHA-256 of a random token, base64url: what is stored of a bearer token (links, console
 * sessions), so a copy of the store opens nothing; also PKCE's S256 challenge (RFC 7636 §4.2).
 */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

export function newId(): string {
  return randomUUID();
}
