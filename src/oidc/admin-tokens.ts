import type { Provider } from 'oidc-provider';
import { ADMIN_ROLE, type AdminPrincipal } from '../services/admin/admin-context.ts';
import { ADMIN_SCOPES, type AdminScope } from '../services/apis.service.ts';
import type { AccountStore } from '../stores/types.ts';
import { grantedScopes } from './api-grants.ts';

/** Who an admin API access token speaks for, as the token itself says (roles are checked by the caller). */
export interface AdminTokenSubject {
  clientId: string;
  /** The person the token was issued to; undefined for a client_credentials token (automation). */
  accountId: string | undefined;
  /** A person's token: the RFC 8176 methods of the browser session it came from, while that session lives. */
  sessionMethods: readonly string[] | undefined;
  scopes: AdminScope[];
}

/**
 * Verifies an access token presented to Keyward's own admin API. The admin API's tokens are
 * opaque (services/apis.service.ts builtInAdminApi): looked up in the store on every request,
 * so revoking a grant, signing a person out or disabling them ends their tokens at once.
 * The token must be live, issued for the admin API (its `aud`, RFC 8707 §2) and from a client
 * that still exists; anything else is "no token" (RFC 6750 §3.1 invalid_token).
 */
export async function verifyAdminAccessToken(provider: Provider, adminApi: string, token: string): Promise<AdminTokenSubject | undefined> {
  // An opaque oidc-provider token is 43 base64url characters; anything else is not one.
  if (!/^[A-Za-z0-9_-]{20,200}$/.test(token)) return undefined;
  // A person's token is an AccessToken; a client's own (client_credentials) a ClientCredentials token.
  const found = (await provider.AccessToken.find(token)) ?? (await provider.ClientCredentials.find(token));
  if (!found || found.isExpired) return undefined;
  const audience = (found as unknown as { aud?: string | string[] }).aud;
  const audiences = Array.isArray(audience) ? audience : audience ? [audience] : [];
  if (!audiences.includes(adminApi)) return undefined;
  const clientId = found.clientId;
  const client = clientId ? await provider.Client.find(clientId) : undefined;
  if (!clientId || !client) return undefined;
  // Only what the client is granted now: narrowing or removing its grant takes effect at once.
  const stillGranted = new Set(grantedScopes(client, adminApi) ?? []);
  const granted = new Set(String(found.scope ?? '').split(' ').filter((scope) => stillGranted.has(scope)));
  if (granted.size === 0) return undefined;
  const accountId = 'accountId' in found ? found.accountId : undefined;
  const sessionUid = 'sessionUid' in found ? (found as { sessionUid?: string }).sessionUid : undefined;
  const session = accountId !== undefined && sessionUid ? await provider.Session.findByUid(sessionUid) : undefined;
  const sessionMethods = session && session.accountId === accountId ? ((session as unknown as { amr?: string[] }).amr ?? []) : undefined;
  return { clientId, accountId, sessionMethods, scopes: ADMIN_SCOPES.filter((scope) => granted.has(scope)) };
}

/**
 * The admin API's authentication: a valid admin token, and, when it speaks for a person, a person
 * who exists, is not disabled and has the admin role now (checked on every request, so removing
 * the role takes effect at once). A token without a person is a client's own (client_credentials):
 * only a client granted the admin API in its `api_scopes` can have one.
 */
export function createAdminAuthenticator(deps: { provider: () => Provider; adminApi: string; accounts: Pick<AccountStore, 'findById'>; requireMfa: boolean }) {
  return async (token: string): Promise<AdminPrincipal | 'not_admin' | 'needs_mfa' | undefined> => {
    const subject = await verifyAdminAccessToken(deps.provider(), deps.adminApi, token);
    if (!subject) return undefined;
    if (subject.accountId === undefined) return { actor: { kind: 'client', clientId: subject.clientId }, scopes: subject.scopes };
    // A person's admin token lives with the browser session it came from (signing out ends it),
    // and, as for the console, that session must have passed a second factor (ADMIN_REQUIRE_MFA).
    if (subject.sessionMethods === undefined) return undefined;
    if (deps.requireMfa && !subject.sessionMethods.includes('mfa')) return 'needs_mfa';
    const account = await deps.accounts.findById(subject.accountId);
    if (!account || account.disabled) return undefined;
    if (!account.roles.includes(ADMIN_ROLE)) return 'not_admin';
    return { actor: { kind: 'account', accountId: account.id, email: account.email, via: 'api' }, scopes: subject.scopes };
  };
}
