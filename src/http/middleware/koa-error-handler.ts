import type { Middleware } from 'koa';
import { ADMIN_API_PREFIX } from '../admin-api/admin-api.routes.ts';
import { sendProblem } from '../admin-api/problems.ts';
import type { Message } from '../../lib/i18n.ts';
import type { RenderPage } from '../../lib/view-renderer.ts';
import type { KeywardContext, KeywardState } from '../state.ts';

interface HttpErrorLike {
  status?: unknown;
  statusCode?: unknown;
  expose?: unknown;
  code?: unknown;
  message?: unknown;
}

const GENERIC_MESSAGE = 'Something went wrong on our side. Try again in a moment.';
/** Keyward's own errors (errors/app-error.ts) by code, for pages in the request's language. */
const PAGE_MESSAGES: Record<string, Message> = {
  interaction_expired: 'appError.interactionExpired',
  invalid_csrf_token: 'appError.csrf',
  temporarily_unavailable: 'appError.unavailable',
  not_found: 'appError.notFound',
};
const ACCOUNT_PAGE = { href: '/account', label: 'common.goToAccount' };

/**
 * The one error handler for Keyward's own routes (oidc-provider answers protocol errors
 * itself, with RFC error bodies). Exposed errors (4xx, AppError with expose) show their
 * message; everything else gets a generic message and the request id, and is logged in
 * full. HTML or JSON by Accept; never a stack trace.
 */
export function errorHandler(render: RenderPage): Middleware<KeywardState> {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined && ctx.respond !== false) {
        // Nothing matched: neither Keyward's routes nor oidc-provider's (wrong path or method).
        await respond(ctx, render, 404, 'not_found', `Nothing answers ${ctx.method} ${ctx.path} here.`, { key: 'error.nothingAnswers', params: { method: ctx.method, path: ctx.path } });
      }
    } catch (thrown) {
      const error = (thrown ?? {}) as HttpErrorLike;
      const rawStatus = Number(error.status ?? error.statusCode);
      const status = rawStatus >= 400 && rawStatus <= 599 ? rawStatus : 500;
      const exposed = status < 500 ? error.expose !== false : error.expose === true;
      if (exposed) {
        ctx.state.log.info({ status, code: error.code }, 'request refused');
      } else {
        ctx.state.log.error({ err: thrown }, 'unexpected error');
      }
      const code = typeof error.code === 'string' && exposed ? error.code : status >= 500 ? 'server_error' : 'invalid_request';
      if (status === 503) ctx.set('Retry-After', '5');
      const message = exposed && typeof error.message === 'string' ? error.message : GENERIC_MESSAGE;
      // Pages show the generic line in the page's language; an exposed message is shown as it is.
      await respond(ctx, render, status, code, message, message === GENERIC_MESSAGE ? 'error.generic' : (PAGE_MESSAGES[code] ?? message));
    }
  };
}

async function respond(ctx: KeywardContext, render: RenderPage, status: number, code: string, message: string, pageMessage: Message): Promise<void> {
  ctx.status = status;
  const requestId = ctx.state.requestId;
  // The admin API answers every error as RFC 9457 problem details, even one met before its router (413).
  if (ctx.path.startsWith(`${ADMIN_API_PREFIX}/`)) return sendProblem(ctx, status, code, message);
  if (ctx.accepts('html', 'json') === 'html') {
    ctx.type = 'html';
    // Keyward's own pages do not know the app the person came from: the account page is a way on from anywhere.
    ctx.body = await render('error', { title: status === 404 ? 'error.notFoundTitle' : 'error.title', requestId, locale: ctx.state.locale, path: ctx.path, showRequestId: true }, { message: pageMessage, code, wayOn: ACCOUNT_PAGE });
  } else {
    ctx.body = { error: code, error_description: message, request_id: requestId };
  }
}
