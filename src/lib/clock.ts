/** Injected time source so tests can move time without sleeping (DESIGN.md, Conventions 9). */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export function epochSeconds(clock: Clock): number {
  return Math.floor(clock.now() / 1000);
}
