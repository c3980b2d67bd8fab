import type { DatabaseSync } from 'node:sqlite';
import type { Clock } from '../../lib/clock.ts';
import { newId } from '../../lib/ids.ts';
import { normalizeEmail, type AccountRecord, type AccountStore } from '../types.ts';

interface AccountRow {
  id: string;
  email: string;
  email_normalized: string;
  email_verified: number;
  name: string | null;
  picture: string | null;
  password_hash: string | null;
  roles: string;
  disabled: number;
  created_at: number;
  updated_at: number;
  last_sign_in_at: number | null;
  revision: number;
}

const COLUMNS = 'id, email, email_normalized, email_verified, name, picture, password_hash, roles, disabled, created_at, updated_at, last_sign_in_at, revision';

function toAccount(row: unknown): AccountRecord | undefined {
  if (!row) return undefined;
  const r = row as AccountRow;
  return {
    id: r.id,
    email: r.email,
    emailNormalized: r.email_normalized,
    emailVerified: r.email_verified === 1,
    name: r.name ?? undefined,
    picture: r.picture ?? undefined,
    passwordHash: r.password_hash ?? undefined,
    roles: JSON.parse(r.roles) as string[],
    disabled: r.disabled === 1,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    lastSignInAt: r.last_sign_in_at ?? undefined,
    revision: r.revision,
  };
}

export function createSqliteAccountStore(db: DatabaseSync, clock: Clock): AccountStore {
  // The unique index on email_normalized decides races between two registrations.
  const insert = db.prepare(`
    INSERT INTO accounts (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, NULL, 1)
    ON CONFLICT (email_normalized) DO NOTHING`);
  const byId = db.prepare(`SELECT ${COLUMNS} FROM accounts WHERE id = ?`);
  const byEmail = db.prepare(`SELECT ${COLUMNS} FROM accounts WHERE email_normalized = ?`);
  const setHash = db.prepare('UPDATE accounts SET password_hash = ?, updated_at = ?, revision = revision + 1 WHERE id = ?');
  const signIn = db.prepare('UPDATE accounts SET last_sign_in_at = ? WHERE id = ?');
  const profile = db.prepare(`
    UPDATE accounts SET name = coalesce(:name, name), picture = coalesce(:picture, picture),
      email_verified = coalesce(:verified, email_verified), updated_at = :now, revision = revision + 1 WHERE id = :id`);
  const roles = db.prepare('UPDATE accounts SET roles = ?, updated_at = ?, revision = revision + 1 WHERE id = ?');
  const list = db.prepare(`SELECT ${COLUMNS} FROM accounts ORDER BY created_at, id LIMIT ? OFFSET ?`);
  const disable = db.prepare('UPDATE accounts SET disabled = ?, updated_at = ?, revision = revision + 1 WHERE id = ?');
  const verified = db.prepare('UPDATE accounts SET email_verified = 1, updated_at = ?, revision = revision + 1 WHERE id = ?');
  // OR IGNORE: a row whose new address another account holds (the unique email_normalized) is
  // left as it was and counts no change, instead of raising — the same race decided by the index.
  const email = db.prepare('UPDATE OR IGNORE accounts SET email = ?, email_normalized = ?, email_verified = ?, updated_at = ?, revision = revision + 1 WHERE id = ?');
  const remove = db.prepare('DELETE FROM accounts WHERE id = ?');
  // A range of the unique email index: from the prefix (or past the cursor) up to the prefix's last string.
  // One bound each way, so SQLite seeks straight to the page's first row (two lower bounds would
  // leave it scanning from the prefix to the cursor: a page half-way through 100,000 accounts cost 5 ms).
  const searchFrom = db.prepare(`SELECT ${COLUMNS} FROM accounts WHERE email_normalized >= ? AND email_normalized < ? ORDER BY email_normalized LIMIT ?`);
  const searchAfter = db.prepare(`SELECT ${COLUMNS} FROM accounts WHERE email_normalized > ? AND email_normalized < ? ORDER BY email_normalized LIMIT ?`);
  const count = db.prepare('SELECT count(*) AS n FROM accounts');
  // Roles are a JSON array; administrators are few, and this runs only on an admin's change.
  const withRole = db.prepare('SELECT count(*) AS n FROM accounts, json_each(accounts.roles) WHERE json_each.value = ? AND accounts.disabled = 0 AND accounts.id <> ?');
  const updateIf = db.prepare(`
    UPDATE accounts SET name = CASE WHEN :setName THEN :name ELSE name END, roles = coalesce(:roles, roles),
      disabled = coalesce(:disabled, disabled), email_verified = coalesce(:verified, email_verified),
      updated_at = :now, revision = revision + 1
    WHERE id = :id AND revision = :revision`);
  const bit = (value: boolean | undefined) => (value === undefined ? null : value ? 1 : 0);

  return {
    async create(account) {
      const id = newId();
      const now = clock.now();
      const result = insert.run(
        id, account.email.trim(), normalizeEmail(account.email), account.emailVerified ? 1 : 0,
        account.name ?? null, account.picture ?? null, account.passwordHash ?? null, JSON.stringify(account.roles), now, now,
      );
      return result.changes === 1 ? toAccount(byId.get(id)) : undefined;
    },
    async findById(id) {
      return toAccount(byId.get(id));
    },
    async findByEmail(email) {
      return toAccount(byEmail.get(normalizeEmail(email)));
    },
    async setPasswordHash(id, passwordHash) {
      setHash.run(passwordHash, clock.now(), id);
    },
    async markEmailVerified(id) {
      verified.run(clock.now(), id);
    },
    async setDisabled(id, disabled) {
      disable.run(disabled ? 1 : 0, clock.now(), id);
    },
    async setRoles(id, newRoles) {
      roles.run(JSON.stringify(newRoles), clock.now(), id);
    },
    async setEmail(id, address, emailVerified) {
      return email.run(address.trim(), normalizeEmail(address), emailVerified ? 1 : 0, clock.now(), id).changes === 1;
    },
    async remove(id) {
      return remove.run(id).changes === 1;
    },
    async updateProfile(id, changes) {
      profile.run({ id, now: clock.now(), name: changes.name ?? null, picture: changes.picture ?? null, verified: changes.emailVerified === undefined ? null : changes.emailVerified ? 1 : 0 });
    },
    async list({ limit, offset }) {
      return list.all(limit, offset).map((row) => toAccount(row)!);
    },
    async search({ emailPrefix, after, limit }) {
      const prefix = emailPrefix ? normalizeEmail(emailPrefix) : '';
      const upper = `${prefix}\u{10FFFF}`;
      const max = Math.max(0, Math.floor(limit));
      const rows = after !== undefined && after >= prefix ? searchAfter.all(after, upper, max) : searchFrom.all(prefix, upper, max);
      return rows.map((row) => toAccount(row)!);
    },
    async count() {
      return Number((count.get() as { n: number }).n);
    },
    async countEnabledWithRole(role, exceptId) {
      return Number((withRole.get(role, exceptId) as { n: number }).n);
    },
    async updateIf(id, revision, changes) {
      const result = updateIf.run({
        id, revision, now: clock.now(), setName: changes.name === undefined ? 0 : 1, name: changes.name ?? null,
        roles: changes.roles ? JSON.stringify(changes.roles) : null, disabled: bit(changes.disabled), verified: bit(changes.emailVerified),
      });
      if (result.changes === 1) return 'updated';
      return byId.get(id) ? 'conflict' : 'missing';
    },
    async recordSignIn(id) {
      signIn.run(clock.now(), id);
    },
  };
}
