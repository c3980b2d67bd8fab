import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Validator } from '@seriousme/openapi-schema-validator';
import { ADMIN_API_PREFIX, ADMIN_API_VERSION, adminApiRoutes } from '../../src/http/admin-api/admin-api.routes.ts';
import { adminOperations } from '../../src/http/admin-api/admin-api.operations.ts';
import { startTestKeyward, type TestKeyward } from '../helpers/test-server.ts';

/** The served OpenAPI document is valid OpenAPI 3.1 and names every route the router answers, and no other. */
describe('admin API OpenAPI document', () => {
  let keyward: TestKeyward;
  let document: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

  beforeAll(async () => {
    keyward = await startTestKeyward();
    const response = await fetch(`${keyward.issuer}${ADMIN_API_PREFIX}/openapi.json`);
    expect(response.status).toBe(200);
    document = (await response.json()) as Record<string, unknown>;
  });
  afterAll(() => keyward.stop());

  it('validates against the OpenAPI 3.1 schema (@seriousme/openapi-schema-validator)', async () => {
    const validator = new Validator();
    const result = await validator.validate(document);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    expect(document.info.version).toBe(ADMIN_API_VERSION);
  });

  it('has an operation, with a security requirement, for every route of the router and no route without one', () => {
    const router = adminApiRoutes({ operations: adminOperations(keyward.running.container.admin), authenticate: async () => undefined, issuer: keyward.issuer, version: ADMIN_API_VERSION });
    const routed = router.stack
      .filter((layer) => layer.methods.length > 0 && !String(layer.path).endsWith('/openapi.json'))
      .flatMap((layer) => layer.methods.filter((m) => m !== 'HEAD').map((m) => `${m.toLowerCase()} ${String(layer.path).slice(ADMIN_API_PREFIX.length).replace(/:(\w+)/g, '{$1}')}`));
    const documented = Object.entries(document.paths as Record<string, Record<string, { security: unknown[] }>>)
      .flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method} ${path}`));
    expect(new Set(routed)).toEqual(new Set(documented));
    expect(routed.length).toBe(adminOperations(keyward.running.container.admin).length);
    for (const methods of Object.values(document.paths as Record<string, Record<string, { security: unknown[]; operationId: string }>>)) {
      for (const op of Object.values(methods)) expect(op.security).toEqual([{ keyward: [expect.stringMatching(/^admin:(read|write)$/)] }]);
    }
  });

  it('describes request bodies and parameters from the zod schemas that validate them', () => {
    const createUser = document.paths['/users'].post;
    expect(createUser.requestBody.content['application/json'].schema.required).toEqual(['email']);
    expect(createUser.requestBody.content['application/json'].schema.additionalProperties).toBe(false);
    const limit = document.paths['/users'].get.parameters.find((p: { name: string }) => p.name === 'limit');
    expect(limit.schema).toMatchObject({ maximum: 200, minimum: 1 });
    expect(document.paths['/users/{id}'].patch.parameters).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'If-Match', in: 'header', required: true })]));
  });
});
