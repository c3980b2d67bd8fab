import type { DatabaseSync } from 'node:sqlite';
import type { Clock } from '../../lib/clock.ts';
import type { ApiStore, StoredApi } from '../types.ts';
import { readStoredDefinition } from '../stored-definition.ts';

interface ApiRow {
  identifier: string;
  definition: string;
  revision: number;
  created_at: number;
  updated_at: number;
}

const toApi = (row: ApiRow): StoredApi & { identifier: string } => ({
  identifier: row.identifier,
  definition: readStoredDefinition(row.definition),
  revision: row.revision,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

export function createSqliteApiStore(db: DatabaseSync, clock: Clock): ApiStore {
  const insert = db.prepare('INSERT INTO apis (identifier, definition, revision, created_at, updated_at) VALUES (?, ?, 1, ?, ?) ON CONFLICT (identifier) DO NOTHING');
  const find = db.prepare('SELECT identifier, definition, revision, created_at, updated_at FROM apis WHERE identifier = ?');
  const list = db.prepare('SELECT identifier, definition, revision, created_at, updated_at FROM apis ORDER BY identifier');
  // One statement each, with the revision in the WHERE clause: the compare-and-set is atomic.
  const update = db.prepare('UPDATE apis SET definition = ?, revision = revision + 1, updated_at = ? WHERE identifier = ? AND revision = ?');
  const remove = db.prepare('DELETE FROM apis WHERE identifier = ? AND (? IS NULL OR revision = ?)');
  const exists = (identifier: string) => find.get(identifier) !== undefined;
  return {
    async create(identifier, definition) {
      const now = clock.now();
      return insert.run(identifier, JSON.stringify(definition), now, now).changes === 1;
    },
    async find(identifier) {
      const row = find.get(identifier) as ApiRow | undefined;
      return row && toApi(row);
    },
    async list() {
      return (list.all() as unknown as ApiRow[]).map(toApi);
    },
    async update(identifier, definition, expectedRevision) {
      if (update.run(JSON.stringify(definition), clock.now(), identifier, expectedRevision).changes === 1) return 'updated';
      return exists(identifier) ? 'conflict' : 'missing';
    },
    async remove(identifier, expectedRevision) {
      const revision = expectedRevision ?? null;
      if (remove.run(identifier, revision, revision).changes === 1) return 'removed';
      return exists(identifier) ? 'conflict' : 'missing';
    },
  };
}
