import type { DatabaseSync } from 'node:sqlite';
import type { Clock } from '../../lib/clock.ts';
import type { OidcPayload, OidcRecordStore } from '../types.ts';

interface Row {
  payload: string;
  consumed_at: number | null;
}

const LIVE = '(expires_at IS NULL OR expires_at > ?)';

/** oidc-provider records in one table; expired rows are invisible before the sweep removes them. */
export function createSqliteOidcRecordStore(db: DatabaseSync, clock: Clock): OidcRecordStore {
  const upsert = db.prepare(`
    INSERT INTO oidc_records (model, id, payload, grant_id, uid, user_code, account_id, expires_at, consumed_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (model, id) DO UPDATE SET
      payload = excluded.payload, grant_id = excluded.grant_id, uid = excluded.uid,
      user_code = excluded.user_code, account_id = excluded.account_id, expires_at = excluded.expires_at,
      consumed_at = coalesce(oidc_records.consumed_at, excluded.consumed_at)`);
  const findById = db.prepare(`SELECT payload, consumed_at FROM oidc_records WHERE model = ? AND id = ? AND ${LIVE}`);
  const findByUid = db.prepare(`SELECT payload, consumed_at FROM oidc_records WHERE model = ? AND uid = ? AND ${LIVE}`);
  const findByUserCode = db.prepare(`SELECT payload, consumed_at FROM oidc_records WHERE model = ? AND user_code = ? AND ${LIVE}`);
  // One conditional UPDATE: of any number of concurrent callers, exactly one sees a change.
  const consume = db.prepare(`UPDATE oidc_records SET consumed_at = ? WHERE model = ? AND id = ? AND consumed_at IS NULL AND ${LIVE}`);
  const destroy = db.prepare('DELETE FROM oidc_records WHERE model = ? AND id = ?');
  const revokeByGrantId = db.prepare('DELETE FROM oidc_records WHERE model = ? AND grant_id = ?');
  const listByGrantId = db.prepare(`SELECT id, payload, consumed_at FROM oidc_records WHERE model = ? AND grant_id = ? AND ${LIVE}`);
  // The account_id index finds the account's rows; the model and the time are checked on those.
  const listByAccount = db.prepare(`SELECT id, payload, consumed_at, expires_at FROM oidc_records WHERE account_id = ? AND model = ? AND ${LIVE} ORDER BY id LIMIT ?`);
  const revokeByAccount = db.prepare('DELETE FROM oidc_records WHERE account_id = ? AND model IN (SELECT value FROM json_each(?))');
  const sweep = db.prepare('DELETE FROM oidc_records WHERE expires_at IS NOT NULL AND expires_at <= ?');
  // A range of the (model, id) primary key.
  const countLive = db.prepare(`SELECT count(*) AS n FROM oidc_records WHERE model = ? AND ${LIVE}`);

  const toPayload = (row: unknown): OidcPayload | undefined => {
    if (!row) return undefined;
    const { payload, consumed_at: consumedAt } = row as Row;
    const parsed = JSON.parse(payload) as OidcPayload;
    return consumedAt === null ? parsed : { ...parsed, consumed: consumedAt };
  };
  const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);

  return {
    async upsert(model, id, payload, expiresAt) {
      const { consumed, ...rest } = payload;
      upsert.run(
        model, id, JSON.stringify(rest), text(rest.grantId), text(rest.uid), text(rest.userCode), text(rest.accountId),
        expiresAt ?? null, typeof consumed === 'number' ? consumed : null,
      );
    },
    async find(model, id) {
      return toPayload(findById.get(model, id, clock.now()));
    },
    async findByUid(model, uid) {
      return toPayload(findByUid.get(model, uid, clock.now()));
    },
    async findByUserCode(model, userCode) {
      return toPayload(findByUserCode.get(model, userCode, clock.now()));
    },
    async consume(model, id) {
      const now = clock.now();
      return consume.run(Math.floor(now / 1000), model, id, now).changes === 1;
    },
    async destroy(model, id) {
      destroy.run(model, id);
    },
    async revokeByGrantId(model, grantId) {
      revokeByGrantId.run(model, grantId);
    },
    async listByGrantId(model, grantId) {
      return (listByGrantId.all(model, grantId, clock.now()) as unknown as (Row & { id: string })[]).map((row) => ({ id: row.id, payload: toPayload(row)! }));
    },
    async listByAccountId(model, accountId, limit) {
      const max = Math.floor(limit);
      // LIMIT -1 would mean "no limit" to SQLite; "at most 0" means none.
      if (!(max > 0)) return [];
      return (listByAccount.all(accountId, model, clock.now(), max) as unknown as (Row & { id: string; expires_at: number | null })[]).map((row) => ({ id: row.id, payload: toPayload(row)!, expiresAt: row.expires_at ?? undefined }));
    },
    async revokeByAccountId(accountId, models) {
      return Number(revokeByAccount.run(accountId, JSON.stringify(models)).changes);
    },
    async countLive(model) {
      return Number((countLive.get(model, clock.now()) as { n: number }).n);
    },
    async sweepExpired() {
      return Number(sweep.run(clock.now()).changes);
    },
  };
}
