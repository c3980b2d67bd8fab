import type { PendingLink, UpstreamRequest } from '../services/federation/federation.service.ts';
import type { KeywardContext } from './state.ts';

/** UI-only state kept in the signed koa-session cookie (DESIGN.md, Layering rule 6). */
export interface UiSession {
  csrf?: string;
  /** An upstream sign-in in flight: bound to this browser and this interaction. */
  federation?: { uid: string; upstream: string; request: UpstreamRequest; startedAt: number };
  /** An upstream sign-in that succeeded, to be finished under the interaction's path. */
  federatedLogin?: { uid: string; accountId: string };
  /** A link waiting for the owner's password sign-in in the same interaction. */
  pendingLink?: PendingLink & { uid: string };
}

// koa-session adds ctx.session without a type augmentation for koa.
export function uiSession(ctx: KeywardContext): UiSession {
  const session = (ctx as unknown as { session?: UiSession | null }).session;
  if (!session) throw new Error('uiSession() needs koa-session in front of it');
  return session;
}
