import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import type { Middleware } from 'koa';
import { z } from 'zod';
import { AdminError, etagOf, revisionOf, type AdminPrincipal } from '../../services/admin/admin-context.ts';
import { originOf } from '../request-origin.ts';
import type { KeywardContext, KeywardState } from '../state.ts';
import type { AdminOperation } from './admin-operation.ts';
import { openApiDocument } from './openapi.ts';
import { sendProblem, problemFrom } from './problems.ts';

export const ADMIN_API_PREFIX = '/admin/api/v1';
/** The admin API's own version (OpenAPI info.version): v1 changes only by addition. */
export const ADMIN_API_VERSION = '1.0.0';

export interface AdminApiDeps {
  operations: readonly AdminOperation[];
  /** The principal behind a bearer token; undefined for no valid token; 'not_admin' for a person without the role. */
  authenticate(token: string): Promise<AdminPrincipal | 'not_admin' | 'needs_mfa' | undefined>;
  issuer: string;
  version: string;
}

const REALM = 'keyward-admin';
/** JSON bodies only, small: admin objects are a few kilobytes. */
const parseJson = bodyParser({ enableTypes: ['json'], jsonLimit: '64kb', onError: () => { throw new AdminError('invalid_request', 'the body is not valid JSON'); } });

/** RFC 6750 §2.1: the token in the Authorization header, nowhere else. */
function bearerToken(ctx: KeywardContext): string | undefined {
  const match = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/.exec(ctx.get('authorization'));
  return match?.[1];
}

function validated<S extends z.ZodType | undefined>(schema: S, value: unknown, where: string): unknown {
  if (!schema) return undefined;
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${where}${issue.path.length ? `.${issue.path.join('.')}` : ''}: ${issue.message}`);
  throw new AdminError('invalid_request', problems.join('; '), problems);
}

/** The admin REST API (issue 18): bearer tokens Keyward issued for it, JSON in, JSON or problem+json out. */
export function adminApiRoutes(deps: AdminApiDeps): Router<KeywardState> {
  const router = new Router<KeywardState>({ prefix: ADMIN_API_PREFIX });
  const document = openApiDocument(deps.operations, { issuer: deps.issuer, version: deps.version });

  const problems: Middleware<KeywardState> = async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    try {
      await next();
    } catch (error) {
      problemFrom(ctx, error);
    }
  };
  router.use(problems);

  router.get('/openapi.json', (ctx) => {
    ctx.set('Cache-Control', 'public, max-age=300');
    ctx.body = document;
  });

  for (const op of deps.operations) {
    const koaPath = op.path.replace(/\{(\w+)\}/g, ':$1');
    const handle: Middleware<KeywardState> = async (ctx) => {
      const token = bearerToken(ctx);
      const principal = token ? await deps.authenticate(token) : undefined;
      if (!principal) {
        ctx.set('WWW-Authenticate', `Bearer realm="${REALM}"${token ? ', error="invalid_token"' : ''}`);
        return sendProblem(ctx, 401, 'unauthorized', 'An access token Keyward issued for its admin API is required.');
      }
      if (principal === 'not_admin') return sendProblem(ctx, 403, 'forbidden', 'This person does not have the admin role.');
      if (principal === 'needs_mfa') return sendProblem(ctx, 403, 'mfa_required', 'Administrators sign in with a second factor or a passkey: sign in again with one (acr_values=urn:keyward:acr:mfa).');
      // admin:write implies admin:read: a token that may change things may read them.
      const allowed = principal.scopes.includes(op.scope) || principal.scopes.includes('admin:write');
      if (!allowed) {
        ctx.set('WWW-Authenticate', `Bearer realm="${REALM}", error="insufficient_scope", scope="${op.scope}"`);
        return sendProblem(ctx, 403, 'insufficient_scope', `This operation needs the scope ${op.scope}.`);
      }
      const ifMatchHeader = ctx.get('if-match') || undefined;
      if (op.ifMatch === 'required' && !ifMatchHeader) return sendProblem(ctx, 428, 'precondition_required', 'Send If-Match with the ETag of the revision this change is based on (RFC 6585 §3).');
      const ifMatch = ifMatchHeader === undefined ? undefined : revisionOf(ifMatchHeader);
      // An If-Match that names no revision of ours can match nothing (RFC 9110 §13.1.1).
      if (ifMatchHeader !== undefined && ifMatch === undefined) return sendProblem(ctx, 412, 'precondition_failed', 'If-Match names no revision of this resource.');
      if (op.body) await parseJson(ctx, async () => undefined);
      const input = {
        params: validated(op.params, ctx.params, 'path'),
        query: validated(op.query, { ...ctx.query }, 'query'),
        body: validated(op.body, (ctx.request as { body?: unknown }).body ?? {}, 'body'),
        call: { actor: principal.actor, origin: originOf(ctx) },
        ifMatch,
        ctx,
      };
      const result = await op.handler(input);
      ctx.status = result.status ?? op.status ?? 200;
      if (op.etag && result.revision !== undefined) ctx.set('ETag', etagOf(result.revision));
      if (op.jsonLines) ctx.type = 'application/jsonl; charset=utf-8';
      ctx.body = result.body;
    };
    router[op.method](koaPath, handle);
  }
  return router;
}

/**
 * Paths under the admin API that no operation answers (or a method it does not take) get a
 * problem too, not the router's plain-text 404/405: clients of a JSON API parse every answer.
 */
export const adminApiFallback: Middleware<KeywardState> = async (ctx, next) => {
  await next();
  if (!ctx.path.startsWith(`${ADMIN_API_PREFIX}/`) && ctx.path !== ADMIN_API_PREFIX) return;
  if (ctx.status === 405) return sendProblem(ctx, 405, 'method_not_allowed', `${ctx.method} is not allowed here.`);
  if (ctx.status === 404 && (ctx.body === undefined || ctx.body === null)) sendProblem(ctx, 404, 'not_found', 'No operation of the admin API is at this path.');
};
