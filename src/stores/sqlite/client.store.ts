import type { DatabaseSync } from 'node:sqlite';
import type { Clock } from '../../lib/clock.ts';
import type { ClientStore } from '../types.ts';

interface ClientRow {
  client_id: string;
  metadata: string;
  created_at: number;
  updated_at: number;
  revision: number;
}

export function createSqliteClientStore(db: DatabaseSync, clock: Clock): ClientStore {
  const insert = db.prepare('INSERT INTO clients (client_id, metadata, created_at, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (client_id) DO NOTHING');
  const find = db.prepare('SELECT metadata FROM clients WHERE client_id = ?');
  const list = db.prepare('SELECT client_id, metadata, created_at, updated_at, revision FROM clients ORDER BY client_id');
  const update = db.prepare('UPDATE clients SET metadata = ?, updated_at = ?, revision = revision + 1 WHERE client_id = ?');
  const updateIf = db.prepare('UPDATE clients SET metadata = ?, updated_at = ?, revision = revision + 1 WHERE client_id = ? AND revision = ?');
  const remove = db.prepare('DELETE FROM clients WHERE client_id = ?');
  return {
    async create(clientId, metadata) {
      const now = clock.now();
      return insert.run(clientId, JSON.stringify(metadata), now, now).changes === 1;
    },
    async find(clientId) {
      const row = find.get(clientId) as { metadata: string } | undefined;
      return row ? (JSON.parse(row.metadata) as Record<string, unknown>) : undefined;
    },
    async list() {
      return (list.all() as unknown as ClientRow[]).map((row) => ({
        clientId: row.client_id,
        metadata: JSON.parse(row.metadata) as Record<string, unknown>,
        createdAt: row.created_at,
        updatedAt: row.updated_at,
        revision: row.revision,
      }));
    },
    async update(clientId, metadata) {
      return update.run(JSON.stringify(metadata), clock.now(), clientId).changes === 1;
    },
    async updateIf(clientId, metadata, revision) {
      if (updateIf.run(JSON.stringify(metadata), clock.now(), clientId, revision).changes === 1) return 'updated';
      return find.get(clientId) ? 'conflict' : 'missing';
    },
    async remove(clientId) {
      return remove.run(clientId).changes === 1;
    },
  };
}
