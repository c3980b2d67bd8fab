import { errors, type Adapter, type AdapterFactory, type AdapterPayload } from 'oidc-provider';
import type { Clock } from '../lib/clock.ts';
import type { OidcRecordStore } from '../stores/types.ts';

/**
 * oidc-provider's storage adapter, written once against OidcRecordStore
 * (https://github.com/panva/node-oidc-provider/blob/main/example/my_adapter.js).
 * `expiresIn` (seconds) becomes an absolute `expiresAt` so expiry is checked at read time.
 */
export function createOidcAdapterFactory(store: OidcRecordStore, clock: Clock): AdapterFactory {
  return (model: string): Adapter => ({
    async upsert(id, payload, expiresIn) {
      const expiresAt = typeof expiresIn === 'number' && expiresIn > 0 ? clock.now() + expiresIn * 1000 : undefined;
      await store.upsert(model, id, payload as Record<string, unknown>, expiresAt);
    },
    async find(id) {
      return (await store.find(model, id)) as AdapterPayload | undefined;
    },
    async findByUid(uid) {
      return (await store.findByUid(model, uid)) as AdapterPayload | undefined;
    },
    async findByUserCode(userCode) {
      return (await store.findByUserCode(model, userCode)) as AdapterPayload | undefined;
    },
    async consume(id) {
      // oidc-provider checks `consumed` and then calls consume(); two racing redemptions
      // could both pass that check. The store's consume-once update decides the race, and
      // the loser gets the same answer as a sequential second redemption (RFC 6749 §4.1.2).
      if (!(await store.consume(model, id))) {
        throw new errors.InvalidGrant(`${model === 'AuthorizationCode' ? 'authorization code' : 'grant'} already consumed`);
      }
    },
    async destroy(id) {
      await store.destroy(model, id);
    },
    async revokeByGrantId(grantId) {
      await store.revokeByGrantId(model, grantId);
    },
  });
}
