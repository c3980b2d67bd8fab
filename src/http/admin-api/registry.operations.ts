import { z } from 'zod';
import type { ApisAdmin } from '../../services/admin/apis-admin.service.ts';
import type { ClientsAdmin } from '../../services/admin/clients-admin.service.ts';
import type { KeysAdmin } from '../../services/admin/keys-admin.service.ts';
import { AdminError } from '../../services/admin/admin-context.ts';
import { apiSchema } from '../../services/apis.service.ts';
import { clientInputSchema } from '../../services/clients.service.ts';
import { deleted, idParams, operation, pageInMemory, pageOf, pageQuery } from './admin-operation.ts';

/** Client metadata as the clients file takes it (src/services/clients.service.ts), checked in full by the service. */
/** Client metadata as the clients file takes it, without the secret (Keyward generates it); the kind's rules are checked by the service. */
const clientInput = clientInputSchema.omit({ client_secret: true });
const editable = clientInputSchema.omit({ client_id: true, kind: true, client_secret: true });
/** The fields to replace; null removes an optional one. client_id and kind cannot change. */
const clientChanges = z.strictObject(Object.fromEntries(Object.entries(editable.shape).map(([field, schema]) => [field, (schema as z.ZodType).nullable().optional()])));
const clientSchema = z.object({ client_id: z.string(), kind: z.string(), source: z.enum(['file', 'store', 'built-in']), revision: z.number().int().optional() }).loose();
const withSecret = z.object({ client: clientSchema, client_secret: z.string().optional().describe('Shown only in this answer') });
const apiView = z.object({
  identifier: z.string(), source: z.enum(['file', 'store', 'built-in']), shadowed: z.boolean(), revision: z.number().int().optional(),
  definition: z.record(z.string(), z.unknown()), problems: z.array(z.string()),
}).loose();
const apiParams = z.strictObject({ identifier: z.string().min(1).max(2000).describe('The API identifier (its resource indicator), URL-encoded') });
const keySchema = z.object({ kid: z.string(), alg: z.string(), state: z.enum(['next', 'current', 'previous']), state_since: z.number().int(), created_at: z.number().int() });

export function clientOperations(clients: ClientsAdmin) {
  const tag = 'clients';
  return [
    operation({
      method: 'get', path: '/clients', operationId: 'listClients', tag, scope: 'admin:read', summary: 'Clients (the file\'s, the built-in ones and the store\'s) in client_id order',
      query: pageQuery, response: pageOf(clientSchema),
      handler: async ({ query }) => ({ body: pageInMemory(await clients.list(), (c) => `${c.client_id}\u0000${c.source}`, query) }),
    }),
    operation({
      method: 'post', path: '/clients', operationId: 'createClient', tag, scope: 'admin:write', summary: 'Add a store client; a generated secret is returned once',
      body: clientInput, status: 201, etag: true, response: withSecret,
      handler: async ({ call, body }) => {
        const result = await clients.create(call, body);
        return { body: result, status: 201, revision: result.client.revision };
      },
    }),
    operation({
      method: 'get', path: '/clients/{id}', operationId: 'getClient', tag, scope: 'admin:read', summary: 'Show one client (never its secret)', params: idParams, etag: true, response: clientSchema,
      handler: async ({ params }) => {
        const client = await clients.show(params.id);
        return { body: client, revision: client.revision };
      },
    }),
    operation({
      method: 'patch', path: '/clients/{id}', operationId: 'updateClient', tag, scope: 'admin:write', summary: 'Change a store client',
      params: idParams, body: clientChanges, ifMatch: 'required', etag: true, response: clientSchema,
      handler: async ({ call, params, body, ifMatch }) => {
        const client = await clients.update(call, params.id, body, ifMatch);
        return { body: client, revision: client.revision };
      },
    }),
    operation({
      method: 'post', path: '/clients/{id}/rotate-secret', operationId: 'rotateClientSecret', tag, scope: 'admin:write', summary: 'A new secret, returned once; the old one stops working at once',
      params: idParams, ifMatch: 'optional', etag: true, response: withSecret,
      handler: async ({ call, params, ifMatch }) => {
        const result = await clients.rotateSecret(call, params.id, ifMatch);
        return { body: result, revision: result.client.revision };
      },
    }),
    operation({
      method: 'delete', path: '/clients/{id}', operationId: 'deleteClient', tag, scope: 'admin:write', summary: 'Delete a store client',
      params: idParams, ifMatch: 'required', response: deleted,
      handler: async ({ call, params, ifMatch }) => ({ body: await clients.remove(call, params.id, ifMatch) }),
    }),
  ];
}

