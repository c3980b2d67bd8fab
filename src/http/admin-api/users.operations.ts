import { z } from 'zod';
import { accountCreateSchema, accountUpdateSchema, roleName, type AccountsAdmin } from '../../services/admin/accounts-admin.service.ts';
import type { SessionsAdmin } from '../../services/admin/sessions-admin.service.ts';
import { deleted, idParams, operation, pageOf, pageQuery } from './admin-operation.ts';

const millis = z.number().int().describe('epoch milliseconds');
export const accountSchema = z.object({
  id: z.string(), email: z.string(), email_verified: z.boolean(), name: z.string().nullable(), roles: z.array(z.string()), disabled: z.boolean(),
  has_password: z.boolean(), created_at: millis, updated_at: millis, last_sign_in_at: millis.nullable(), revision: z.number().int(),
});
const sessionSchema = z.object({
  session_id: z.string(), account_id: z.string(), browser: z.string(), ip: z.string(), signed_in_at: millis.nullable(), last_seen_at: millis, methods: z.array(z.string()),
});
const revoked = z.object({ id: z.string(), revoked: z.number().int() });
const TAG = 'users';

/** Users: list (email prefix, cursor), show, create, update, disable/enable, roles, reset MFA, sessions, delete. */
export function userOperations(accounts: AccountsAdmin, sessions: SessionsAdmin) {
  const withRevision = (result: { account: { revision: number } }) => ({ body: result.account, revision: result.account.revision });
  return [
    operation({
      method: 'get', path: '/users', operationId: 'listUsers', tag: TAG, scope: 'admin:read', summary: 'List users in email order, optionally by email prefix',
      query: pageQuery.extend({ email_prefix: z.string().min(1).max(320).optional().describe('Only users whose email starts with this (case-insensitive).') }),
      response: pageOf(accountSchema),
      handler: async ({ query }) => ({ body: await accounts.list({ emailPrefix: query.email_prefix, cursor: query.cursor, limit: query.limit }) }),
    }),
    operation({
      method: 'post', path: '/users', operationId: 'createUser', tag: TAG, scope: 'admin:write', summary: 'Create a user; a generated password is returned once unless one is given',
      body: accountCreateSchema, status: 201, etag: true,
      response: z.object({ account: accountSchema, password: z.string().optional() }),
      handler: async ({ call, body }) => {
        const result = await accounts.create(call, body);
        return { body: result, status: 201, revision: result.account.revision };
      },
    }),
    operation({
      method: 'get', path: '/users/{id}', operationId: 'getUser', tag: TAG, scope: 'admin:read', summary: 'Show one user', params: idParams, etag: true, response: accountSchema,
      handler: async ({ params }) => {
        const account = await accounts.show(params.id);
        return { body: account, revision: account.revision };
      },
    }),
    operation({
      method: 'patch', path: '/users/{id}', operationId: 'updateUser', tag: TAG, scope: 'admin:write', summary: 'Change name, roles, disabled or email_verified (disabling ends every session)',
      params: idParams, body: accountUpdateSchema, ifMatch: 'required', etag: true, response: accountSchema,
      handler: async ({ call, params, body, ifMatch }) => withRevision(await accounts.update(call, params.id, body, ifMatch)),
    }),
    operation({
      method: 'post', path: '/users/{id}/disable', operationId: 'disableUser', tag: TAG, scope: 'admin:write', summary: 'Block sign-in and end every session, grant and refresh token',
      params: idParams, ifMatch: 'optional', etag: true, response: accountSchema,
      handler: async ({ call, params, ifMatch }) => withRevision(await accounts.setDisabled(call, params.id, true, ifMatch)),
    }),
    operation({
      method: 'post', path: '/users/{id}/enable', operationId: 'enableUser', tag: TAG, scope: 'admin:write', summary: 'Allow sign-in again',
      params: idParams, ifMatch: 'optional', etag: true, response: accountSchema,
      handler: async ({ call, params, ifMatch }) => withRevision(await accounts.setDisabled(call, params.id, false, ifMatch)),
    }),
    operation({
      method: 'post', path: '/users/{id}/roles', operationId: 'setUserRoles', tag: TAG, scope: 'admin:write', summary: 'Replace the roles',
      params: idParams, body: z.strictObject({ roles: z.array(roleName).max(50) }), ifMatch: 'optional', etag: true, response: accountSchema,
      handler: async ({ call, params, body, ifMatch }) => withRevision(await accounts.setRoles(call, params.id, body.roles, ifMatch)),
    }),
    operation({
      method: 'post', path: '/users/{id}/reset-mfa', operationId: 'resetUserMfa', tag: TAG, scope: 'admin:write', summary: 'Remove every passkey, authenticator app and recovery code (the owner is mailed)',
      params: idParams, response: z.object({ id: z.string(), removed: z.number().int() }),
      handler: async ({ call, params }) => ({ body: await accounts.resetMfa(call, params.id) }),
    }),
    operation({
      method: 'post', path: '/users/{id}/revoke-sessions', operationId: 'revokeUserSessions', tag: TAG, scope: 'admin:write', summary: 'End every session, grant and refresh token',
      params: idParams, response: revoked,
      handler: async ({ call, params }) => ({ body: await accounts.revokeSessions(call, params.id) }),
    }),
    operation({
      method: 'delete', path: '/users/{id}', operationId: 'deleteUser', tag: TAG, scope: 'admin:write', summary: 'Delete the user and everything that signs them in',
      params: idParams, ifMatch: 'required', response: deleted,
      handler: async ({ call, params, ifMatch }) => ({ body: await accounts.remove(call, params.id, ifMatch) }),
    }),
    operation({
      method: 'get', path: '/users/{id}/sessions', operationId: 'listUserSessions', tag: 'sessions', scope: 'admin:read', summary: 'The browser sessions of a user',
      params: idParams, response: z.object({ items: z.array(sessionSchema) }),
      handler: async ({ params }) => ({ body: { items: await sessions.list(params.id) } }),
    }),
    operation({
      method: 'delete', path: '/users/{id}/sessions/{session_id}', operationId: 'endUserSession', tag: 'sessions', scope: 'admin:write', summary: 'End one browser session and what apps got through it',
      params: idParams.extend({ session_id: z.string().min(1).max(200) }), response: z.object({ session_id: z.string(), ended: z.literal(true) }),
      handler: async ({ call, params }) => ({ body: await sessions.end(call, params.id, params.session_id) }),
    }),
  ];
}
