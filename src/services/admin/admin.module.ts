import type { Clock } from '../../lib/clock.ts';
import type { Stores } from '../../stores/types.ts';
import type { AccountMail } from '../account-mail.service.ts';
import { createDevices } from '../account-center/devices.service.ts';
import type { ApiDefinition } from '../apis.service.ts';
import type { AuditTrail } from '../audit.service.ts';
import type { ClientMetadata } from '../clients.service.ts';
import type { KeyRotation } from '../key-rotation.service.ts';
import type { PasswordHasher } from '../passwords.service.ts';
import { createAccountsAdmin } from './accounts-admin.service.ts';
import type { ApisAdmin } from './apis-admin.service.ts';
import { createAuditAdmin } from './audit-admin.service.ts';
import { createClientsAdmin } from './clients-admin.service.ts';
import { createKeysAdmin } from './keys-admin.service.ts';
import { createSessionsAdmin } from './sessions-admin.service.ts';

export interface AdminModuleDeps {
  stores: Stores;
  clock: Clock;
  passwords: Pick<PasswordHasher, 'hash'>;
  audit: AuditTrail;
  mail: Pick<AccountMail, 'securityChanged'>;
  keyRotation: KeyRotation;
  apis: ApisAdmin;
  /** The live API registry (what clients may be granted). */
  apiRegistry: { readonly all: readonly ApiDefinition[] };
  fileClients: readonly ClientMetadata[];
  builtInClients: readonly ClientMetadata[];
  clientMetadataProblem: (metadata: ClientMetadata) => Promise<string | undefined>;
  clientSecretHashKey: string;
  sessionTtlSeconds: number;
  /** Re-reads the signing keys in this process after a rotation (the server; the CLI has none). */
  onKeysChanged?: (() => Promise<unknown>) | undefined;
}

/**
 * Account, client, API, key, session and audit administration (DESIGN.md, Admin services):
 * built once here, called alike by the CLI, the admin REST API and the console.
 */
export function createAdminServices(deps: AdminModuleDeps) {
  const { stores, audit } = deps;
  const clients = createClientsAdmin({
    store: stores.clients, fileClients: deps.fileClients, builtInClients: deps.builtInClients, apis: deps.apiRegistry,
    metadataProblem: deps.clientMetadataProblem, secretHashKey: deps.clientSecretHashKey, audit,
  });
  const devices = createDevices({ records: stores.oidcRecords, clock: deps.clock, sessionTtlSeconds: deps.sessionTtlSeconds });
  return {
    accounts: createAccountsAdmin({
      accounts: stores.accounts, records: stores.oidcRecords, authenticators: stores.authenticators, recoveryCodes: stores.recoveryCodes,
      identities: stores.federatedIdentities, passwords: deps.passwords, audit, mail: deps.mail,
    }),
    clients,
    apis: deps.apis,
    keys: createKeysAdmin({ store: stores.signingKeys, rotation: deps.keyRotation, audit, onKeysChanged: deps.onKeysChanged }),
    sessions: createSessionsAdmin({ accounts: stores.accounts, devices, audit }),
    audit: createAuditAdmin({
      store: stores.audit, accounts: stores.accounts, records: stores.oidcRecords, clock: deps.clock, audit,
      clientCount: async () => (await clients.list()).filter((c) => !('shadowed' in c)).length,
    }),
  };
}

export type AdminServices = ReturnType<typeof createAdminServices>;
