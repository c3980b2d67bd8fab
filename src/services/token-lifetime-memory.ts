import type { Clock } from '../lib/clock.ts';
import type { SecretStore } from '../stores/types.ts';

/** The longest JWT access-token lifetime that was in force, and until when a token with it may live (epoch ms). */
interface Remembered {
  seconds: number;
  until: number;
}

const NAME = 'retired-jwt-access-token-lifetime';
const NONE: Remembered = { seconds: 0, until: 0 };

function parse(text: string): Remembered {
  try {
    const value = JSON.parse(text) as Partial<Remembered>;
    return Number.isFinite(value.seconds) && Number.isFinite(value.until) ? { seconds: Number(value.seconds), until: Number(value.until) } : NONE;
  } catch {
    return NONE;
  }
}

/**
 * When an API stops issuing JWTs of some lifetime (shortened, made opaque, removed), tokens it
 * issued live on with the lifetime they were issued with, and the key that signed them must stay
 * published that long. A process remembers this for itself; a replica started later would not, and
 * every replica retires keys — so it is kept in the store, shared by all (conservatively: the
 * longest lifetime and the latest end, merged by compare-and-set).
 */
export function createTokenLifetimeMemory(deps: { secrets: SecretStore; clock: Clock }) {
  return {
    /** An API whose JWTs lived `seconds` stops issuing them now. */
    async remember(seconds: number): Promise<void> {
      const entry = { seconds, until: deps.clock.now() + seconds * 1000 };
      for (let attempt = 0; attempt < 5; attempt += 1) {
        const stored = await deps.secrets.getOrCreate(NAME, JSON.stringify(entry));
        const current = parse(stored);
        const merged = JSON.stringify({ seconds: Math.max(current.seconds, entry.seconds), until: Math.max(current.until, entry.until) });
        if (merged === stored || (await deps.secrets.replace(NAME, stored, merged))) return;
      }
    },
    /** The lifetime retirement must still honour now (0 once every such token has expired). */
    async longestInForceSeconds(): Promise<number> {
      const remembered = parse(await deps.secrets.getOrCreate(NAME, JSON.stringify(NONE)));
      return deps.clock.now() < remembered.until ? remembered.seconds : 0;
    },
  };
}

export type TokenLifetimeMemory = ReturnType<typeof createTokenLifetimeMemory>;
