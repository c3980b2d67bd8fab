import type { ApiView } from '../../services/admin/apis-admin.service.ts';
import { ACCOUNT_CLAIM_SCOPES } from '../../services/apis.service.ts';
import { field, parseForm } from '../forms.ts';
import { verifyCsrf } from '../middleware/koa-csrf.ts';
import type { KeywardContext } from '../state.ts';
import { attempt, checkbox, linesOf, queryParam, revisionField, seeOther, when, type ConsoleAdmin, type ConsoleKit, type Refusal } from './console-kit.ts';

const CLAIMS = Object.keys(ACCOUNT_CLAIM_SCOPES);
const FORMATS = ['jwt', 'opaque'] as const;
const ALGORITHMS = ['RS256', 'ES256', 'EdDSA'] as const;
// APIs are named by URLs: the identifier goes in the query, where its slashes need no escaping in a path.
const apiPath = (identifier: string) => `/admin/apis/edit?${new URLSearchParams({ identifier }).toString()}`;

interface ApiForm {
  identifier: string;
  name: string;
  scopes: string;
  tokenFormat: string;
  signingAlg: string;
  ttl: string;
  claims: string[];
  isDefault: boolean;
}

/** Scopes typed one a line, "scope = description" (the description is what the consent page shows). */
export function scopesOf(lines: readonly string[]): Record<string, string> {
  return Object.fromEntries(lines.map((line) => {
    const at = line.indexOf('=');
    const scope = (at < 0 ? line : line.slice(0, at)).trim();
    const description = at < 0 ? '' : line.slice(at + 1).trim();
    return [scope, description || scope];
  }));
}

const formOf = (view: ApiView): ApiForm => {
  const d = view.definition as Record<string, unknown>;
  const scopes = d.scopes && typeof d.scopes === 'object' ? Object.entries(d.scopes as Record<string, unknown>).map(([scope, description]) => `${scope} = ${String(description)}`).join('\n') : '';
  return {
    identifier: view.identifier, name: typeof d.name === 'string' ? d.name : '', scopes, tokenFormat: String(d.token_format ?? 'jwt'), signingAlg: String(d.signing_alg ?? 'RS256'),
    ttl: typeof d.access_token_ttl === 'number' ? String(d.access_token_ttl) : '', claims: Array.isArray(d.claims) ? d.claims.map(String) : [], isDefault: d.default === true,
  };
};

function submitted(ctx: KeywardContext): ApiForm {
  const body = (ctx.request as { body?: Record<string, unknown> }).body ?? {};
  const claims = ([] as unknown[]).concat(body.claims ?? []).filter((c): c is string => typeof c === 'string' && CLAIMS.includes(c));
  return {
    identifier: field(ctx, 'identifier').trim().slice(0, 2000), name: field(ctx, 'name').trim().slice(0, 200), scopes: field(ctx, 'scopes').slice(0, 40_000),
    tokenFormat: field(ctx, 'token_format').slice(0, 20), signingAlg: field(ctx, 'signing_alg').slice(0, 20), ttl: field(ctx, 'access_token_ttl').trim().slice(0, 20),
    claims, isDefault: checkbox(ctx, 'default'),
  };
}

/** The definition the admin service validates (apiSchema); a TTL that is not a number is left to it to refuse. */
const definitionOf = (form: ApiForm) => ({
  identifier: form.identifier,
  ...(form.name ? { name: form.name } : {}),
  scopes: scopesOf(linesOf(form.scopes, 200)),
  token_format: form.tokenFormat,
  signing_alg: form.signingAlg,
  ...(form.ttl ? { access_token_ttl: /^\d{1,9}$/.test(form.ttl) ? Number(form.ttl) : form.ttl } : {}),
  claims: form.claims,
  default: form.isDefault,
});

const DONE: Record<string, string> = { created: 'admin.apis.done.created', updated: 'admin.apis.done.updated', deleted: 'admin.apis.done.deleted' };
const choices = { claims: CLAIMS, formats: FORMATS, algorithms: ALGORITHMS };

/** APIs: built-in, the clients file's (read-only) and the store's (created, edited, removed here). */
export function apisRoutes(kit: ConsoleKit): void {
  const { router, admin: services } = kit;
  const row = (view: ApiView) => ({
    identifier: view.identifier, href: apiPath(view.identifier), name: String((view.definition as { name?: unknown }).name ?? ''), source: view.source, shadowed: view.shadowed,
    scopes: Object.keys((view.definition as { scopes?: object }).scopes ?? {}), problems: view.problems, readOnly: view.source !== 'store',
    revision: view.revision, updated: when(view.updatedAt),
  });
  const apiPage = async (ctx: KeywardContext, admin: ConsoleAdmin, identifier: string, extras: { refusal?: Refusal; done?: string; form?: ApiForm } = {}) => {
    const shown = await attempt(ctx, () => services.apis.show(identifier));
    if (shown.refusal) return kit.page(ctx, admin, 'refused', 'admin.refused.title', { refusal: shown.refusal, back: '/admin/apis' });
    await kit.page(ctx, admin, 'api', { key: 'admin.apis.apiTitle', params: { identifier } }, {
      api: row(shown.value), form: extras.form ?? formOf(shown.value), ...choices, refusal: extras.refusal, done: extras.done,
    });
  };

  router.get('/apis', kit.guard(async (ctx, admin) => {
    await kit.page(ctx, admin, 'apis', 'admin.apis.title', { apis: (await services.apis.list()).map(row), done: DONE[queryParam(ctx, 'done')] });
  }));

  const emptyForm: ApiForm = { identifier: '', name: '', scopes: '', tokenFormat: 'jwt', signingAlg: 'RS256', ttl: '', claims: [], isDefault: false };
  router.get('/apis/new', kit.guard(async (ctx, admin) => kit.page(ctx, admin, 'api-new', 'admin.apis.newTitle', { form: emptyForm, ...choices })));
  router.post('/apis', parseForm, verifyCsrf(), kit.guard(async (ctx, admin) => {
    const form = submitted(ctx);
    const created = await attempt(ctx, () => services.apis.create(admin.call, definitionOf(form)));
    if (created.refusal) return kit.page(ctx, admin, 'api-new', 'admin.apis.newTitle', { form, ...choices, refusal: created.refusal });
    seeOther(ctx, `${apiPath(created.value.identifier)}&done=created`);
  }));

  router.get('/apis/edit', kit.guard(async (ctx, admin) => apiPage(ctx, admin, queryParam(ctx, 'identifier', 2000), { done: DONE[queryParam(ctx, 'done')] })));
  router.post('/apis/update', parseForm, verifyCsrf(), kit.guard(async (ctx, admin) => {
    const form = submitted(ctx);
    const updated = await attempt(ctx, () => services.apis.update(admin.call, form.identifier, definitionOf(form), revisionField(ctx)), apiPath(form.identifier));
    if (updated.refusal) return apiPage(ctx, admin, form.identifier, { refusal: updated.refusal, form });
    seeOther(ctx, `${apiPath(form.identifier)}&done=updated`);
  }));
  router.post('/apis/delete', parseForm, verifyCsrf(), kit.guard(async (ctx, admin) => {
    const identifier = field(ctx, 'identifier').slice(0, 2000);
    const removed = await attempt(ctx, () => services.apis.remove(admin.call, identifier, revisionField(ctx)), apiPath(identifier));
    if (removed.refusal) return apiPage(ctx, admin, identifier, { refusal: removed.refusal });
    seeOther(ctx, '/admin/apis?done=deleted');
  }));
}
