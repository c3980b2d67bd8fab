import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { encode } from '../helpers/fuzz.ts';
import { ADMIN_API_PREFIX } from '../../src/http/admin-api/admin-api.routes.ts';
import { adminServiceClient, serviceToken } from '../helpers/admin-api.ts';
import { freePort, startTestKeyward, type TestKeyward } from '../helpers/test-server.ts';

/**
 * Property-based fuzzing of the admin REST API, every documented operation, with a token that
 * may write: hostile path segments, queries, JSON (and not-JSON) bodies and If-Match headers.
 * Properties: no 5xx, no stack trace, every answer JSON or problem+json (or JSON lines).
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 40);
const STACK = /\bat [\w.<>]+ \(?[^)\s]*\.(?:js|ts|cjs|mjs):\d+|node_modules\//;

const hostile = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom('<script>kw</script>', '../../etc/passwd', '%00%ff', '\r\nX: y', 'https://evil.example/', '{"$ne":null}', '__proto__', 'constructor', 'x'.repeat(3000), '\uD800', '*', 'W/"r1"', '"r999999999999999"'),
);
const jsonBody = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  fc.dictionary(fc.constantFrom('email', 'name', 'roles', 'disabled', 'client_id', 'kind', 'redirect_uris', 'api_scopes', 'identifier', 'scopes', 'force', '__proto__', 'constructor'), fc.oneof(hostile, fc.array(hostile, { maxLength: 3 }), fc.boolean(), fc.integer(), fc.constant(null)), { maxKeys: 6 }).map((d) => JSON.stringify(d)),
  fc.constantFrom('{"a":', '[]', 'null', '"x"', '{"__proto__":{"admin":true}}', `{"name":"${'a'.repeat(70_000)}"}`, '{'.repeat(2000)),
);

describe('fuzzing the admin API', () => {
  let keyward: TestKeyward;
  let token: string;
  let operations: { method: string; path: string }[];
  const report = new Map<string, number>();

  beforeAll(async () => {
    const port = await freePort();
    const bot = adminServiceClient(`http://127.0.0.1:${port}`, 'fuzz-bot', ['admin:read', 'admin:write']);
    keyward = await startTestKeyward({ port, registry: { clients: [bot] } });
    token = await serviceToken(keyward, bot);
    const document = (await (await fetch(`${keyward.issuer}${ADMIN_API_PREFIX}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    operations = Object.entries(document.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => ({ method: method.toUpperCase(), path })));
  });
  afterAll(() => keyward?.stop());

  async function probe(method: string, path: string, init: { body?: string; headers?: Record<string, string> } = {}): Promise<void> {
    const response = await fetch(`${keyward.issuer}${ADMIN_API_PREFIX}${path}`, {
      method, headers: { authorization: `Bearer ${token}`, ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}), ...init.headers }, body: init.body,
    });
    const text = await response.text();
    report.set(`${Math.floor(response.status / 100)}xx`, (report.get(`${Math.floor(response.status / 100)}xx`) ?? 0) + 1);
    expect({ method, path, status: response.status, below500: response.status < 500 }).toMatchObject({ below500: true });
    expect(text).not.toMatch(STACK);
    expect(response.headers.get('content-type') ?? '').toMatch(/^application\/(json|problem\+json|jsonl)/);
  }

  it('every operation with hostile path parameters, queries, bodies and If-Match', async () => {
    expect(operations.length).toBeGreaterThan(20);
    await fc.assert(fc.asyncProperty(
      fc.constantFrom(...operations), hostile, hostile, fc.dictionary(fc.constantFrom('limit', 'cursor', 'email_prefix', 'event', 'outcome', 'from', 'to', 'account_id', 'client_id', 'x'), hostile, { maxKeys: 5 }), jsonBody, fc.option(hostile),
      async (op, first, second, query, body, ifMatch) => {
        let n = 0;
        const path = op.path.replace(/\{\w+\}/g, () => encode((n++ === 0 ? first : second)));
        const q = new URLSearchParams(query).toString();
        await probe(op.method, `${path}${q ? `?${q}` : ''}`, { ...(op.method === 'GET' ? {} : { body }), ...(ifMatch !== null ? { headers: { 'if-match': ifMatch.replace(/[^\x20-\x7e]/g, '?') } } : {}) });
      },
    ), { numRuns: RUNS * 5 });
    expect(report.get('5xx') ?? 0).toBe(0);
  });
});
