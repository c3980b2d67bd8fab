import type { OperatorContext } from '../container.ts';
import { randomToken } from '../lib/ids.ts';
import { clientMetadataProblem } from '../oidc/client-validation.ts';
import { hashClientSecret, isHashedClientSecret } from '../services/client-secrets.ts';
import { demoClient } from '../services/demo-data.service.ts';
import { apiScopesProblems, clientMetadataSchema, type ClientMetadata } from '../services/clients.service.ts';
import { allowOnly, CommandError, flag, option, options, requireOption, UsageError, type ParsedArgs } from './args.ts';
import { report, table, type CliIo } from './io.ts';

export const CLIENTS_HELP = `Usage: keyward clients <command> [options]

Commands:
  add --kind <public|web|service|resource_server> --id <client_id> [--name <name>]
      [--redirect-uri <uri>]... [--post-logout-redirect-uri <uri>]... [--auth-method <method>]
      [--api <identifier>] [--id-token-alg <RS256|ES256|EdDSA>] [--logo-uri <uri>]
      [--backchannel-logout-uri <uri>] [--api-scopes "<API identifier> [scope ...]"]...
      [--service-account] [--no-pkce] [--require-mfa] [--first-party]
                 add a client; a generated secret is shown once and stored hashed.
                 --service-account lets a web client also use client_credentials;
                 --no-pkce lets a web client skip PKCE if it sends a nonce instead;
                 --require-mfa makes every sign-in to it end with a second factor;
                 --first-party marks the operator's own app: its sign-ins skip the
                 consent page (public and web clients)
                 --api-scopes grants an API declared in the clients file and some of its
                 scopes (once per API); a client gets tokens for no other API
  list           every client, and whether it comes from the clients file or the store
  show <id>      one client's metadata, its API grants included (never its secret)
  update <id> [--name ...] [--redirect-uri ...]... [--post-logout-redirect-uri ...]... [--rotate-secret]
      [--api-scopes "<API identifier> [scope ...]"]... [--no-api-scopes]
                 change a store client (clients file clients are changed in the file);
                 --api-scopes replaces its API grants, --no-api-scopes removes them all
  remove <id>    delete a store client

Every command takes --json for scripts.`;

const ADD_OPTIONS = ['kind', 'id', 'name', 'redirect-uri', 'post-logout-redirect-uri', 'auth-method', 'api', 'id-token-alg', 'logo-uri', 'backchannel-logout-uri', 'api-scopes', 'service-account', 'no-pkce', 'require-mfa', 'first-party'];
const UPDATE_OPTIONS = ['name', 'redirect-uri', 'post-logout-redirect-uri', 'logo-uri', 'backchannel-logout-uri', 'rotate-secret', 'api-scopes', 'no-api-scopes'];

/**
 * `--api-scopes "<API identifier> <scope> ..."`, once per API: the client's `api_scopes`
 * (RFC 8707 §2, RFC 6749 §3.3). Space separates them: a scope token never contains one
 * (RFC 6749 §3.3), whereas `=`, `,` and `:` may appear in both identifiers and scopes.
 */
function apiScopesOption(args: ParsedArgs): Record<string, string[]> | undefined {
  const values = options(args, 'api-scopes');
  if (values.length === 0) return undefined;
  const grants: Record<string, string[]> = {};
  for (const value of values) {
    const [identifier, ...scopes] = value.split(' ').filter(Boolean);
    if (!identifier) throw new UsageError('--api-scopes needs "<API identifier> [scope ...]"');
    grants[identifier] = [...new Set([...(grants[identifier] ?? []), ...scopes])];
  }
  return grants;
}

const optionalGrants = (grants: unknown) => (grants ? { api_scopes: grants } : {});

/** Grants must name APIs of the clients file and their scopes (checked when they change). */
function checkApiScopes(ctx: OperatorContext, metadata: ClientMetadata): void {
  const problems = apiScopesProblems(metadata, ctx.registry.apis);
  if (problems.length > 0) throw new CommandError(problems.join('; '));
}

