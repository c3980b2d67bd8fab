import { AdminError } from '../../services/admin/admin-context.ts';
import type { KeywardContext } from '../state.ts';

const TITLES: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 409: 'Conflict',
  412: 'Precondition Failed', 413: 'Content Too Large', 415: 'Unsupported Media Type', 428: 'Precondition Required', 500: 'Internal Server Error', 503: 'Service Unavailable',
};

/** RFC 9457 problem details: a stable type per code, the status's title, what went wrong, the request id. */
export function sendProblem(ctx: KeywardContext, status: number, code: string, detail: string, errors?: readonly string[]): void {
  ctx.status = status;
  ctx.type = 'application/problem+json';
  ctx.body = {
    type: `urn:keyward:problem:${code}`,
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    ...(errors && errors.length > 0 ? { errors } : {}),
    request_id: ctx.state.requestId,
  };
}

/** Any error thrown inside the admin API as problem+json: exposed errors say what, others say only that it failed. */
export function problemFrom(ctx: KeywardContext, error: unknown): void {
  if (error instanceof AdminError) return sendProblem(ctx, error.status, error.code, error.message, error.problems);
  const { status: rawStatus, expose, code, message } = (error ?? {}) as { status?: unknown; expose?: unknown; code?: unknown; message?: unknown };
  const status = Number(rawStatus) >= 400 && Number(rawStatus) <= 599 ? Number(rawStatus) : 500;
  const exposed = status < 500 ? expose !== false : expose === true;
  if (!exposed) ctx.state.log.error({ err: error }, 'unexpected error in the admin API');
  if (status === 503) ctx.set('Retry-After', '5');
  sendProblem(ctx, status, exposed && typeof code === 'string' ? code : status >= 500 ? 'server_error' : 'invalid_request', exposed && typeof message === 'string' ? message : 'Something went wrong on our side. Try again in a moment.');
}
