import { mkdirSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { encode } from '../helpers/fuzz.ts';
import { enrolTotp, passwordStep } from '../helpers/mfa-flow.ts';
import { discoverTestClient, startAuthorization } from '../helpers/relying-party.ts';
import { basicAuthorization, startTestKeyward, TEST_API, TEST_RESOURCE_SERVER, TEST_WEB_CLIENT, type TestKeyward } from '../helpers/test-server.ts';
import { csrfTokenIn, locationOf, signInAndConsent, UserAgent } from '../helpers/user-agent.ts';
import { createVerifiedAccount } from '../helpers/accounts.ts';
import { consolePage, createAdmin, openConsole } from '../helpers/admin-console.ts';

/**
 * Property-based fuzzing of every route: malformed, oversized, wrongly encoded and hostile
 * input. Properties: no 5xx, no stack trace, no unescaped echo of what was sent.
 * `FUZZ_RUNS` raises the number of cases per endpoint (npm run hardening uses more).
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 40);
const STACK = /\bat [\w.<>]+ \(?[^)\s]*\.(?:js|ts|cjs|mjs):\d+|node_modules\//;
const MARKER = '<script>kw</script>';
/** Figures for `npm run hardening`: requests and answers by status class, per endpoint. */
const report = new Map<string, { requests: number; '2xx': number; '3xx': number; '4xx': number; '5xx': number }>();


/** Hostile values: script, header injection, path traversal, broken percent-encoding, huge, unicode. */
const hostile = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.constantFrom(
    MARKER, `"><img src=x onerror=alert(1)>${MARKER}`, "'; DROP TABLE accounts; --", '../../../../etc/passwd', '%00%ff%fe', '\r\nSet-Cookie: pwned=1',
    'https://evil.example/callback', 'javascript:alert(1)', '{"$ne": null}', '\u0000', '\uD800', 'x'.repeat(5000),
  ),
);
/** Raw form bodies: repeated and array parameters, invalid UTF-8 escapes, JSON where a form belongs. */
const rawForm = (fields: readonly string[]) => fc.oneof(
  fc.dictionary(fc.constantFrom(...fields, '_csrf', 'x'), hostile, { maxKeys: 6 }).map((d) => new URLSearchParams(d).toString()),
  fc.array(fc.tuple(fc.constantFrom(...fields), hostile), { maxLength: 6 }).map((pairs) => pairs.map(([k, v]) => `${k}=${encode(v)}&${k}[]=${encode(v)}`).join('&')),
  fc.constantFrom('%E0%A4%A', '%ff%fe%fd=%c0%af', 'a=%', '==&&==', '{"grant_type":"client_credentials"}', `${fields[0]}=${'%41'.repeat(20_000)}`),
);

