import type { DatabaseSync } from 'node:sqlite';
import type { Clock } from '../../lib/clock.ts';
import type { ThrottleStore } from '../types.ts';

interface CounterRow {
  count: number;
  window_ends_at: number;
}

export function createSqliteThrottleStore(db: DatabaseSync, clock: Clock): ThrottleStore {
  // One statement counts atomically, starting a new window when the last one has ended.
  const hit = db.prepare(`
    INSERT INTO throttle_counters (key, count, window_ends_at) VALUES (:key, 1, :now + :window)
    ON CONFLICT (key) DO UPDATE SET
      count = CASE WHEN window_ends_at <= :now THEN 1 ELSE count + 1 END,
      window_ends_at = CASE WHEN window_ends_at <= :now THEN :now + :window ELSE window_ends_at END
    RETURNING count, window_ends_at`);
  const peek = db.prepare('SELECT count, window_ends_at FROM throttle_counters WHERE key = ? AND window_ends_at > ?');
  const reset = db.prepare('DELETE FROM throttle_counters WHERE key = ?');
  const release = db.prepare('UPDATE throttle_counters SET count = count - 1 WHERE key = ? AND count > 0 AND window_ends_at > ?');
  const sweep = db.prepare('DELETE FROM throttle_counters WHERE window_ends_at <= ?');
  return {
    async hit(key, windowMs) {
      const row = hit.get({ key, now: clock.now(), window: windowMs }) as unknown as CounterRow;
      return { count: row.count, resetAt: row.window_ends_at };
    },
    async peek(key) {
      const row = peek.get(key, clock.now()) as CounterRow | undefined;
      return row ? { count: row.count, resetAt: row.window_ends_at } : { count: 0, resetAt: clock.now() };
    },
    async reset(key) {
      reset.run(key);
    },
    async release(key) {
      release.run(key, clock.now());
    },
    async sweep() {
      return Number(sweep.run(clock.now()).changes);
    },
  };
}
