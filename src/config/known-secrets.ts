/**
 * Every secret-looking value that ships in this repository (example files, documentation,
 * fixtures). Anyone can read them, so production refuses each of them as a secret, whatever
 * its estimated entropy. test/unit/shipped-secrets.test.ts reads docker/secrets/*.example,
 * the clients files and .env.example and fails when one of their secrets is missing here:
 * add the new value to this list in the same change.
 */
export const KNOWN_SECRETS: ReadonlySet<string> = new Set([
  // docker/secrets/cookie_secrets.example
  'replace-with-at-least-32-random-characters-0000',
  // config/clients.example.json and docker/clients.json (every client_secret)
  'replace-me-with-at-least-32-random-characters',
  // docker/secrets/smtp_url.example and .env.example: the URLs and the password inside them
  'smtp://user:password@smtp.example.com:587',
  'smtps://user:password@smtp.example.com:465',
  'password',
  // The development demo account (README, demo-data.service.ts)
  'keyward-demo-password',
  'keyward-demo-verifier-0000000000000000000000000000',
  // bench/lib/fixtures.ts
  'bench-service-secret-0123456789abcdef0123',
  'bench-rs-secret-0123456789abcdef0123456789',
  'bench-app-secret-0123456789abcdef012345678',
]);

/** True when `value` is one of the values shipped in the repository. */
export function isKnownSecret(value: string): boolean {
  return KNOWN_SECRETS.has(value.trim());
}
