import type { AccountView } from '../../services/admin/accounts-admin.service.ts';
import { field, parseForm } from '../forms.ts';
import { verifyCsrf } from '../middleware/koa-csrf.ts';
import type { KeywardContext } from '../state.ts';
import { attempt, checkbox, methodNames, queryParam, revisionField, seeOther, when, type ConsoleAdmin, type ConsoleKit, type Refusal } from './console-kit.ts';

const PAGE_SIZE = 50;
const userPath = (id: string) => `/admin/users/${encodeURIComponent(id)}`;
/** Roles as typed: separated by spaces or commas. */
const rolesOf = (text: string) => text.split(/[\s,]+/).filter(Boolean).slice(0, 60);

/** Notices after a change (?done=…), as catalog keys. */
const DONE: Record<string, string> = {
  disabled: 'admin.users.done.disabled',
  enabled: 'admin.users.done.enabled',
  roles: 'admin.users.done.roles',
  mfa: 'admin.users.done.mfa',
  revoked: 'admin.users.done.revoked',
  session: 'admin.users.done.session',
  deleted: 'admin.users.done.deleted',
};

const userRow = (a: AccountView) => ({
  id: a.id, href: userPath(a.id), email: a.email, name: a.name ?? '', roles: a.roles, disabled: a.disabled, emailVerified: a.email_verified,
  lastSignIn: when(a.last_sign_in_at), created: when(a.created_at), revision: a.revision, hasPassword: a.has_password,
});

