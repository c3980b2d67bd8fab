import type { AdminServices } from '../../services/admin/admin.module.ts';
import type { AdminOperation } from './admin-operation.ts';
import { auditOperations } from './audit.operations.ts';
import { apiOperations, clientOperations, keyOperations } from './registry.operations.ts';
import { userOperations } from './users.operations.ts';

/** Every operation of the admin API, in the order the OpenAPI document lists them. */
export function adminOperations(admin: AdminServices): AdminOperation[] {
  return [
    ...userOperations(admin.accounts, admin.sessions),
    ...clientOperations(admin.clients),
    ...apiOperations(admin.apis),
    ...keyOperations(admin.keys),
    ...auditOperations(admin.audit),
  ];
}
