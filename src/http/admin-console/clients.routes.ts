import type { ClientView } from '../../services/admin/clients-admin.service.ts';
import { AdminError } from '../../services/admin/admin-context.ts';
import { apiGrantsFrom, CLIENT_KINDS } from '../../services/clients.service.ts';
import { field, parseForm } from '../forms.ts';
import { verifyCsrf } from '../middleware/koa-csrf.ts';
import type { KeywardContext } from '../state.ts';
import { attempt, checkbox, linesOf, queryParam, revisionField, seeOther, type ConsoleAdmin, type ConsoleKit, type Refusal } from './console-kit.ts';

const clientPath = (id: string) => `/admin/clients/${encodeURIComponent(id)}`;
const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []);
const text = (value: unknown): string => (typeof value === 'string' ? value : '');

const apiGrantLines = (grants: unknown) => (grants && typeof grants === 'object' ? Object.entries(grants as Record<string, unknown>).map(([api, scopes]) => [api, ...strings(scopes)].join(' ')).join('\n') : '');

/** A client as the pages show it: the fields an administrator reads, never a secret. */
function clientModel(c: ClientView) {
  const view = c as Record<string, unknown>;
  const kind = text(view.kind);
  return {
    id: text(view.client_id), href: clientPath(text(view.client_id)), name: text(view.client_name), kind, source: c.source, shadowed: view.shadowed === true,
    revision: typeof view.revision === 'number' ? view.revision : undefined,
    authMethod: text(view.token_endpoint_auth_method), grantTypes: strings(view.grant_types), redirectUris: strings(view.redirect_uris),
    postLogoutRedirectUris: strings(view.post_logout_redirect_uris), apiGrants: apiGrantLines(view.api_scopes), api: text(view.api),
    firstParty: view.first_party === true, requireMfa: view.require_mfa === true, secret: text(view.client_secret),
    interactive: kind === 'public' || kind === 'web',
    hasSharedSecret: ['client_secret_basic', 'client_secret_post'].includes(text(view.token_endpoint_auth_method)),
    readOnly: c.source !== 'store',
  };
}

const DONE: Record<string, string> = { created: 'admin.clients.done.created', updated: 'admin.clients.done.updated', deleted: 'admin.clients.done.deleted' };

