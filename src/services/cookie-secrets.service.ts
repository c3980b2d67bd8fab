import { randomToken } from '../lib/ids.ts';
import type { SecretStore } from '../stores/types.ts';

const COOKIE_SECRETS_NAME = 'cookie-secrets';

/**
 * Cookie signing secrets: the configured ones (first signs, the rest still verify, for
 * rotation), or a pair generated on first start and kept in the store so that every
 * process and every restart signs and verifies alike.
 */
export async function resolveCookieSecrets(configured: readonly string[] | undefined, store: SecretStore): Promise<string[]> {
  if (configured) return [...configured];
  const stored = await store.getOrCreate(COOKIE_SECRETS_NAME, JSON.stringify([randomToken(32)]));
  return JSON.parse(stored) as string[];
}
