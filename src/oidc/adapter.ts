import { errors, type Adapter, type AdapterFactory, type AdapterPayload } from 'oidc-provider';
import { epochSeconds, type Clock } from '../lib/clock.ts';
import type { ClientStore, OidcPayload, OidcRecordStore } from '../stores/types.ts';
import { JWT_ACCESS_TOKEN_MODEL } from './jwt-access-tokens.ts';

export interface SecurityEventSink {
  (event: 'authorization_code_reuse' | 'refresh_token_reuse', details: { grantId?: string; clientId?: string; detectedBy: string }): void;
}

export interface AdapterOptions {
  /** Clients added with the CLI, found by oidc-provider through the Client model's adapter. */
  clients: ClientStore;
  /** A rotated refresh token used again within this many seconds is a retry, not a theft. 0: off. */
  refreshTokenGraceSeconds: number;
  onSecurityEvent: SecurityEventSink;
}

/** Models whose records belong to a grant and die with it (oidc-provider lib/helpers/revoke.js). */
const GRANT_MEMBERS = ['AccessToken', JWT_ACCESS_TOKEN_MODEL, 'RefreshToken', 'AuthorizationCode'];

/**
 * oidc-provider's storage adapter, written once against OidcRecordStore
 * (https://github.com/panva/node-oidc-provider/blob/main/example/my_adapter.js).
 * `expiresIn` (seconds) becomes an absolute `expiresAt` so expiry is checked at read time.
 */
export function createOidcAdapterFactory(store: OidcRecordStore, clock: Clock, options: AdapterOptions): AdapterFactory {
  const withinGrace = (payload: OidcPayload | undefined, model: string) =>
    model === 'RefreshToken' && options.refreshTokenGraceSeconds > 0 && typeof payload?.consumed === 'number'
    && epochSeconds(clock) - payload.consumed <= options.refreshTokenGraceSeconds;

  const revokeFamily = async (grantId: string) => {
    await Promise.all([...GRANT_MEMBERS.map((model) => store.revokeByGrantId(model, grantId)), store.destroy('Grant', grantId)]);
  };

  return (model: string): Adapter => (model === 'Client' ? clientAdapter(options.clients) : {
    async upsert(id, payload, expiresIn) {
      const expiresAt = typeof expiresIn === 'number' && expiresIn > 0 ? clock.now() + expiresIn * 1000 : undefined;
      await store.upsert(model, id, payload as OidcPayload, expiresAt);
    },
    async find(id) {
      const payload = await store.find(model, id);
      // Inside the grace window a rotated refresh token reads as unused, so the client's
      // retry rotates again instead of revoking the family.
      if (payload && withinGrace(payload, model)) {
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
      if (withinGrace(record, model)) return;
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
