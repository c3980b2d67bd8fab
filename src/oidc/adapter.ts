import { revokeGrant } from '../services/account-sessions.service.ts';
import { errors, type Adapter, type AdapterFactory, type AdapterPayload } from 'oidc-provider';
import { epochSeconds, type Clock } from '../lib/clock.ts';
import type { ClientStore, OidcPayload, OidcRecordStore } from '../stores/types.ts';
import { JWT_ACCESS_TOKEN_MODEL } from './jwt-access-tokens.ts';

export interface SecurityEventSink {
  (event: 'authorization_code_reuse' | 'refresh_token_reuse' | 'refresh_token_grace_retry', details: { grantId?: string; clientId?: string; detectedBy: string }): void;
}

export interface AdapterOptions {
  /** Clients added with the CLI, found by oidc-provider through the Client model's adapter. */
  clients: ClientStore;
  /** A rotated refresh token used again within this many seconds is a retry, not a theft. 0: off. */
  refreshTokenGraceSeconds: number;
  onSecurityEvent: SecurityEventSink;
}

/** Models whose records belong to a grant and die with it (oidc-provider lib/helpers/revoke.js). */

/**
 * oidc-provider's storage adapter, written once against OidcRecordStore
 * (https://github.com/panva/node-oidc-provider/blob/main/example/my_adapter.js).
 * `expiresIn` (seconds) becomes an absolute `expiresAt` so expiry is checked at read time.
 */