/** Users: search and pages, one user's details and sessions, and what an administrator may do to them. */
export function usersRoutes(kit: ConsoleKit): void {
  const { router, admin: services } = kit;

  /** One user's page, with a notice or a refusal; a user that is not there is a refusal page of its own. */
  const userPage = async (ctx: KeywardContext, admin: ConsoleAdmin, id: string, extras: { refusal?: Refusal; done?: string; confirm?: string } = {}) => {
    const loaded = await attempt(ctx, async () => ({ account: await services.accounts.show(id), sessions: await services.sessions.list(id) }));
    if (loaded.refusal) return kit.page(ctx, admin, 'refused', 'admin.refused.title', { refusal: loaded.refusal, back: '/admin/users' });
    const { account, sessions } = loaded.value;
    await kit.page(ctx, admin, 'user', { key: 'admin.users.userTitle', params: { email: account.email } }, {
      user: userRow(account),
      self: account.id === admin.account.id,
      sessions: sessions.map((s) => ({ id: s.session_id, browser: s.browser, ip: s.ip, signedInAt: when(s.signed_in_at), lastSeenAt: when(s.last_seen_at), methods: methodNames(s.methods) })),
      done: extras.done,
      refusal: extras.refusal,
      confirm: extras.confirm ?? '',
    });
  };
  /** Runs one change of the user's; then back to their page with a notice, or the page with the refusal. */
  const change = (done: string, act: (ctx: KeywardContext, admin: ConsoleAdmin, id: string) => Promise<unknown>, after?: (id: string) => string) =>
    kit.guard(async (ctx, admin) => {
      const id = ctx.params.id!;
      const result = await attempt(ctx, () => act(ctx, admin, id), userPath(id));
      if (result.refusal) return userPage(ctx, admin, id, { refusal: result.refusal });
      seeOther(ctx, after ? after(id) : `${userPath(id)}?done=${done}`);
    });

  router.get('/users', kit.guard(async (ctx, admin) => {
    const q = queryParam(ctx, 'q', 320).trim();
    const cursor = queryParam(ctx, 'cursor', 1400) || undefined;
    const listed = await attempt(ctx, () => services.accounts.list({ emailPrefix: q || undefined, cursor, limit: PAGE_SIZE }));
    const more = listed.value?.next_cursor;
    await kit.page(ctx, admin, 'users', 'admin.users.title', {
      q,
      users: listed.value?.items.map(userRow) ?? [],
      next: more ? `/admin/users?${new URLSearchParams({ ...(q ? { q } : {}), cursor: more }).toString()}` : undefined,
      first: cursor ? `/admin/users${q ? `?${new URLSearchParams({ q }).toString()}` : ''}` : undefined,
      count: await services.accounts.count(),
      done: DONE[queryParam(ctx, 'done')],
      refusal: listed.refusal,
    });
  }));

  const newUserForm = { email: '', name: '', roles: '', emailVerified: true };
  router.get('/users/new', kit.guard(async (ctx, admin) => kit.page(ctx, admin, 'user-new', 'admin.users.newTitle', { form: newUserForm })));
  router.post('/users', parseForm, verifyCsrf(), kit.guard(async (ctx, admin) => {
    const form = { email: field(ctx, 'email').trim().slice(0, 320), name: field(ctx, 'name').trim().slice(0, 200), roles: field(ctx, 'roles').slice(0, 2000), emailVerified: checkbox(ctx, 'email_verified') };
    const created = await attempt(ctx, () => services.accounts.create(admin.call, {
      email: form.email, ...(form.name ? { name: form.name } : {}), roles: rolesOf(form.roles), email_verified: form.emailVerified,
    }));
    if (created.refusal) return kit.page(ctx, admin, 'user-new', 'admin.users.newTitle', { form, refusal: created.refusal });
    // The generated password is shown once, on this answer, and kept nowhere.
    await kit.page(ctx, admin, 'user-created', 'admin.users.createdTitle', { user: userRow(created.value.account), password: created.value.password });
  }));

  router.get('/users/:id', kit.guard(async (ctx, admin) => {
    const done = queryParam(ctx, 'done');
    await userPage(ctx, admin, ctx.params.id!, { done: DONE[done] });
  }));

  // Edits carry the revision their form showed (a hidden field): a stale form is refused, not applied.
  router.post('/users/:id/disable', parseForm, verifyCsrf(), change('disabled', (ctx, admin, id) => services.accounts.setDisabled(admin.call, id, true, revisionField(ctx))));
  router.post('/users/:id/enable', parseForm, verifyCsrf(), change('enabled', (ctx, admin, id) => services.accounts.setDisabled(admin.call, id, false, revisionField(ctx))));
  router.post('/users/:id/roles', parseForm, verifyCsrf(), change('roles', (ctx, admin, id) => services.accounts.setRoles(admin.call, id, rolesOf(field(ctx, 'roles').slice(0, 2000)), revisionField(ctx))));
  router.post('/users/:id/reset-mfa', parseForm, verifyCsrf(), change('mfa', (_ctx, admin, id) => services.accounts.resetMfa(admin.call, id)));
  router.post('/users/:id/revoke-sessions', parseForm, verifyCsrf(), change('revoked', (_ctx, admin, id) => services.accounts.revokeSessions(admin.call, id)));
  router.post('/users/:id/sessions/end', parseForm, verifyCsrf(), change('session', (ctx, admin, id) => services.sessions.end(admin.call, id, field(ctx, 'session').slice(0, 200))));

  // Deleting needs the email typed again: a slip of the mouse deletes nobody.
  router.post('/users/:id/delete', parseForm, verifyCsrf(), kit.guard(async (ctx, admin) => {
    const id = ctx.params.id!;
    const typed = field(ctx, 'confirm').trim().slice(0, 320);
    const shown = await attempt(ctx, () => services.accounts.show(id));
    if (shown.refusal) return userPage(ctx, admin, id, { refusal: shown.refusal });
    if (typed.toLowerCase() !== shown.value.email.toLowerCase()) {
      ctx.status = 400;
      return userPage(ctx, admin, id, { refusal: { title: 'admin.refused.invalid', message: 'admin.users.confirmMismatch', problems: [], reload: undefined }, confirm: typed });
    }
    const removed = await attempt(ctx, () => services.accounts.remove(admin.call, id, revisionField(ctx)), userPath(id));
    if (removed.refusal) return userPage(ctx, admin, id, { refusal: removed.refusal, confirm: typed });
    seeOther(ctx, '/admin/users?done=deleted');
  }));
}