const needsSecret = (metadata: { token_endpoint_auth_method?: string; kind?: string }) => {
  const method = metadata.token_endpoint_auth_method ?? (metadata.kind === 'public' ? 'none' : 'client_secret_basic');
  return method === 'client_secret_basic' || method === 'client_secret_post';
};

/** Validates with Keyward's schema and oidc-provider's rules; the secret is hashed only after. */
async function validated(input: Record<string, unknown>): Promise<ClientMetadata> {
  const parsed = clientMetadataSchema.safeParse(input);
  if (!parsed.success) throw new CommandError(parsed.error.issues.map((issue) => `${issue.path.join('.') || 'client'}: ${issue.message}`).join('; '));
  const problem = await clientMetadataProblem(parsed.data);
  if (problem) throw new CommandError(problem);
  return parsed.data;
}

const withoutSecret = ({ client_secret: secret, ...rest }: Record<string, unknown>) => ({ ...rest, ...(secret ? { client_secret: isHashedClientSecret(secret) ? '(hashed)' : '(in the clients file)' } : {}) });

export async function clientsCommand(ctx: OperatorContext, args: ParsedArgs, io: CliIo): Promise<number> {
  const [, command, id] = args.positionals;
  const json = flag(args, 'json');
  const fileIds = new Set(ctx.registry.clients.map((client) => client.client_id));
  const optionalFields = (names: Record<string, string>) =>
    Object.fromEntries(Object.entries(names).flatMap(([cli, field]) => (option(args, cli) ? [[field, option(args, cli)]] : [])));

  switch (command) {
    case 'add': {
      allowOnly(args, ADD_OPTIONS);
      const clientId = requireOption(args, 'id');
      if (fileIds.has(clientId)) throw new CommandError(`client "${clientId}" is declared in the clients file`);
      const input: Record<string, unknown> = {
        client_id: clientId,
        kind: requireOption(args, 'kind'),
        ...optionalFields({ name: 'client_name', 'auth-method': 'token_endpoint_auth_method', api: 'api', 'id-token-alg': 'id_token_signed_response_alg', 'logo-uri': 'logo_uri', 'backchannel-logout-uri': 'backchannel_logout_uri' }),
        ...(options(args, 'redirect-uri').length ? { redirect_uris: options(args, 'redirect-uri') } : {}),
        ...(options(args, 'post-logout-redirect-uri').length ? { post_logout_redirect_uris: options(args, 'post-logout-redirect-uri') } : {}),
        ...optionalGrants(apiScopesOption(args)),
        ...(flag(args, 'service-account') ? { service_account: true } : {}),
        ...(flag(args, 'no-pkce') ? { require_pkce: false } : {}),
        ...(flag(args, 'require-mfa') ? { require_mfa: true } : {}),
        ...(flag(args, 'first-party') ? { first_party: true } : {}),
      };
      const secret = needsSecret(input) ? randomToken(32) : undefined;
      const metadata = await validated({ ...input, ...(secret ? { client_secret: secret } : {}) });
      checkApiScopes(ctx, metadata);
      const stored = secret ? { ...metadata, client_secret: hashClientSecret(secret, ctx.clientSecretHashKey) } : metadata;
      if (!(await ctx.stores.clients.create(clientId, stored))) throw new CommandError(`client "${clientId}" exists already`);
      report(io, json, { client_id: clientId, kind: metadata.kind, client_secret: secret }, [
        `Client ${clientId} added (${metadata.kind}).`,
        ...(secret ? [`Its secret, shown only now — keep it safe:`, secret] : []),
      ].join('\n'));
      return 0;
    }
    case 'list': {
      allowOnly(args, []);
      const stored = await ctx.stores.clients.list();
      // What a running Keyward serves: the file's, the demo client (development), the store's.
      const demo = ctx.config.demoData ? [demoClient(ctx.config.issuer)] : [];
      const rows = [
        ...ctx.registry.clients.map((c) => ({ client_id: c.client_id, kind: c.kind, name: c.client_name, auth: c.token_endpoint_auth_method, source: 'file' })),
        ...demo.map((c) => ({ client_id: c.client_id, kind: c.kind, name: c.client_name, auth: c.token_endpoint_auth_method, source: 'demo (DEMO_DATA, development only)' })),
        ...stored.map((c) => ({
          client_id: c.clientId,
          kind: c.metadata.kind,
          name: c.metadata.client_name,
          auth: c.metadata.token_endpoint_auth_method,
          source: fileIds.has(c.clientId) ? 'store (shadowed by the file)' : 'store',
        })),
      ];
      report(io, json, rows, table(rows, ['client_id', 'kind', 'name', 'auth', 'source']));
      return 0;
    }
    case 'show': {
      if (!id) throw new UsageError('keyward clients show <client_id>');
      const fromFile = ctx.registry.clients.find((c) => c.client_id === id);
      const demo = ctx.config.demoData && id === demoClient(ctx.config.issuer).client_id ? demoClient(ctx.config.issuer) : undefined;
      const metadata = fromFile ?? demo ?? (await ctx.stores.clients.find(id));
      if (!metadata) return notFound(io, id);
      const shown = { ...withoutSecret(metadata as Record<string, unknown>), source: fromFile ? 'file' : demo ? 'demo' : 'store' };
      report(io, json, shown, JSON.stringify(shown, null, 2));
      return 0;
    }
    case 'update': {
      allowOnly(args, UPDATE_OPTIONS);
      if (!id) throw new UsageError('keyward clients update <client_id> [options]');
      if (fileIds.has(id)) throw new CommandError(`client "${id}" is declared in the clients file: change it there`);
      const stored = await ctx.stores.clients.find(id);
      if (!stored) return notFound(io, id);
      if (flag(args, 'no-api-scopes') && options(args, 'api-scopes').length) throw new UsageError('--api-scopes and --no-api-scopes exclude each other');
      // response_types is derived from the kind, not an input; api_scopes is replaced whole, if at all.
      const { response_types: _derived, api_scopes: currentGrants, ...current } = stored;
      const grants = flag(args, 'no-api-scopes') ? undefined : (apiScopesOption(args) ?? currentGrants);
      const secret = flag(args, 'rotate-secret') && needsSecret(current) ? randomToken(32) : undefined;
      const changed: Record<string, unknown> = {
        ...current,
        ...optionalFields({ name: 'client_name', 'logo-uri': 'logo_uri', 'backchannel-logout-uri': 'backchannel_logout_uri' }),
        ...(options(args, 'redirect-uri').length ? { redirect_uris: options(args, 'redirect-uri') } : {}),
        ...(options(args, 'post-logout-redirect-uri').length ? { post_logout_redirect_uris: options(args, 'post-logout-redirect-uri') } : {}),
        ...optionalGrants(grants),
      };
      // Validate with a stand-in secret when the stored one is a hash; keep the hash.
      const metadata = await validated({ ...changed, ...(needsSecret(changed) ? { client_secret: secret ?? randomToken(32) } : {}) });
      if (options(args, 'api-scopes').length) checkApiScopes(ctx, metadata);
      const storedSecret = secret ? hashClientSecret(secret, ctx.clientSecretHashKey) : current.client_secret;
      await ctx.stores.clients.update(id, { ...metadata, ...(storedSecret ? { client_secret: storedSecret } : {}) });
      report(io, json, { client_id: id, client_secret: secret }, [`Client ${id} updated.`, ...(secret ? ['Its new secret, shown only now:', secret] : [])].join('\n'));
      return 0;
    }
    case 'remove': {
      if (!id) throw new UsageError('keyward clients remove <client_id>');
      if (fileIds.has(id)) throw new CommandError(`client "${id}" is declared in the clients file: remove it there`);
      if (!(await ctx.stores.clients.remove(id))) return notFound(io, id);
      report(io, json, { client_id: id, removed: true }, `Client ${id} removed.`);
      return 0;
    }
    default:
      throw new UsageError(command ? `unknown command "clients ${command}"` : 'keyward clients <command>');
  }
}

function notFound(_io: CliIo, id: string): never {
  throw new CommandError(`no client "${id}"`);
}