export function createOidcAdapterFactory(store: OidcRecordStore, clock: Clock, options: AdapterOptions): AdapterFactory {
  const withinGrace = (payload: OidcPayload | undefined, model: string) =>
    model === 'RefreshToken' && options.refreshTokenGraceSeconds > 0 && typeof payload?.consumed === 'number'
    && epochSeconds(clock) - payload.consumed <= options.refreshTokenGraceSeconds;

  // Chains (grantId + iiat, oidc-provider's "initial issued at" shared by every rotation of one
  // refresh token) whose rotated token was just read inside the grace window; bounded.
  // Kept for the grace window, so that concurrent retries each retire the others' successors.
  const graceRetries = new Map<string, { rotations: number; at: number; survivor?: string }>();
  const chainKey = (payload: OidcPayload) => `${String(payload.grantId)}\n${String(payload.iiat)}`;
  const noteGraceRetry = (payload: OidcPayload) => {
    const now = clock.now();
    if (graceRetries.size >= 10_000) {
      for (const [key, entry] of graceRetries) if (now - entry.at > options.refreshTokenGraceSeconds * 1000) graceRetries.delete(key);
    }
    const key = chainKey(payload);
    graceRetries.set(key, { ...graceRetries.get(key), rotations: typeof payload.rotations === 'number' ? payload.rotations : 0, at: now });
  };
  /**
   * A retry inside the grace window rotates the same token a second time. The successor issued
   * the first time (and anything rotated from it since) must then die, or two live chains would
   * descend from one refresh token (RFC 9700 §4.14.2).
   */
  const retireEarlierSuccessors = async (id: string, payload: OidcPayload) => {
    const entry = graceRetries.get(chainKey(payload));
    if (!entry || typeof payload.grantId !== 'string' || clock.now() - entry.at > options.refreshTokenGraceSeconds * 1000) return;
    // Only a successor of the retried token itself (a later, ordinary rotation is no retry).
    if (payload.rotations !== entry.rotations + 1) return;
    // The latest retry's successor survives. Concurrent retries in this process agree on it: each
    // names itself the survivor before listing, and spares whoever is the survivor when it deletes.
    entry.survivor = id;
    const chain = (await store.listByGrantId('RefreshToken', payload.grantId))
      .filter((s) => s.payload.iiat === payload.iiat && typeof s.payload.rotations === 'number' && s.payload.rotations > entry.rotations);
    // Retired, not deleted: a retired successor presented after the grace window is a reuse
    // that revokes the whole grant. Whoever replayed the rotated token (a thief racing the
    // client) then loses the chain as soon as the client uses its own token again.
    const earlier = chain.filter((s) => s.id !== entry.survivor && s.payload.consumed === undefined);
    await Promise.all(earlier.map((s) => store.consume('RefreshToken', s.id)));
    options.onSecurityEvent('refresh_token_grace_retry', { grantId: payload.grantId, clientId: typeof payload.clientId === 'string' ? payload.clientId : undefined, detectedBy: `rotated token used again within the grace window; ${earlier.length} earlier successor(s) retired` });
  };

  const revokeFamily = async (grantId: string) => {
    await revokeGrant(store, grantId);
  };

  return (model: string): Adapter => (model === 'Client' ? clientAdapter(options.clients) : {
    async upsert(id, payload, expiresIn) {
      const expiresAt = typeof expiresIn === 'number' && expiresIn > 0 ? clock.now() + expiresIn * 1000 : undefined;
      await store.upsert(model, id, model === 'Interaction' ? withLoginAccount(payload as OidcPayload) : (payload as OidcPayload), expiresAt);
      if (model === 'RefreshToken' && graceRetries.size > 0) await retireEarlierSuccessors(id, payload as OidcPayload);
    },
    async find(id) {
      const payload = await store.find(model, id);
      // Inside the grace window a rotated refresh token reads as unused, so the client's
      // retry rotates again instead of revoking the family.
      if (payload && withinGrace(payload, model)) {
        noteGraceRetry(payload);
        const { consumed: _consumed, ...unconsumed } = payload;
        return unconsumed as AdapterPayload;
      }
      return payload as AdapterPayload | undefined;
    },
    async findByUid(uid) {
      return (await store.findByUid(model, uid)) as AdapterPayload | undefined;
    },
    async findByUserCode(userCode) {
      return (await store.findByUserCode(model, userCode)) as AdapterPayload | undefined;
    },
    async consume(id) {
      if (await store.consume(model, id)) return;
      // oidc-provider checks `consumed` and then calls consume(), so two racing redemptions can
      // both pass its check. The store's consume-once update decides the race; the loser is
      // treated like a sequential second redemption: the whole grant is revoked (RFC 6749
      // §4.1.2 for codes, RFC 9700 §4.14.2 for refresh tokens), and it gets invalid_grant.
      const record = await store.find(model, id);
      if (withinGrace(record, model)) {
        noteGraceRetry(record!);
        return;
      }
      const grantId = typeof record?.grantId === 'string' ? record.grantId : undefined;
      if (grantId) await revokeFamily(grantId);
      const clientId = typeof record?.clientId === 'string' ? record.clientId : undefined;
      const isCode = model === 'AuthorizationCode';
      options.onSecurityEvent(isCode ? 'authorization_code_reuse' : 'refresh_token_reuse', { grantId, clientId, detectedBy: 'concurrent redemption' });
      throw new errors.InvalidGrant(isCode ? 'authorization code already consumed' : 'refresh token already used');
    },
    async destroy(id) {
      await store.destroy(model, id);
    },
    async revokeByGrantId(grantId) {
      await store.revokeByGrantId(model, grantId);
      // JWT access tokens are recorded under their own model; they die with the access tokens.
      if (model === 'AccessToken') await store.revokeByGrantId(JWT_ACCESS_TOKEN_MODEL, grantId);
    },
  });
}

/**
 * An interaction that holds a finished login is a sign-in in flight: the browser has only to
 * come back to /auth to get a session. It is stored under the account (the store indexes a
 * top-level accountId), so that ending everything of an account — a password reset, an address
 * proven — ends these too (revokeEverythingFor), not only sessions and tokens.
 */
function withLoginAccount(payload: OidcPayload): OidcPayload {
  const login = (payload.result as { login?: { accountId?: unknown } } | undefined)?.login;
  return typeof login?.accountId === 'string' ? { ...payload, accountId: login.accountId } : payload;
}

/** Read-only: clients come from the CLI (dynamic registration is off), static ones from the file. */
function clientAdapter(clients: ClientStore): Adapter {
  const readOnly = async () => undefined;
  return {
    find: async (id) => (await clients.find(id)) as AdapterPayload | undefined,
    upsert: readOnly,
    findByUid: readOnly,
    findByUserCode: readOnly,
    consume: readOnly,
    destroy: readOnly,
    revokeByGrantId: readOnly,
  };
}
