import type { Clock } from '../lib/clock.ts';
import { hashToken, randomToken } from '../lib/ids.ts';
import type { AccountRecord, AccountStore, OidcRecordStore } from '../stores/types.ts';
import { ADMIN_ROLE } from './admin/admin-context.ts';

/** The record of a signed-in admin console, in the OIDC record store (revokeEverythingFor ends it). */
export const ADMIN_CONSOLE_SESSION_MODEL = 'KeywardAdminConsoleSession';
/** A console session lasts a working day at most, whatever the Keyward session behind it. */
export const ADMIN_CONSOLE_SESSION_TTL_MS = 8 * 60 * 60 * 1000;

/** What the console's sign-in established: the code's account, grant and browser session. */
export interface ConsoleSignIn {
  accountId: string;
  grantId: string;
  sessionUid: string;
  amr: readonly string[];
  acr: string | undefined;
  /** Epoch seconds. */
  authTime: number | undefined;
}

export type ConsoleSessionCheck =
  | { status: 'admin'; account: AccountRecord; signIn: ConsoleSignIn }
  | { status: 'not_admin'; account: AccountRecord }
  | { status: 'ended' };

interface Deps {
  records: OidcRecordStore;
  accounts: Pick<AccountStore, 'findById'>;
  clock: Clock;
}

// The cookie holds the token; the store only its hash, so a copy of the store opens no console.
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** Starts a console session; returns the token for its cookie. */
export async function openConsoleSession(deps: Pick<Deps, 'records' | 'clock'>, signIn: ConsoleSignIn): Promise<string> {
  const token = randomToken(32);
  const now = deps.clock.now();
  // accountId and grantId at the top level: the store indexes both (ending an account's state finds it).
  await deps.records.upsert(ADMIN_CONSOLE_SESSION_MODEL, hashToken(token), { ...signIn, amr: [...signIn.amr], createdAt: now }, now + ADMIN_CONSOLE_SESSION_TTL_MS);
  return token;
}

export async function closeConsoleSession(deps: Pick<Deps, 'records'>, token: string | undefined): Promise<void> {
  if (token && TOKEN.test(token)) await deps.records.destroy(ADMIN_CONSOLE_SESSION_MODEL, hashToken(token));
}

const asString = (value: unknown) => (typeof value === 'string' ? value : undefined);

/**
 * Whether the token still opens the console, checked on every console request: the record is
 * live, the account exists, is enabled and has the admin role, and the grant and the Keyward
 * browser session the console signed in through both still exist. So disabling an admin, taking
 * the role away, revoking their sessions, or signing out of Keyward ends the console at once.
 * A session that fails any of these is removed.
 */
export async function checkConsoleSession(deps: Deps, token: string | undefined): Promise<ConsoleSessionCheck> {
  if (!token || !TOKEN.test(token)) return { status: 'ended' };
  const id = hashToken(token);
  const payload = await deps.records.find(ADMIN_CONSOLE_SESSION_MODEL, id);
  const accountId = asString(payload?.accountId);
  const grantId = asString(payload?.grantId);
  const sessionUid = asString(payload?.sessionUid);
  if (!payload || !accountId || !grantId || !sessionUid) return { status: 'ended' };
  const [account, grant, session] = await Promise.all([
    deps.accounts.findById(accountId), deps.records.find('Grant', grantId), deps.records.findByUid('Session', sessionUid),
  ]);
  const live = account && !account.disabled && grant?.accountId === accountId && session?.accountId === accountId;
  if (!live || !account.roles.includes(ADMIN_ROLE)) await deps.records.destroy(ADMIN_CONSOLE_SESSION_MODEL, id);
  if (!live) return { status: 'ended' };
  if (!account.roles.includes(ADMIN_ROLE)) return { status: 'not_admin', account };
  const amr = Array.isArray(payload.amr) ? payload.amr.filter((m): m is string => typeof m === 'string') : [];
  return {
    status: 'admin',
    account,
    signIn: { accountId, grantId, sessionUid, amr, acr: asString(payload.acr), authTime: typeof payload.authTime === 'number' ? payload.authTime : undefined },
  };
}
