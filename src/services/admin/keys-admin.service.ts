import type { SigningKeyStore } from '../../stores/types.ts';
import type { AuditTrail } from '../audit.service.ts';
import type { KeyRotation } from '../key-rotation.service.ts';
import { auditAdminAction, type AdminCall } from './admin-context.ts';

/**
 * Signing keys as administrators see them (never a private part) and the staged rotation, with
 * the rules of services/key-rotation.service.ts for every caller: a next key signs only once it
 * has been published long enough, a previous key leaves only once its tokens have expired.
 */
export function createKeysAdmin(deps: { store: SigningKeyStore; rotation: KeyRotation; audit: AuditTrail; onKeysChanged?: (() => Promise<unknown>) | undefined }) {
  // The server that made the change serves it at once; the others within KEY_REFRESH_SECONDS.
  const changed = () => deps.onKeysChanged?.();
  return {
    async list() {
      const order = { next: 0, current: 1, previous: 2 } as const;
      return (await deps.store.list())
        .map((k) => ({ kid: k.kid, alg: k.alg, state: k.state, state_since: k.stateSince, created_at: k.createdAt }))
        .sort((a, b) => order[a.state] - order[b.state] || a.alg.localeCompare(b.alg));
    },
    async rotate(call: AdminCall, options: { force?: boolean } = {}) {
      const result = await deps.rotation.rotate(options);
      if (result.outcome === 'rotated' || result.outcome === 'published_next') await changed();
      await auditAdminAction(deps.audit, call, 'keys.rotate', { details: { outcome: result.outcome, force: Boolean(options.force) } }, result.outcome === 'too_soon' ? 'denied' : 'success');
      return result;
    },
    async retire(call: AdminCall) {
      const retired = await deps.rotation.retire();
      if (retired.length > 0) await changed();
      await auditAdminAction(deps.audit, call, 'keys.retire', { details: { retired } });
      return { retired };
    },
  };
}

export type KeysAdmin = ReturnType<typeof createKeysAdmin>;
