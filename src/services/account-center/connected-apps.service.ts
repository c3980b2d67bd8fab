import type { OidcRecordStore } from '../../stores/types.ts';
import { GRANT_MEMBERS, revokeGrant } from '../account-sessions.service.ts';
import type { AuditTrail, RequestOrigin } from '../audit.service.ts';

const LIST_LIMIT = 200;

export interface ConnectedApp {
  clientId: string;
  /** OpenID scopes granted, and API scopes by API. */
  scopes: string[];
  apiScopes: { api: string; scopes: string[] }[];
  grantedAt: number | undefined;
  /** The newest code or token issued from its grants. */
  lastUsedAt: number | undefined;
}

const words = (value: unknown) => String(value ?? '').split(' ').filter(Boolean);
const union = (lists: string[][]) => [...new Set(lists.flat())];

/**
 * The apps an account granted access to, one row per app: oidc-provider's Grant records (one per
 * browser session that signed in to it, consent being remembered across them), and revoking an
 * app: every grant of the account to it, and every code and token issued from them, end.
 */
export function createConnectedApps(deps: { records: OidcRecordStore; audit: AuditTrail }) {
  const { records } = deps;
  const grantsOf = async (accountId: string) => (await records.listByAccountId('Grant', accountId, LIST_LIMIT)).filter((g) => g.payload.accountId === accountId);
  return {
    async list(accountId: string): Promise<ConnectedApp[]> {
      const byClient = new Map<string, { id: string; payload: Record<string, unknown> }[]>();
      for (const grant of await grantsOf(accountId)) byClient.set(String(grant.payload.clientId), [...(byClient.get(String(grant.payload.clientId)) ?? []), grant]);
      const apps = await Promise.all([...byClient].map(async ([clientId, grants]) => {
        const issued = (await Promise.all(grants.flatMap(({ id }) => GRANT_MEMBERS.map((model) => records.listByGrantId(model, id))))).flat();
        const times = issued.map((r) => r.payload.iat).filter((t): t is number => typeof t === 'number');
        const granted = grants.map((g) => g.payload.iat).filter((t): t is number => typeof t === 'number');
        const resources = grants.map((g) => (typeof g.payload.resources === 'object' && g.payload.resources ? g.payload.resources as Record<string, unknown> : {}));
        const apis = union(resources.map(Object.keys));
        return {
          clientId,
          scopes: union(grants.map((g) => words((g.payload.openid as { scope?: unknown } | undefined)?.scope))),
          apiScopes: apis.map((api) => ({ api, scopes: union(resources.map((r) => words(r[api]))) })),
          grantedAt: granted.length ? Math.min(...granted) * 1000 : undefined,
          lastUsedAt: times.length ? Math.max(...times) * 1000 : undefined,
        };
      }));
      return apps.sort((a, b) => (b.lastUsedAt ?? b.grantedAt ?? 0) - (a.lastUsedAt ?? a.grantedAt ?? 0));
    },

    /** Every grant of this account to the client (never another account's); false when there is none. */
    async revoke(accountId: string, clientId: string, origin: RequestOrigin): Promise<boolean> {
      const grants = (await grantsOf(accountId)).filter((g) => g.payload.clientId === clientId);
      if (grants.length === 0) return false;
      await Promise.all(grants.map(({ id }) => revokeGrant(records, id)));
      await deps.audit.record('consent', 'info', origin, { accountId, clientId, details: { revoked: true, grants: grants.length, by: 'account center' } });
      return true;
    },
  };
}

export type ConnectedApps = ReturnType<typeof createConnectedApps>;
