import { takeRecord } from './single-use-records.ts';
import type { Clock } from '../lib/clock.ts';
import type { OidcRecordStore } from '../stores/types.ts';

/** A pending sign-in lives at most as long as an upstream round trip may take. */
const PENDING_TTL_MS = 10 * 60 * 1000;

/**
 * What an upstream round trip resolved to, waiting for the browser that holds the interaction:
 * a sign-in to `accountId` through the link (upstream, subject), or (`link`) an identity to
 * link once that account's password is given.
 */
export interface FederatedSignIn {
  kind: 'signed_in' | 'link';
  accountId: string;
  upstream: string;
  subject: string;
  email: string;
}

/** An upstream identity waiting to be linked once the person signs in with the account's password. */
export interface PendingLink {
  upstream: string;
  subject: string;
  email: string;
  accountId: string;
}

/**
 * Identity decisions of a sign-in in progress, kept server-side and keyed by the interaction
 * (DESIGN.md, Layering rule 6): which account an upstream sign-in resolved to, and a link
 * waiting for the owner's password. The UI cookie is signed, not secret-proof: whoever holds
 * (or guesses) a cookie secret can write it, so it never says who someone is.
 *
 * Stored through the OIDC record store under models of Keyward's own, so both backends,
 * expiry at read time and the sweep come with it.
 */
export interface PendingSignIns {
  saveFederated(uid: string, signIn: FederatedSignIn): Promise<void>;
  /** The account an upstream sign-in resolved to for this interaction, and through which link; single use. */
  takeFederated(uid: string): Promise<FederatedSignIn | undefined>;
  saveLink(uid: string, link: PendingLink): Promise<void>;
  findLink(uid: string): Promise<PendingLink | undefined>;
  dropLink(uid: string): Promise<void>;
}

const FEDERATED = 'KeywardFederatedSignIn';
const LINK = 'KeywardPendingLink';

export function createPendingSignIns(store: OidcRecordStore, clock: Clock): PendingSignIns {
  const expiresAt = () => clock.now() + PENDING_TTL_MS;
  return {
    async saveFederated(uid, signIn) {
      await store.upsert(FEDERATED, uid, { ...signIn }, expiresAt());
    },
    async takeFederated(uid) {
      // Taken once: of two requests finishing the same sign-in, one wins.
      const record = await takeRecord(store, FEDERATED, uid);
      if (typeof record?.accountId !== 'string') return undefined;
      return { kind: record.kind === 'link' ? 'link' : 'signed_in', accountId: record.accountId, upstream: String(record.upstream), subject: String(record.subject), email: String(record.email) };
    },
    async saveLink(uid, link) {
      await store.upsert(LINK, uid, { ...link }, expiresAt());
    },
    async findLink(uid) {
      const record = await store.find(LINK, uid);
      if (!record || typeof record.accountId !== 'string') return undefined;
      return { upstream: String(record.upstream), subject: String(record.subject), email: String(record.email), accountId: record.accountId };
    },
    async dropLink(uid) {
      await store.destroy(LINK, uid);
    },
  };
}