/** Clients: the list with each one's source, creating one, and changing, re-keying or removing a store client. */
export function clientsRoutes(kit: ConsoleKit): void {
  const { router, admin: services } = kit;

  const clientPage = async (ctx: KeywardContext, admin: ConsoleAdmin, id: string, extras: { refusal?: Refusal; done?: string; edit?: Record<string, string> } = {}) => {
    const shown = await attempt(ctx, () => services.clients.show(id));
    if (shown.refusal) return kit.page(ctx, admin, 'refused', 'admin.refused.title', { refusal: shown.refusal, back: '/admin/clients' });
    const client = clientModel(shown.value);
    await kit.page(ctx, admin, 'client', { key: 'admin.clients.clientTitle', params: { id: client.id } }, {
      client, done: extras.done, refusal: extras.refusal,
      edit: extras.edit ?? { name: client.name, redirectUris: client.redirectUris.join('\n'), postLogoutRedirectUris: client.postLogoutRedirectUris.join('\n') },
    });
  };

  router.get('/clients', kit.guard(async (ctx, admin) => {
    const clients = (await services.clients.list()).map(clientModel);
    await kit.page(ctx, admin, 'clients', 'admin.clients.title', { clients, done: DONE[queryParam(ctx, 'done')] });
  }));

  const emptyForm = { kind: 'web', clientId: '', name: '', redirectUris: '', postLogoutRedirectUris: '', apiGrants: '', api: '', firstParty: false, requireMfa: false };
  router.get('/clients/new', kit.guard(async (ctx, admin) => kit.page(ctx, admin, 'client-new', 'admin.clients.newTitle', { form: emptyForm, kinds: CLIENT_KINDS })));
  router.post('/clients', parseForm, verifyCsrf(), kit.guard(async (ctx, admin) => {
    const form = {
      kind: field(ctx, 'kind').slice(0, 40), clientId: field(ctx, 'client_id').trim().slice(0, 200), name: field(ctx, 'client_name').trim().slice(0, 200),
      redirectUris: field(ctx, 'redirect_uris').slice(0, 20_000), postLogoutRedirectUris: field(ctx, 'post_logout_redirect_uris').slice(0, 20_000),
      apiGrants: field(ctx, 'api_scopes').slice(0, 20_000), api: field(ctx, 'api').trim().slice(0, 2000),
      firstParty: checkbox(ctx, 'first_party'), requireMfa: checkbox(ctx, 'require_mfa'),
    };
    const created = await attempt(ctx, () => {
      const redirects = linesOf(form.redirectUris);
      const postLogout = linesOf(form.postLogoutRedirectUris);
      const grants = apiGrantsFrom(linesOf(form.apiGrants));
      return services.clients.create(admin.call, {
        client_id: form.clientId, kind: form.kind,
        ...(form.name ? { client_name: form.name } : {}),
        ...(redirects.length ? { redirect_uris: redirects } : {}),
        ...(postLogout.length ? { post_logout_redirect_uris: postLogout } : {}),
        ...(grants ? { api_scopes: grants } : {}),
        ...(form.api ? { api: form.api } : {}),
        ...(form.firstParty ? { first_party: true } : {}),
        ...(form.requireMfa ? { require_mfa: true } : {}),
      });
    });
    if (created.refusal) return kit.page(ctx, admin, 'client-new', 'admin.clients.newTitle', { form, kinds: CLIENT_KINDS, refusal: created.refusal });
    const client = clientModel(created.value.client);
    // A generated secret is shown on this answer only; Keyward keeps only its hash.
    if (created.value.client_secret) return kit.page(ctx, admin, 'client-secret', 'admin.clients.secretTitle', { client, secret: created.value.client_secret, created: true });
    seeOther(ctx, `${client.href}?done=created`);
  }));

  router.get('/clients/:id', kit.guard(async (ctx, admin) => clientPage(ctx, admin, ctx.params.id!, { done: DONE[queryParam(ctx, 'done')] })));

  router.post('/clients/:id', parseForm, verifyCsrf(), kit.guard(async (ctx, admin) => {
    const id = ctx.params.id!;
    const edit = { name: field(ctx, 'client_name').trim().slice(0, 200), redirectUris: field(ctx, 'redirect_uris').slice(0, 20_000), postLogoutRedirectUris: field(ctx, 'post_logout_redirect_uris').slice(0, 20_000) };
    const updated = await attempt(ctx, async () => {
      const revision = revisionField(ctx);
      const interactive = ['public', 'web'].includes(text((await services.clients.show(id) as Record<string, unknown>).kind));
      const postLogout = linesOf(edit.postLogoutRedirectUris);
      return services.clients.update(admin.call, id, {
        client_name: edit.name || null,
        ...(interactive ? { redirect_uris: linesOf(edit.redirectUris), post_logout_redirect_uris: postLogout.length ? postLogout : null } : {}),
      }, revision);
    }, clientPath(id));
    if (updated.refusal) return clientPage(ctx, admin, id, { refusal: updated.refusal, edit });
    seeOther(ctx, `${clientPath(id)}?done=updated`);
  }));

  router.post('/clients/:id/rotate-secret', parseForm, verifyCsrf(), kit.guard(async (ctx, admin) => {
    const id = ctx.params.id!;
    const rotated = await attempt(ctx, () => services.clients.rotateSecret(admin.call, id, revisionField(ctx)), clientPath(id));
    if (rotated.refusal) return clientPage(ctx, admin, id, { refusal: rotated.refusal });
    await kit.page(ctx, admin, 'client-secret', 'admin.clients.secretTitle', { client: clientModel(rotated.value.client), secret: rotated.value.client_secret, created: false });
  }));

  router.post('/clients/:id/delete', parseForm, verifyCsrf(), kit.guard(async (ctx, admin) => {
    const id = ctx.params.id!;
    const removed = await attempt(ctx, () => {
      if (field(ctx, 'confirm').trim() !== id) throw new AdminError('invalid_request', 'admin.clients.confirmMismatch');
      return services.clients.remove(admin.call, id, revisionField(ctx));
    }, clientPath(id));
    if (removed.refusal) return clientPage(ctx, admin, id, { refusal: removed.refusal });
    seeOther(ctx, '/admin/clients?done=deleted');
  }));
}
