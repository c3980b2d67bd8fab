import type { Config } from '../../config/schema.ts';
import type { Clock } from '../../lib/clock.ts';
import type { Stores } from '../../stores/types.ts';
import type { AccountMail } from '../account-mail.service.ts';
import type { AccountService } from '../accounts.service.ts';
import type { AuditTrail } from '../audit.service.ts';
import type { Mailer } from '../mail.service.ts';
import type { PasswordHasher } from '../passwords.service.ts';
import type { Throttle } from '../throttle.service.ts';
import { createAccountChanges } from './account-changes.service.ts';
import { createConnectedApps } from './connected-apps.service.ts';
import { createDevices } from './devices.service.ts';
import { createEmailChange } from './email-change.service.ts';

/** The account center's services, built together from the stores they share (called by container.ts). */
export function createAccountCenter(deps: { config: Config; stores: Stores; clock: Clock; accounts: AccountService; passwords: PasswordHasher; throttle: Throttle; audit: AuditTrail; mail: AccountMail; mailer: Mailer }) {
  const { config, stores, clock, audit } = deps;
  const devices = createDevices({ records: stores.oidcRecords, clock, sessionTtlSeconds: config.ttl.session });
  const apps = createConnectedApps({ records: stores.oidcRecords, audit });
  return {
    devices,
    apps,
    emailChange: createEmailChange({ accounts: stores.accounts, records: stores.oidcRecords, authenticators: stores.authenticators, mailer: deps.mailer, translate: deps.mail.translate, audit, clock, issuer: config.issuer, productName: config.ui.productName }),
    changes: createAccountChanges({
      accounts: stores.accounts, accountService: deps.accounts, passwords: deps.passwords, records: stores.oidcRecords, authenticators: stores.authenticators,
      recoveryCodes: stores.recoveryCodes, identities: stores.federatedIdentities, auditStore: stores.audit, devices, apps, throttle: deps.throttle, audit, mail: deps.mail,
    }),
  };
}

export type AccountCenter = ReturnType<typeof createAccountCenter>;
