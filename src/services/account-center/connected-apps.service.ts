import type { OidcRecordStore } from '../../stores/types.ts';
import { GRANT_MEMBERS, revokeGrant } from '../account-sessions.service.ts';
import type { AuditTrail, RequestOrigin } from '../audit.service.ts';

const LIST_LIMIT = 200;

export interface ConnectedApp {
  grantId: string;
  clientId: string;
  /** OpenID scopes granted, and API scopes by API. */
  scopes: string[];
  apiScopes: { api: string; scopes: string[] }[];
  grantedAt: number | undefined;
  /** The newest code or token issued from the grant. */
  lastUsedAt: number | undefined;
}

/**
 * The apps an account granted access to (oidc-provider's Grant records), and revoking one: the
 * grant and every code and token issued from it end (the app must ask again).
 */
export function createConnectedApps(deps: { records: OidcRecordStore; audit: AuditTrail }) {
  const { records } = deps;
  return {
    async list(accountId: string): Promise<ConnectedApp[]> {
      const grants = await records.listByAccountId('Grant', accountId, LIST_LIMIT);
      const apps = await Promise.all(grants.map(async ({ id, payload }) => {
        const issued = (await Promise.all(GRANT_MEMBERS.map((model) => records.listByGrantId(model, id)))).flat();
        const times = issued.map((r) => r.payload.iat).filter((t): t is number => typeof t === 'number');
        const openid = typeof payload.openid === 'object' && payload.openid ? String((payload.openid as { scope?: unknown }).scope ?? '') : '';
        const resources = typeof payload.resources === 'object' && payload.resources ? payload.resources as Record<string, unknown> : {};
        return {
          grantId: id,
          clientId: String(payload.clientId),
          scopes: openid.split(' ').filter(Boolean),
          apiScopes: Object.entries(resources).map(([api, scope]) => ({ api, scopes: String(scope).split(' ').filter(Boolean) })),
          grantedAt: typeof payload.iat === 'number' ? payload.iat * 1000 : undefined,
          lastUsedAt: times.length ? Math.max(...times) * 1000 : undefined,
        };
      }));
      return apps.sort((a, b) => (b.lastUsedAt ?? b.grantedAt ?? 0) - (a.lastUsedAt ?? a.grantedAt ?? 0));
    },

    /** Only a grant of this account: a grant id from a form names nothing else. */
    async revoke(accountId: string, grantId: string, origin: RequestOrigin): Promise<boolean> {
      const grant = await records.find('Grant', grantId);
      if (grant?.accountId !== accountId) return false;
      await revokeGrant(records, grantId);
      await deps.audit.record('consent', 'info', origin, { accountId, clientId: String(grant.clientId), details: { revoked: true, by: 'account center' } });
      return true;
    },
  };
}

export type ConnectedApps = ReturnType<typeof createConnectedApps>;
