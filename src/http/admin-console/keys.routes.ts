import { parseForm } from '../forms.ts';
import { verifyCsrf } from '../middleware/koa-csrf.ts';
import { checkbox, queryParam, seeOther, when, type ConsoleKit } from './console-kit.ts';

const OUTCOMES: Record<string, string> = {
  rotated: 'admin.keys.outcome.rotated',
  published_next: 'admin.keys.outcome.publishedNext',
  too_soon: 'admin.keys.outcome.tooSoon',
  raced: 'admin.keys.outcome.raced',
  retired: 'admin.keys.outcome.retired',
};

/** How long to wait, in hours and minutes rounded up (at least a minute), for the notice. */
function waitParams(seconds: number) {
  const minutes = Math.max(1, Math.ceil(seconds / 60));
  return { hours: Math.floor(minutes / 60), minutes: minutes % 60 };
}

/**
 * Signing keys: next, current and previous with their dates, and the staged rotation of
 * services/key-rotation.service.ts. The outcome travels in the redirect's query (a number and a
 * word), so reloading the page shows it again without rotating again.
 */
export function keysRoutes(kit: ConsoleKit): void {
  const { router, admin: services } = kit;

  router.get('/keys', kit.guard(async (ctx, admin) => {
    const outcome = queryParam(ctx, 'outcome');
    const wait = Number(/^\d{1,9}$/.test(queryParam(ctx, 'wait')) ? queryParam(ctx, 'wait') : 0);
    const count = Number(/^\d{1,4}$/.test(queryParam(ctx, 'count')) ? queryParam(ctx, 'count') : 0);
    const keys = (await services.keys.list()).map((k) => ({ kid: k.kid, alg: k.alg, state: k.state, since: when(k.state_since), created: when(k.created_at) }));
    await kit.page(ctx, admin, 'keys', 'admin.keys.title', {
      keys,
      outcome: OUTCOMES[outcome] ? { key: OUTCOMES[outcome], params: { ...waitParams(wait), count }, refused: outcome === 'too_soon' || outcome === 'raced' } : undefined,
    });
  }));

  router.post('/keys/rotate', parseForm, verifyCsrf(), kit.guard(async (ctx, admin) => {
    const result = await services.keys.rotate(admin.call, { force: checkbox(ctx, 'force') });
    const wait = 'waitSeconds' in result ? `&wait=${result.waitSeconds}` : '';
    seeOther(ctx, `/admin/keys?outcome=${result.outcome}${wait}`);
  }));

  router.post('/keys/retire', parseForm, verifyCsrf(), kit.guard(async (ctx, admin) => {
    const { retired } = await services.keys.retire(admin.call);
    seeOther(ctx, `/admin/keys?outcome=retired&count=${retired.length}`);
  }));
}
