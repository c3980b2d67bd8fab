import { userInfo } from 'node:os';
import type { AdminCall } from '../services/admin/admin-context.ts';

/** The operator at the terminal: every change is audited with their login name. */
export function cliCall(): AdminCall {
  return { actor: { kind: 'cli', user: userInfo().username }, origin: { ip: 'cli', userAgent: 'keyward cli' } };
}
