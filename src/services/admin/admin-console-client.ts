import type { ClientMetadata } from '../clients.service.ts';

export const ADMIN_CONSOLE_CLIENT_ID = 'keyward-admin-console';

/**
 * The admin console is a first-party client of Keyward itself (issue 18): administrators sign in
 * through the normal pages, second factor included (`require_mfa`), and are not asked to consent.
 * Only the authorization code reaches it, at its own callback; it never holds a refresh token.
 */
export function adminConsoleClient(issuer: string, options: { requireMfa: boolean }): ClientMetadata {
  return {
    client_id: ADMIN_CONSOLE_CLIENT_ID,
    kind: 'public',
    client_name: 'Keyward admin console',
    application_type: 'web',
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code'],
    response_types: ['code'],
    scope: 'openid',
    redirect_uris: [`${issuer}/admin/callback`],
    post_logout_redirect_uris: [`${issuer}/admin/signed-out`],
    first_party: true,
    require_mfa: options.requireMfa,
  };
}