export function apiOperations(apis: ApisAdmin) {
  const tag = 'apis';
  return [
    operation({
      method: 'get', path: '/apis', operationId: 'listApis', tag, scope: 'admin:read', summary: 'APIs (built-in, the file\'s and the store\'s) in identifier order',
      query: pageQuery, response: pageOf(apiView),
      handler: async ({ query }) => ({ body: pageInMemory(await apis.list(), (api) => `${api.identifier}\u0000${api.source}`, query) }),
    }),
    operation({
      method: 'post', path: '/apis', operationId: 'createApi', tag, scope: 'admin:write', summary: 'Add a store API (every replica serves it within API_REFRESH_SECONDS)',
      body: apiSchema, status: 201, etag: true, response: apiView,
      handler: async ({ call, body }) => {
        const api = await apis.create(call, body);
        return { body: api, status: 201, revision: api.revision };
      },
    }),
    operation({
      method: 'get', path: '/apis/{identifier}', operationId: 'getApi', tag, scope: 'admin:read', summary: 'Show one API', params: apiParams, etag: true, response: apiView,
      handler: async ({ params }) => {
        const api = await apis.show(params.identifier);
        return { body: api, revision: api.source === 'store' ? api.revision : undefined };
      },
    }),
    operation({
      method: 'patch', path: '/apis/{identifier}', operationId: 'replaceApi', tag, scope: 'admin:write', summary: 'Replace a store API\'s definition',
      params: apiParams, body: apiSchema, ifMatch: 'required', etag: true, response: apiView,
      handler: async ({ call, params, body, ifMatch }) => {
        const api = await apis.update(call, params.identifier, body, ifMatch!);
        return { body: api, revision: api.revision };
      },
    }),
    operation({
      method: 'delete', path: '/apis/{identifier}', operationId: 'deleteApi', tag, scope: 'admin:write', summary: 'Delete a store API no client is granted',
      params: apiParams, ifMatch: 'required', response: deleted,
      handler: async ({ call, params, ifMatch }) => {
        await apis.remove(call, params.identifier, ifMatch);
        return { body: { identifier: params.identifier, deleted: true } };
      },
    }),
  ];
}

export function keyOperations(keys: KeysAdmin) {
  const tag = 'keys';
  return [
    operation({
      method: 'get', path: '/keys', operationId: 'listKeys', tag, scope: 'admin:read', summary: 'Signing keys with state and dates (never a private part)',
      response: z.object({ items: z.array(keySchema) }),
      handler: async () => ({ body: { items: await keys.list() } }),
    }),
    operation({
      method: 'post', path: '/keys/rotate', operationId: 'rotateKeys', tag, scope: 'admin:write', summary: 'next → current → previous, with the CLI\'s safety rules (force overrides the wait)',
      body: z.strictObject({ force: z.boolean().default(false) }),
      response: z.object({ outcome: z.enum(['rotated', 'published_next', 'too_soon', 'raced']) }).loose(),
      handler: async ({ call, body }) => {
        const result = await keys.rotate(call, { force: body.force });
        if (result.outcome === 'too_soon') throw new AdminError('conflict', `The next keys were published too recently for every cache to have them: rotate in ${result.waitSeconds} s, or with force`);
        return { body: result };
      },
    }),
    operation({
      method: 'post', path: '/keys/retire', operationId: 'retireKeys', tag, scope: 'admin:write', summary: 'Remove previous keys whose tokens have all expired',
      response: z.object({ retired: z.array(z.string()) }),
      handler: async ({ call }) => ({ body: await keys.retire(call) }),
    }),
  ];
}
