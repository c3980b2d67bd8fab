import { hashToken } from '../lib/ids.ts';
import type { Logger } from '../logger/logger.ts';
import type { AccountStore } from '../stores/types.ts';
import type { ClientMetadata } from './clients.service.ts';
import type { PasswordHasher } from './passwords.service.ts';

/** Development-only demo data (refused in production by config/load.ts). */
export const DEMO_CODE_VERIFIER = 'keyward-demo-verifier-0000000000000000000000000000';
export const DEMO_ACCOUNT = { email: 'demo@keyward.test', password: 'keyward-demo-password', name: 'Demo User' } as const;

export function demoClient(issuer: string): ClientMetadata {
  return {
    client_id: 'keyward-demo',
    kind: 'public',
    client_name: 'Keyward demo app',
    application_type: 'web',
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: [`${issuer}/demo/callback`],
    post_logout_redirect_uris: [`${issuer}/demo/signed-out`],
  };
}

export async function seedDemoAccount(deps: { accounts: AccountStore; passwords: PasswordHasher; logger: Logger }): Promise<void> {
  if (await deps.accounts.findByEmail(DEMO_ACCOUNT.email)) return;
  await deps.accounts.create({
    email: DEMO_ACCOUNT.email,
    emailVerified: true,
    name: DEMO_ACCOUNT.name,
    passwordHash: await deps.passwords.hash(DEMO_ACCOUNT.password),
    roles: ['demo'],
  });
  deps.logger.info({ email: DEMO_ACCOUNT.email }, 'seeded the development demo account');
}

/** What `npm start` prints in development so a newcomer can try a sign-in at once. */
export function demoSignInInstructions(issuer: string): string {
  const client = demoClient(issuer);
  const url = new URL(`${issuer}/auth`);
  url.search = new URLSearchParams({
    client_id: client.client_id,
    response_type: 'code',
    scope: 'openid profile email',
    redirect_uri: client.redirect_uris![0]!,
    state: 'try-keyward',
    // PKCE S256 (RFC 7636 §4.2) with a fixed, public verifier: fine for a demo, never for an app.
    code_challenge: hashToken(DEMO_CODE_VERIFIER),
    code_challenge_method: 'S256',
  }).toString();
  return [
    'Development demo data is on. Try a sign-in:',
    `  1. open ${url.toString()}`,
    `  2. sign in as ${DEMO_ACCOUNT.email} with password ${DEMO_ACCOUNT.password}`,
    '  3. allow access; the demo callback page shows the code and how to exchange it for tokens',
  ].join('\n');
}
