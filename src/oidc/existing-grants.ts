import { interactionPolicy, type Grant, type KoaContextWithOIDC } from 'oidc-provider';
import type { AuditTrail } from '../services/audit.service.ts';
import type { OidcRecordStore } from '../stores/types.ts';

/** What remembered consent needs: the account's grants in the store, and the audit trail. */
export interface ExistingGrantDeps {
  records: Pick<OidcRecordStore, 'listByAccountId'>;
  audit: Pick<AuditTrail, 'record'>;
  /** Keyward's clock (epoch ms), the one the store expires records by. */
  now: () => number;
}

/**
 * At most this many of an account's live grants are looked at. An account has one per client it
 * uses (a new browser reuses it rather than adding one), so this is a bound, not a page.
 */
const GRANT_LOOKUP_LIMIT = 1000;

/** Client metadata `first_party: true`: an app of the operator's own, which is not asked for consent. */
export const isFirstParty = (client: unknown): boolean => (client as { first_party?: boolean } | undefined)?.first_party === true;

/** The account's newest live grant to the client, if any (never another account's or client's), and when it expires. */
export async function latestGrant(records: ExistingGrantDeps['records'], accountId: string, clientId: string): Promise<{ id: string; expiresAt: number | undefined } | undefined> {
  const grants = (await records.listByAccountId('Grant', accountId, GRANT_LOOKUP_LIMIT))
    .filter(({ payload }) => payload.accountId === accountId && payload.clientId === clientId);
  const issuedAt = (payload: Record<string, unknown>) => (typeof payload.iat === 'number' ? payload.iat : 0);
  // Within one second (a copy and the consent added to it), the grant holding more comes first.
  const breadth = (payload: Record<string, unknown>) => JSON.stringify([payload.openid, payload.resources]).length;
  grants.sort((a, b) => issuedAt(b.payload) - issuedAt(a.payload) || breadth(b.payload) - breadth(a.payload));
  return grants[0] && { id: grants[0].id, expiresAt: grants[0].expiresAt };
}

/** The grant the session or the finished consent names (oidc-provider's default loadExistingGrant). */
async function sessionGrant(ctx: KoaContextWithOIDC): Promise<Grant | undefined> {
  const { oidc } = ctx;
  const grantId = (oidc.result?.consent as { grantId?: string } | undefined)?.grantId ?? oidc.session!.grantIdFor(oidc.client!.clientId);
  return grantId ? oidc.provider.Grant.find(grantId) : undefined;
}

/**
 * The account's newest live grant to the client in the store, found from any browser — as a
 * copy for this browser session, expiring when the original does. A grant also ties together the
 * tokens issued from it (logout, revocation and refresh-token reuse end the whole grant), so
 * sharing one grant would let a sign-out in one browser end the app's tokens in every other.
 */
async function rememberedGrant(ctx: KoaContextWithOIDC, deps: ExistingGrantDeps, accountId: string, clientId: string): Promise<Grant | undefined> {
  const latest = await latestGrant(deps.records, accountId, clientId);
  const original = latest ? await ctx.oidc.provider.Grant.find(latest.id) : undefined;
  if (original?.accountId !== accountId || original.clientId !== clientId) return undefined;
  // By the store's own expiry of the original (Keyward's clock), so the copy ends with it.
  const remaining = latest?.expiresAt === undefined ? undefined : Math.floor((latest.expiresAt - deps.now()) / 1000);
  if (remaining !== undefined && remaining <= 0) return undefined;
  const copy = new ctx.oidc.provider.Grant({ accountId, clientId, ...(remaining !== undefined ? { expiresIn: remaining } : {}) });
  const scope = original.getOIDCScope();
  if (scope) copy.addOIDCScope(scope);
  const claims = original.getOIDCClaims();
  if (claims.length > 0) copy.addOIDCClaims(claims);
  for (const resource of Object.keys(original.resources ?? {})) copy.addResourceScope(resource, original.getResourceScope(resource));
  const rejectedScope = original.getRejectedOIDCScope();
  if (rejectedScope) copy.rejectOIDCScope(rejectedScope);
  const rejectedClaims = original.getRejectedOIDCClaims();
  if (rejectedClaims.length > 0) copy.rejectOIDCClaims(rejectedClaims);
  await copy.save();
  return copy;
}

