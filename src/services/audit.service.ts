import type { Clock } from '../lib/clock.ts';
import type { Locale } from '../lib/i18n.ts';
import type { Logger } from '../logger/logger.ts';
import type { AuditEvent, AuditStore } from '../stores/types.ts';
import type { Metrics } from './metrics.service.ts';

/** Who did it from where: what every audited request carries. */
export interface RequestOrigin {
  ip: string;
  userAgent: string;
  /** The language of the request's page: mails it causes are written in it. */
  locale?: Locale | undefined;
}

export type AuditEventName =
  | 'sign_in' | 'lockout' | 'registration' | 'email_verification' | 'password_change'
  | 'password_reset_request' | 'password_reset' | 'consent' | 'sign_out'
  | 'federated_sign_in' | 'federation_link' | 'federation_unlink' | 'email_ownership_proven'
  | 'second_factor' | 'passkey_sign_in' | 'recovery_code_used' | 'reauthentication'
  | 'mfa_enrolled' | 'mfa_removed' | 'recovery_codes_regenerated' | 'mfa_reset'
  | 'profile_change' | 'email_change' | 'account_deleted' | 'session_ended'
  | 'admin_action' | 'refresh_token_reuse' | 'authorization_code_reuse';

export interface AuditTrail {
  record(event: AuditEventName, outcome: AuditEvent['outcome'], origin: Partial<RequestOrigin>, fields?: Pick<AuditEvent, 'accountId' | 'clientId' | 'details'>): Promise<void>;
}

/** Each audited event becomes a structured log line and a stored record (kept AUDIT_RETENTION_DAYS). */
export function createAuditTrail(deps: { store: AuditStore; clock: Clock; logger: Logger; metrics?: Metrics }): AuditTrail {
  const log = deps.logger.child({ module: 'audit' });
  return {
    async record(event, outcome, origin, fields = {}) {
      if (event === 'sign_in') deps.metrics?.signIns.inc({ outcome });
      if (event === 'lockout') deps.metrics?.lockouts.inc();
      const entry: AuditEvent = { at: deps.clock.now(), event, outcome, ip: origin.ip, userAgent: origin.userAgent, ...fields };
      log.info({ audit: event, outcome, accountId: fields.accountId, clientId: fields.clientId, ip: origin.ip, details: fields.details }, `audit: ${event} ${outcome}`);
      await deps.store.record(entry);
    },
  };
}
