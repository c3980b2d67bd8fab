import type { DatabaseSync } from 'node:sqlite';
import type { Clock } from '../../lib/clock.ts';
import { newId } from '../../lib/ids.ts';
import type { Authenticator, AuthenticatorKind, AuthenticatorStore } from '../types.ts';

interface AuthenticatorRow {
  id: string;
  account_id: string;
  kind: string;
  name: string;
  secret: string;
  credential_id: string | null;
  counter: number;
  transports: string;
  backed_up: number;
  confirmed: number;
  last_used_step: number | null;
  created_at: number;
  last_used_at: number | null;
}

const COLUMNS = 'id, account_id, kind, name, secret, credential_id, counter, transports, backed_up, confirmed, last_used_step, created_at, last_used_at';

function toAuthenticator(row: unknown): Authenticator | undefined {
  if (!row) return undefined;
  const r = row as AuthenticatorRow;
  return {
    id: r.id,
    accountId: r.account_id,
    kind: r.kind as AuthenticatorKind,
    name: r.name,
    secret: r.secret,
    credentialId: r.credential_id ?? undefined,
    counter: r.counter,
    transports: JSON.parse(r.transports) as string[],
    backedUp: r.backed_up === 1,
    confirmed: r.confirmed === 1,
    lastUsedStep: r.last_used_step ?? undefined,
    createdAt: r.created_at,
    lastUsedAt: r.last_used_at ?? undefined,
  };
}

export function createSqliteAuthenticatorStore(db: DatabaseSync, clock: Clock): AuthenticatorStore {
  // The unique credential_id decides races between two registrations of one passkey.
  const insert = db.prepare(`
    INSERT INTO authenticators (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, NULL)
    ON CONFLICT (credential_id) DO NOTHING`);
  const byId = db.prepare(`SELECT ${COLUMNS} FROM authenticators WHERE id = ?`);
  const byCredentialId = db.prepare(`SELECT ${COLUMNS} FROM authenticators WHERE credential_id = ?`);
  const forAccount = db.prepare(`SELECT ${COLUMNS} FROM authenticators WHERE account_id = ? ORDER BY created_at, rowid`);
  const confirm = db.prepare('UPDATE authenticators SET confirmed = 1 WHERE account_id = ? AND id = ? AND confirmed = 0');
  // One conditional UPDATE: of concurrent requests with the same code (the same step) exactly
  // one matches, and a step not later than the last one used matches none (RFC 6238 §5.2).
  const useStep = db.prepare(`
    UPDATE authenticators SET last_used_step = :step, last_used_at = :now
    WHERE id = :id AND kind = 'totp' AND (last_used_step IS NULL OR last_used_step < :step)`);
  const passkeyUse = db.prepare('UPDATE authenticators SET counter = ?, last_used_at = ? WHERE id = ?');
  const rename = db.prepare('UPDATE authenticators SET name = ? WHERE account_id = ? AND id = ?');
  const remove = db.prepare('DELETE FROM authenticators WHERE account_id = ? AND id = ?');
  const removeAll = db.prepare('DELETE FROM authenticators WHERE account_id = ?');
  const sweep = db.prepare('DELETE FROM authenticators WHERE confirmed = 0 AND created_at < ?');
  const allTotp = db.prepare(`SELECT ${COLUMNS} FROM authenticators WHERE kind = 'totp' ORDER BY created_at, rowid`);
  const replaceSecret = db.prepare('UPDATE authenticators SET secret = ? WHERE id = ? AND secret = ?');

  return {
    async create(a) {
      const id = newId();
      const result = insert.run(
        id, a.accountId, a.kind, a.name, a.secret, a.credentialId ?? null, a.counter,
        JSON.stringify(a.transports), a.backedUp ? 1 : 0, a.confirmed ? 1 : 0, clock.now(),
      );
      return result.changes === 1 ? toAuthenticator(byId.get(id)) : undefined;
    },
    async find(id) {
      return toAuthenticator(byId.get(id));
    },
    async findByCredentialId(credentialId) {
      return toAuthenticator(byCredentialId.get(credentialId));
    },
    async listTotp() {
      return allTotp.all().map((row) => toAuthenticator(row)!);
    },
    async replaceSecret(id, expected, secret) {
      return replaceSecret.run(secret, id, expected).changes === 1;
    },
    async listForAccount(accountId) {
      return forAccount.all(accountId).map((row) => toAuthenticator(row)!);
    },
    async confirm(accountId, id) {
      return confirm.run(accountId, id).changes === 1;
    },
    async useTotpStep(id, step) {
      return useStep.run({ id, step, now: clock.now() }).changes === 1;
    },
    async recordPasskeyUse(id, counter) {
      passkeyUse.run(counter, clock.now(), id);
    },
    async rename(accountId, id, name) {
      return rename.run(name, accountId, id).changes === 1;
    },
    async remove(accountId, id) {
      return remove.run(accountId, id).changes === 1;
    },
    async removeAll(accountId) {
      return Number(removeAll.run(accountId).changes);
    },
    async sweepUnconfirmed(before) {
      return Number(sweep.run(before).changes);
    },
  };
}