describe('fuzzing every endpoint', () => {
  let keyward: TestKeyward;
  let agent: UserAgent;
  let interaction: URL;
  let csrf: string;

  beforeAll(async () => {
    keyward = await startTestKeyward({ env: { METRICS_ENABLED: 'true', METRICS_TOKEN: 'metrics-token-0123456789abcdef0123456789', THROTTLE_REQUESTS_PER_IP: '100000', THROTTLE_REQUESTS_PER_EMAIL: '1000', THROTTLE_SIGN_IN_PER_IP: '100000' }, registry: { apis: [TEST_API], clients: [TEST_RESOURCE_SERVER] } });
    agent = new UserAgent();
    interaction = locationOf(await agent.get((await startAuthorization(await discoverTestClient(keyward.issuer))).url), keyward.issuer);
    csrf = csrfTokenIn(await (await agent.get(interaction)).text());
  });
  afterAll(async () => {
    await keyward?.stop();
    mkdirSync('test-artifacts/hardening', { recursive: true });
    writeFileSync('test-artifacts/hardening/fuzz.json', JSON.stringify({ runsPerProperty: RUNS, endpoints: Object.fromEntries(report) }, null, 2));
  });

  /** Sends one request and checks the properties every answer must have. */
  async function probe(name: string, url: string, init: RequestInit & { headers?: Record<string, string> } = {}, as = agent): Promise<void> {
    const response = await as.request(url, { ...init, headers: { accept: 'text/html,application/json', ...init.headers } });
    const row = report.get(name) ?? { requests: 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 };
    row.requests += 1;
    row[`${Math.floor(response.status / 100)}xx` as '2xx'] += 1;
    report.set(name, row);
    const text = await response.text();
    expect({ name, status: response.status, below500: response.status < 500 }).toMatchObject({ below500: true });
    expect(text).not.toMatch(STACK);
    expect(text).not.toContain(MARKER);
  }

  const query = (fields: readonly string[]) => fc.dictionary(fc.constantFrom(...fields), hostile, { maxKeys: 8 }).map((d) => new URLSearchParams(d).toString());
  const form = { 'content-type': 'application/x-www-form-urlencoded' };

  it('the authorization endpoint', async () => {
    await fc.assert(fc.asyncProperty(query(['client_id', 'redirect_uri', 'response_type', 'scope', 'state', 'nonce', 'code_challenge', 'code_challenge_method', 'prompt', 'resource', 'request']), async (q) => {
      await probe('GET /auth', `${keyward.issuer}/auth?${q}`);
    }), { numRuns: RUNS });
  });

  it('the token, introspection and revocation endpoints', async () => {
    const fields = ['grant_type', 'code', 'redirect_uri', 'code_verifier', 'refresh_token', 'scope', 'resource', 'token', 'token_type_hint', 'client_id', 'client_secret'];
    await fc.assert(fc.asyncProperty(rawForm(fields), fc.constantFrom('/token', '/token/introspection', '/token/revocation'), fc.constantFrom(basicAuthorization(TEST_WEB_CLIENT), basicAuthorization(TEST_RESOURCE_SERVER), 'Basic %%%', 'Bearer x', ''), fc.constantFrom('application/x-www-form-urlencoded', 'application/json', 'text/plain', 'multipart/form-data; boundary=x'), async (body, path, authorization, type) => {
      await probe(`POST ${path}`, `${keyward.issuer}${path}`, { method: 'POST', headers: { 'content-type': type, ...(authorization ? { authorization } : {}) }, body });
    }), { numRuns: RUNS * 3 });
  });

  it('userinfo and end-session', async () => {
    await fc.assert(fc.asyncProperty(hostile, query(['id_token_hint', 'post_logout_redirect_uri', 'state', 'client_id', 'ui_locales']), async (token, q) => {
      await probe('GET /me', `${keyward.issuer}/me`, { headers: { authorization: `Bearer ${encode(token)}` } });
      await probe('GET /session/end', `${keyward.issuer}/session/end?${q}`);
      await probe('POST /session/end/confirm', `${keyward.issuer}/session/end/confirm`, { method: 'POST', headers: form, body: `xsrf=${encode(token)}&logout=yes` });
    }), { numRuns: RUNS });
  });

  it('every form of the hosted pages', async () => {
    const forms: [string, string[]][] = [
      [`${interaction.pathname}/login`, ['email', 'password']],
      [`${interaction.pathname}/consent`, []],
      [`${interaction.pathname}/deny`, []],
      ['/register', ['email', 'password', 'name', 'return_to']],
      ['/forgot-password', ['email', 'return_to']],
      ['/reset-password', ['token', 'password', 'password_confirmation']],
      ['/verify-email', ['token', 'password']],
      ['/account/identities/remove', ['upstream', 'subject']],
    ];
    for (const [path, fields] of forms) {
      await fc.assert(fc.asyncProperty(rawForm(fields.length ? fields : ['x']), fc.boolean(), async (body, withCsrf) => {
        await probe(`POST ${path.replace(/interaction\/[\w-]+/, 'interaction/:uid')}`, `${keyward.issuer}${path}`, { method: 'POST', headers: form, body: withCsrf ? `_csrf=${csrf}&${body}` : body });
      }), { numRuns: RUNS });
    }
  });

  it('the sign-in steps and the account security forms, part-way through a sign-in and signed in', async () => {
    const email = 'fuzz-mfa@example.com';
    await createVerifiedAccount(keyward, email, 'fuzzing password 1234');
    await enrolTotp(keyward, email);
    const rp = await discoverTestClient(keyward.issuer);
    // One browser stands at the second step, another is signed in (and recently, so changes are allowed).
    const halfway = new UserAgent();
    const steps = await passwordStep(halfway, (await startAuthorization(rp)).url, { email, password: 'fuzzing password 1234' });
    const halfwayCsrf = csrfTokenIn(await (await halfway.get(steps.next!)).text());
    const signedIn = new UserAgent();
    const second = await passwordStep(signedIn, (await startAuthorization(rp)).url, { email: 'demo@keyward.test', password: 'keyward-demo-password' });
    await signInAndConsent(signedIn, second.next!, { email: 'demo@keyward.test', password: 'keyward-demo-password' });
    const signedInCsrf = csrfTokenIn(await (await signedIn.get(`${keyward.issuer}/account/security`)).text());
    // Credentials: hostile strings, arbitrary JSON, and the right shape with junk inside.
    const credential = fc.oneof(hostile, fc.json({ maxDepth: 3 }), fc.record({ id: hostile, rawId: hostile, type: fc.constant('public-key'), response: fc.dictionary(fc.constantFrom('clientDataJSON', 'authenticatorData', 'signature', 'attestationObject', 'userHandle'), hostile) }).map((value) => JSON.stringify(value)));
    const bodyOf = (fields: readonly string[]) => fc.oneof(rawForm(fields.length ? fields : ['x']), fc.tuple(credential, hostile).map(([value, name]) => new URLSearchParams({ credential: value, name, id: name, code: name }).toString()));
    const uid = steps.uid;
    const forms: [string, string[], UserAgent, string][] = [
      [`/interaction/${uid}/second-factor/totp`, ['code'], halfway, halfwayCsrf],
      [`/interaction/${uid}/second-factor/recovery-code`, ['code'], halfway, halfwayCsrf],
      [`/interaction/${uid}/passkey/options`, [], halfway, halfwayCsrf],
      [`/interaction/${uid}/passkey`, ['credential'], halfway, halfwayCsrf],
      [`/interaction/${uid}/enrol/totp`, ['id', 'code', 'name'], halfway, halfwayCsrf],
      [`/interaction/${uid}/enrol/passkey`, ['credential', 'name'], halfway, halfwayCsrf],
      ['/account/security/totp/start', [], signedIn, signedInCsrf],
      ['/account/security/totp', ['id', 'code', 'name'], signedIn, signedInCsrf],
      ['/account/security/passkey/options', [], signedIn, signedInCsrf],
      ['/account/security/passkey', ['credential', 'name'], signedIn, signedInCsrf],
      ['/account/security/authenticators/remove', ['id'], signedIn, signedInCsrf],
      ['/account/security/recovery-codes', [], signedIn, signedInCsrf],
      ['/account/reauthenticate/password', ['password'], signedIn, signedInCsrf],
      ['/account/reauthenticate/totp', ['code'], signedIn, signedInCsrf],
      ['/account/reauthenticate/passkey', ['credential'], signedIn, signedInCsrf],
      // The account center (sign-out and deletion last: they end the session the others use).
      ['/account/profile', ['name', 'picture'], signedIn, signedInCsrf],
      ['/account/email', ['email'], signedIn, signedInCsrf],
      ['/account/email/confirm', ['token'], signedIn, signedInCsrf],
      ['/account/email/undo', ['token'], signedIn, signedInCsrf],
      ['/account/password', ['current_password', 'password', 'password_confirmation', 'end_other_sessions'], signedIn, signedInCsrf],
      ['/account/apps/revoke', ['client'], signedIn, signedInCsrf],
      ['/account/sessions/sign-out', ['session'], signedIn, signedInCsrf],
      ['/account/delete', ['confirm'], signedIn, signedInCsrf],
    ];
    for (const [path, fields, as, token] of forms) {
      await fc.assert(fc.asyncProperty(bodyOf(fields), fc.boolean(), async (body, withCsrf) => {
        await probe(`POST ${path.replace(/interaction\/[\w-]+/, 'interaction/:uid')}`, `${keyward.issuer}${path}`, { method: 'POST', headers: form, body: withCsrf ? `_csrf=${token}&${body}` : body }, as);
      }), { numRuns: RUNS });
    }
    await fc.assert(fc.asyncProperty(query(['method', 'passkey']), async (q) => {
      for (const path of [`/interaction/${uid}/second-factor`, `/interaction/${uid}/enrol`, '/account/security', '/account/reauthenticate', '/account/sessions', '/account/apps', '/account/password', '/account/email/confirm', '/account/email/undo']) {
        await probe(`GET ${path.replace(/interaction\/[\w-]+/, 'interaction/:uid')}`, `${keyward.issuer}${path}?${q}`, {}, path.startsWith('/account') ? signedIn : halfway);
      }
    }), { numRuns: RUNS });
  });

  it('page queries, the federation callback and /metrics', async () => {
    await fc.assert(fc.asyncProperty(query(['token', 'return_to', 'code', 'state', 'error', 'error_description', 'iss']), hostile, async (q, header) => {
      for (const path of ['/register', '/forgot-password', '/reset-password', '/verify-email', '/account', '/federation/callback/google', `${interaction.pathname}`]) {
        await probe(`GET ${path.replace(/interaction\/[\w-]+/, 'interaction/:uid')}`, `${keyward.issuer}${path}?${q}`);
      }
      await probe('GET /metrics', `${keyward.issuer}/metrics`, { headers: { authorization: `Bearer ${encode(header)}` } });
      await probe('GET /interaction/:hostile', `${keyward.issuer}/interaction/${encode(header)}`);
    }), { numRuns: RUNS });
  });

  it('the admin console: every form and page, signed in as an administrator', async () => {
    const admin = await createAdmin(keyward, 'fuzz-admin@example.com');
    const adminAgent = await openConsole(keyward, admin);
    const { csrf: token } = await consolePage(adminAgent, `${keyward.issuer}/admin`);
    const victim = (await createVerifiedAccount(keyward, 'fuzz-victim@example.com', 'fuzzing password 1234')).id;
    const call = { actor: { kind: 'cli' as const, user: 'fuzz' }, origin: {} };
    await keyward.running.container.admin.clients.create(call, { client_id: 'fuzz-store-client', kind: 'web', redirect_uris: ['https://app.example.com/cb'] });
    await keyward.running.container.admin.apis.create(call, { identifier: 'https://fuzz.example.com', scopes: { read: 'Read' } });
    const apiFields = ['identifier', 'name', 'scopes', 'token_format', 'signing_alg', 'access_token_ttl', 'claims', 'default', 'revision'];
    const clientFields = ['client_name', 'redirect_uris', 'post_logout_redirect_uris', 'revision'];
    // Signing out last: it ends the session the others use.
    const forms: [string, string[]][] = [
      ['/admin/users', ['email', 'name', 'roles', 'email_verified']],
      [`/admin/users/${victim}/disable`, ['revision']],
      [`/admin/users/${victim}/enable`, ['revision']],
      [`/admin/users/${victim}/roles`, ['roles', 'revision']],
      [`/admin/users/${victim}/reset-mfa`, []],
      [`/admin/users/${victim}/revoke-sessions`, []],
      [`/admin/users/${victim}/sessions/end`, ['session']],
      [`/admin/users/${victim}/delete`, ['confirm', 'revision']],
      ['/admin/clients', ['kind', 'client_id', 'client_name', 'redirect_uris', 'post_logout_redirect_uris', 'api_scopes', 'api', 'first_party', 'require_mfa']],
      [`/admin/clients/${TEST_WEB_CLIENT.client_id}`, clientFields],
      ['/admin/clients/fuzz-store-client', clientFields],
      ['/admin/clients/fuzz-store-client/rotate-secret', ['revision']],
      ['/admin/clients/fuzz-store-client/delete', ['confirm', 'revision']],
      ['/admin/apis', apiFields],
      ['/admin/apis/update', apiFields],
      ['/admin/apis/delete', ['identifier', 'revision']],
      ['/admin/keys/rotate', ['force']],
      ['/admin/keys/retire', []],
    ];
    for (const [path, fields] of forms) {
      await fc.assert(fc.asyncProperty(rawForm(fields.length ? fields : ['x']), fc.boolean(), async (body, withCsrf) => {
        await probe(`POST ${path.replace(victim, ':id')}`, `${keyward.issuer}${path}`, { method: 'POST', headers: form, body: withCsrf ? `_csrf=${token}&${body}` : body }, adminAgent);
      }), { numRuns: RUNS });
    }
    await fc.assert(fc.asyncProperty(query(['q', 'cursor', 'done', 'identifier', 'outcome', 'wait', 'count', 'account_id', 'client_id', 'event', 'from', 'to']), hostile, async (q, segment) => {
      for (const path of ['/admin', '/admin/users', `/admin/users/${victim}`, '/admin/users/new', '/admin/clients', '/admin/clients/new', '/admin/clients/test-web', '/admin/apis', '/admin/apis/new', '/admin/apis/edit', '/admin/keys', '/admin/audit', '/admin/audit/export']) {
        await probe(`GET ${path.replace(victim, ':id')}`, `${keyward.issuer}${path}?${q}`, {}, adminAgent);
      }
      await probe('GET /admin/users/:hostile', `${keyward.issuer}/admin/users/${encode(segment)}`, {}, adminAgent);
      await probe('GET /admin/clients/:hostile', `${keyward.issuer}/admin/clients/${encode(segment)}`, {}, adminAgent);
    }), { numRuns: RUNS });
    // Without a console session, and the callback with anything in its query.
    await fc.assert(fc.asyncProperty(query(['code', 'state', 'iss', 'error', 'error_description']), async (q) => {
      await probe('GET /admin/callback', `${keyward.issuer}/admin/callback?${q}`);
      await probe('GET /admin/users (signed out)', `${keyward.issuer}/admin/users?${q}`);
    }), { numRuns: RUNS });
    await fc.assert(fc.asyncProperty(rawForm(['x']), fc.boolean(), async (body, withCsrf) => {
      await probe('POST /admin/sign-out', `${keyward.issuer}/admin/sign-out`, { method: 'POST', headers: form, body: withCsrf ? `_csrf=${token}&${body}` : body }, adminAgent);
    }), { numRuns: RUNS });
  });

  it('refuses oversized bodies with 413 and oversized headers with 431', async () => {
    const body = await fetch(`${keyward.issuer}/token`, { method: 'POST', headers: form, body: `grant_type=${'x'.repeat(70 * 1024)}` });
    expect(body.status).toBe(413);
    const page = await fetch(`${keyward.issuer}/register`, { method: 'POST', headers: form, body: `email=${'x'.repeat(70 * 1024)}` });
    expect(page.status).toBe(413);
    const headers = await fetch(`${keyward.issuer}/healthz`, { headers: { 'x-huge': 'x'.repeat(20 * 1024) } }).catch((error: Error) => error);
    expect(headers instanceof Error ? 'connection refused the headers' : headers.status).toBe(431);
  });
});
