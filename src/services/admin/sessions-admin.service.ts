import type { AccountStore } from '../../stores/types.ts';
import type { AuditTrail } from '../audit.service.ts';
import type { Devices } from '../account-center/devices.service.ts';
import { AdminError, auditAdminAction, type AdminCall } from './admin-context.ts';

/** An account's browser sessions, as the account center shows them to the owner, for administrators. */
export function createSessionsAdmin(deps: { accounts: AccountStore; devices: Devices; audit: AuditTrail }) {
  const account = async (id: string) => {
    const found = await deps.accounts.findById(id);
    if (!found) throw new AdminError('not_found', `no account "${id}"`);
    return found;
  };
  return {
    async list(accountId: string) {
      const owner = await account(accountId);
      return (await deps.devices.list(owner.id, undefined)).map((d) => ({
        session_id: d.sessionId, account_id: owner.id, browser: d.browser, ip: d.ip, signed_in_at: d.signedInAt ?? null, last_seen_at: d.lastSeenAt, methods: d.methods,
      }));
    },
    /** Ends one browser session and what apps got through it. */
    async end(call: AdminCall, accountId: string, sessionId: string) {
      const owner = await account(accountId);
      if (!(await deps.devices.signOut(owner.id, sessionId))) throw new AdminError('not_found', `no session "${sessionId}" of account ${owner.id}`);
      await auditAdminAction(deps.audit, call, 'users.end_session', { accountId: owner.id, details: { session: sessionId } });
      return { session_id: sessionId, ended: true };
    },
  };
}

export type SessionsAdmin = ReturnType<typeof createSessionsAdmin>;