/**
 * A first-party client gets what it asks for without a consent page: the requested OpenID
 * scopes and claims, and the requested scopes of each API — only those the client is granted,
 * since oidc-provider holds the scope to the client's `scope` and Keyward each resource server's
 * scopes to the client's `api_scopes` (resource-indicators.ts). Saved, and audited, only when
 * something was added.
 */
async function consentAutomatically(ctx: KoaContextWithOIDC, grant: Grant, deps: ExistingGrantDeps): Promise<Grant | undefined> {
  const { oidc } = ctx;
  const grantedScopes = new Set(grant.getOIDCScope().split(' '));
  const scopes = [...oidc.requestParamOIDCScopes].filter((scope) => !grantedScopes.has(scope));
  const grantedClaims = new Set(grant.getOIDCClaims());
  const claims = [...oidc.requestParamClaims].filter((claim) => !grantedClaims.has(claim));
  const apiScopes: Record<string, string[]> = {};
  for (const [indicator, resourceServer] of Object.entries(oidc.resourceServers ?? {})) {
    const granted = new Set(grant.getResourceScope(indicator).split(' '));
    const added = [...oidc.requestParamScopes].filter((scope) => resourceServer.scopes.has(scope) && !granted.has(scope));
    if (added.length > 0) apiScopes[indicator] = added;
  }
  // Nothing new: the grant as it is (a new, empty one is left to oidc-provider, which refuses a request granting nothing).
  if (scopes.length === 0 && claims.length === 0 && Object.keys(apiScopes).length === 0) return grant.jti ? grant : undefined;
  if (scopes.length > 0) grant.addOIDCScope(scopes);
  if (claims.length > 0) grant.addOIDCClaims(claims);
  for (const [indicator, added] of Object.entries(apiScopes)) grant.addResourceScope(indicator, added);
  await grant.save();
  await deps.audit.record('consent', 'success', { ip: ctx.ip, userAgent: ctx.get('user-agent').slice(0, 300) }, {
    accountId: grant.accountId,
    clientId: grant.clientId,
    details: { scopes, ...(Object.keys(apiScopes).length > 0 ? { apiScopes } : {}), automatic: true, reason: 'first-party client' },
  });
  return grant;
}

/**
 * oidc-provider's loadExistingGrant (docs/README.md #loadexistinggrant): the grant the session
 * or the finished consent names, as by default; when the session has none for the client (a new
 * browser, or its grant was revoked or expired), the account's newest live grant to that client,
 * so that consent is remembered per account and client across browsers until revoked or
 * expired (GRANT_TTL). oidc-provider then records it in the session and asks only for what it
 * lacks (incremental consent). For a first-party client the grant is completed and saved here,
 * which is how oidc-provider's docs say to skip consent (#interactionspolicy).
 */
export function loadExistingGrant(deps: ExistingGrantDeps) {
  return async (ctx: KoaContextWithOIDC): Promise<Grant | undefined> => {
    const accountId = ctx.oidc.account!.accountId;
    const clientId = ctx.oidc.client!.clientId;
    const grant = (await sessionGrant(ctx)) ?? (await rememberedGrant(ctx, deps, accountId, clientId));
    if (!isFirstParty(ctx.oidc.client)) return grant;
    return consentAutomatically(ctx, grant ?? new ctx.oidc.provider.Grant({ accountId, clientId }), deps);
  };
}

/**
 * oidc-provider asks native clients for consent at every authorization, since another app can
 * claim their redirect URI (RFC 8252 §8.6; check `native_client_prompt`). A first-party client
 * is the operator's own app, declared as such: it is not asked.
 */
export function withFirstPartyConsent(policy: interactionPolicy.DefaultPolicy): interactionPolicy.DefaultPolicy {
  const native = policy.get('consent')?.checks.get('native_client_prompt');
  if (native) {
    const asks = native.check;
    native.check = (ctx) => (isFirstParty(ctx.oidc.client) ? interactionPolicy.Check.NO_NEED_TO_PROMPT : asks(ctx));
  }
  return policy;
}
