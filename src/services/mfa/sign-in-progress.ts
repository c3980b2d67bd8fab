import type { Clock } from '../../lib/clock.ts';
import type { OidcRecordStore } from '../../stores/types.ts';

const PROGRESS = 'KeywardSignInProgress';
/** A second step must follow the first within this long, or the sign-in starts over. */
const PROGRESS_TTL_MS = 15 * 60 * 1000;

/** How far a sign-in has come: the account identified by a first factor and the methods passed. */
export interface SignInProgress {
  accountId: string;
  /** RFC 8176 method references passed so far. */
  amr: string[];
  /** The step the sign-in waits at: a factor is accepted only at its own step. */
  step: 'second_factor' | 'enrol';
  /**
   * A first factor was given in this interaction (not merely an earlier browser session, as in
   * a step-up): only then may the account enrol a factor here, since enrolling is a change to how
   * it signs in, which a stale session alone must not make.
   */
  fresh: boolean;
}

/**
 * The state of a sign-in in steps, kept server-side by interaction (DESIGN.md, Layering rule 6):
 * never in a cookie, so a second-factor page can only continue a first factor that really passed.
 */
export function createSignInProgress(records: OidcRecordStore, clock: Clock) {
  return {
    async save(uid: string, progress: SignInProgress): Promise<void> {
      await records.upsert(PROGRESS, uid, { ...progress }, clock.now() + PROGRESS_TTL_MS);
    },
    async find(uid: string): Promise<SignInProgress | undefined> {
      const record = await records.find(PROGRESS, uid);
      if (!record || typeof record.accountId !== 'string' || !Array.isArray(record.amr)) return undefined;
      return { accountId: record.accountId, amr: record.amr.map(String), step: record.step === 'enrol' ? 'enrol' : 'second_factor', fresh: record.fresh === true };
    },
    async drop(uid: string): Promise<void> {
      await records.destroy(PROGRESS, uid);
    },
  };
}

export type SignInProgressStore = ReturnType<typeof createSignInProgress>;
