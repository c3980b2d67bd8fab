import { z } from 'zod';
import type { AdminOperation } from './admin-operation.ts';

const jsonSchema = (schema: z.ZodType, io: 'input' | 'output') =>
  z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Record<string, unknown>;

/** Removes the `$schema` keyword: OpenAPI 3.1 sets the dialect for the whole document. */
function bare(schema: Record<string, unknown>): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = schema;
  return rest;
}

const problemSchema = {
  type: 'object',
  description: 'RFC 9457 problem details',
  required: ['type', 'title', 'status'],
  properties: {
    type: { type: 'string' }, title: { type: 'string' }, status: { type: 'integer' }, detail: { type: 'string' },
    errors: { type: 'array', items: { type: 'string' } }, request_id: { type: 'string' },
  },
};

const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } });

/** Parameters of a path or query schema, one per property. */
function parameters(schema: z.ZodObject | undefined, where: 'path' | 'query') {
  if (!schema) return [];
  const json = jsonSchema(schema, 'input') as { properties?: Record<string, Record<string, unknown>>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => {
    const { description, ...rest } = property;
    return { name, in: where, required: where === 'path' || (json.required ?? []).includes(name), ...(description ? { description } : {}), schema: rest };
  });
}

/** The OpenAPI 3.1 document of the admin API, generated from the operations' own zod schemas. */
export function openApiDocument(operations: readonly AdminOperation[], options: { issuer: string; version: string }) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of operations) {
    const responses: Record<string, unknown> = {
      [String(op.status ?? 200)]: {
        description: 'Success',
        ...(op.etag ? { headers: { ETag: { description: 'The revision to send back in If-Match', schema: { type: 'string' } } } } : {}),
        content: { [op.jsonLines ? 'application/jsonl' : 'application/json']: { schema: bare(jsonSchema(op.response, 'output')) } },
      },
      400: problem('The request is invalid'),
      401: problem('No valid access token for the admin API'),
      403: problem('The token lacks the scope, or the person the admin role'),
      ...(op.path.includes('{') ? { 404: problem('No such resource') } : {}),
      ...(op.ifMatch ? { 412: problem('The resource changed since the revision in If-Match') } : {}),
      ...(op.ifMatch === 'required' ? { 428: problem('If-Match is required') } : {}),
      ...(op.method !== 'get' ? { 409: problem('The change conflicts with the current state') } : {}),
    };
    const ifMatch = op.ifMatch ? [{ name: 'If-Match', in: 'header', required: op.ifMatch === 'required', schema: { type: 'string' }, description: 'The ETag of the revision this change is based on' }] : [];
    (paths[op.path] ??= {})[op.method] = {
      operationId: op.operationId,
      summary: op.summary,
      tags: [op.tag],
      security: [{ keyward: [op.scope] }],
      parameters: [...parameters(op.params, 'path'), ...parameters(op.query, 'query'), ...ifMatch],
      ...(op.body ? { requestBody: { required: true, content: { 'application/json': { schema: bare(jsonSchema(op.body, 'input')) } } } } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Keyward admin API', version: options.version, description: 'Users, clients, APIs, signing keys, sessions and the audit log of one Keyward.' },
    servers: [{ url: `${options.issuer}/admin/api/v1` }],
    paths,
    components: {
      schemas: { Problem: problemSchema },
      securitySchemes: {
        keyward: {
          type: 'oauth2',
          description: `Access tokens Keyward issues for the resource ${options.issuer}/admin/api/v1 (RFC 8707): people with the admin role through the authorization code flow, service clients through client_credentials.`,
          flows: {
            authorizationCode: { authorizationUrl: `${options.issuer}/auth`, tokenUrl: `${options.issuer}/token`, scopes: { 'admin:read': 'Read', 'admin:write': 'Change' } },
            clientCredentials: { tokenUrl: `${options.issuer}/token`, scopes: { 'admin:read': 'Read', 'admin:write': 'Change' } },
          },
        },
      },
    },
  };
}
