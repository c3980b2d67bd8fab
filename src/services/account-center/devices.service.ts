import type { Clock } from '../../lib/clock.ts';
import type { OidcPayload, OidcRecordStore } from '../../stores/types.ts';
import { revokeGrant } from '../account-sessions.service.ts';

const DEVICE = 'KeywardSessionDevice';
/** More sessions than anyone keeps: a bound on what one page lists. */
const LIST_LIMIT = 200;
/** Last-seen is written at most this often per session (each sign-in to an app is a "seen"). */
const SEEN_RESOLUTION_MS = 60_000;

export interface SessionDevice {
  /** oidc-provider's session uid (stable for the browser session). */
  sessionId: string;
  browser: string;
  ip: string;
  signedInAt: number | undefined;
  lastSeenAt: number;
  current: boolean;
  /** RFC 8176 methods of the session's last sign-in. */
  methods: string[];
}

/** "Firefox on Windows" from a user agent: enough to recognise a device, no parsing library. */
export function describeBrowser(userAgent: string): string {
  const browser = /Edg\//.test(userAgent) ? 'Edge' : /OPR\//.test(userAgent) ? 'Opera' : /Firefox\//.test(userAgent) ? 'Firefox'
    : /Chrom(e|ium)\//.test(userAgent) ? 'Chrome' : /Safari\//.test(userAgent) ? 'Safari' : undefined;
  const system = /Android/.test(userAgent) ? 'Android' : /iPhone|iPad/.test(userAgent) ? 'iOS' : /Windows/.test(userAgent) ? 'Windows'
    : /Mac OS X|Macintosh/.test(userAgent) ? 'macOS' : /Linux/.test(userAgent) ? 'Linux' : undefined;
  if (!browser && !system) return userAgent ? 'Unknown browser' : 'Unknown device';
  return [browser ?? 'A browser', system ? `on ${system}` : ''].filter(Boolean).join(' ');
}

/**
 * The browser sessions of an account, as the account center shows them: oidc-provider keeps the
 * sessions; Keyward notes, when a session signs in to an app, the browser and address it came
 * from (a record of its own per session, removed with the account's other signed-in state).
 */
export function createDevices(deps: { records: OidcRecordStore; clock: Clock; sessionTtlSeconds: number }) {
  const { records, clock } = deps;
  /**
   * Ends a browser session and what apps got through it: each browser session has grants of
   * its own (consent is copied per session, oidc/existing-grants.ts), named in the session's
   * `authorizations`; ending them ends the refresh tokens a thief may have taken with the session.
   */
  const end = async (session: { id: string; payload: OidcPayload }) => {
    const authorizations = typeof session.payload.authorizations === 'object' && session.payload.authorizations ? Object.values(session.payload.authorizations as Record<string, { grantId?: unknown }>) : [];
    const grants = authorizations.map((a) => a?.grantId).filter((id): id is string => typeof id === 'string');
    await Promise.all([...grants.map((grantId) => revokeGrant(records, grantId)), records.destroy('Session', session.id), records.destroy(DEVICE, String(session.payload.uid))]);
  };
  return {
    /** A session was used (an authorization): remember from where, at most once a minute. */
    async seen(input: { sessionId: string; accountId: string; ip: string; userAgent: string }): Promise<void> {
      const known = await records.find(DEVICE, input.sessionId);
      const now = clock.now();
      if (known?.accountId === input.accountId && typeof known.lastSeenAt === 'number' && now - known.lastSeenAt < SEEN_RESOLUTION_MS && known.ip === input.ip) return;
      await records.upsert(DEVICE, input.sessionId, {
        accountId: input.accountId, ip: input.ip.slice(0, 64), userAgent: input.userAgent.slice(0, 300),
        firstSeenAt: typeof known?.firstSeenAt === 'number' && known.accountId === input.accountId ? known.firstSeenAt : now, lastSeenAt: now,
      }, now + deps.sessionTtlSeconds * 1000);
    },

    async list(accountId: string, currentSessionId: string | undefined): Promise<SessionDevice[]> {
      const [sessions, devices] = await Promise.all([records.listByAccountId('Session', accountId, LIST_LIMIT), records.listByAccountId(DEVICE, accountId, LIST_LIMIT)]);
      const byId = new Map(devices.map((d) => [d.id, d.payload]));
      return sessions.map(({ payload }) => {
        const sessionId = String(payload.uid);
        const device = byId.get(sessionId);
        return {
          sessionId,
          browser: describeBrowser(typeof device?.userAgent === 'string' ? device.userAgent : ''),
          ip: typeof device?.ip === 'string' ? device.ip : 'unknown',
          signedInAt: typeof payload.loginTs === 'number' ? payload.loginTs * 1000 : undefined,
          lastSeenAt: typeof device?.lastSeenAt === 'number' ? device.lastSeenAt : (typeof payload.loginTs === 'number' ? payload.loginTs * 1000 : 0),
          current: sessionId === currentSessionId,
          methods: Array.isArray(payload.amr) ? payload.amr.map(String) : [],
        };
      }).sort((a, b) => Number(b.current) - Number(a.current) || b.lastSeenAt - a.lastSeenAt);
    },

    /** Signs one session out (its record goes; the browser's cookie then finds nothing), with its apps' grants. */
    async signOut(accountId: string, sessionId: string): Promise<boolean> {
      const sessions = await records.listByAccountId('Session', accountId, LIST_LIMIT);
      const target = sessions.find((s) => s.payload.uid === sessionId);
      if (!target) return false;
      await end(target);
      return true;
    },

    /** Every session but `keep`; returns how many ended. */
    async signOutOthers(accountId: string, keep: string): Promise<number> {
      const others = (await records.listByAccountId('Session', accountId, LIST_LIMIT)).filter((s) => s.payload.uid !== keep);
      await Promise.all(others.map(end));
      return others.length;
    },
  };
}

export type Devices = ReturnType<typeof createDevices>;
