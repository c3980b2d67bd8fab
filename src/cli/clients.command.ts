import type { OperatorContext } from '../operator-context.ts';
import { apiGrantsFrom } from '../services/clients.service.ts';
import { allowOnly, flag, option, options, requireOption, UsageError, type ParsedArgs } from './args.ts';
import { report, table, type CliIo } from './io.ts';
import { cliCall } from './cli-call.ts';

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

/** `--api-scopes "<API identifier> <scope> ..."`, once per API: the client's `api_scopes`. */
function apiScopesOption(args: ParsedArgs): Record<string, string[]> | undefined {
  const values = options(args, 'api-scopes');
  if (values.some((value) => !value.trim())) throw new UsageError('--api-scopes needs "<API identifier> [scope ...]"');
  return apiGrantsFrom(values);
}

const DEMO_CLIENT_ID = 'keyward-demo';

/** Where a client comes from, in the words of `clients list` (the demo client is said to be one). */
function sourceLabel(client: { client_id?: unknown; source: string; shadowed?: boolean }): string {
  if (client.source === 'built-in' && client.client_id === DEMO_CLIENT_ID) return 'demo (DEMO_DATA, development only)';
  if (client.source === 'store' && client.shadowed) return 'store (shadowed by the file)';
  return client.source;
}

export async function clientsCommand(ctx: OperatorContext, args: ParsedArgs, io: CliIo): Promise<number> {
  const [, command, id] = args.positionals;
  const json = flag(args, 'json');
  const clients = ctx.admin.clients;
  const call = cliCall();
  const optionalFields = (names: Record<string, string>) =>
    Object.fromEntries(Object.entries(names).flatMap(([cli, field]) => (option(args, cli) ? [[field, option(args, cli)]] : [])));
  const listed = (name: string, field: string) => (options(args, name).length ? { [field]: options(args, name) } : {});

  switch (command) {
    case 'add': {
      allowOnly(args, ADD_OPTIONS);
      const grants = apiScopesOption(args);
      const created = await clients.create(call, {
        client_id: requireOption(args, 'id'),
        kind: requireOption(args, 'kind'),
        ...optionalFields({ name: 'client_name', 'auth-method': 'token_endpoint_auth_method', api: 'api', 'id-token-alg': 'id_token_signed_response_alg', 'logo-uri': 'logo_uri', 'backchannel-logout-uri': 'backchannel_logout_uri' }),
        ...listed('redirect-uri', 'redirect_uris'),
        ...listed('post-logout-redirect-uri', 'post_logout_redirect_uris'),
        ...(grants ? { api_scopes: grants } : {}),
        ...(flag(args, 'service-account') ? { service_account: true } : {}),
        ...(flag(args, 'no-pkce') ? { require_pkce: false } : {}),
        ...(flag(args, 'require-mfa') ? { require_mfa: true } : {}),
        ...(flag(args, 'first-party') ? { first_party: true } : {}),
      });
      const secret = created.client_secret;
      report(io, json, { client_id: created.client.client_id, kind: created.client.kind, client_secret: secret }, [
        `Client ${String(created.client.client_id)} added (${String(created.client.kind)}).`,
        ...(secret ? [`Its secret, shown only now — keep it safe:`, secret] : []),
      ].join('\n'));
      return 0;
    }
    case 'list': {
      allowOnly(args, []);
      const rows = (await clients.list()).map((c) => ({ client_id: c.client_id, kind: c.kind, name: c.client_name, auth: c.token_endpoint_auth_method, source: sourceLabel(c) }));
      report(io, json, rows, table(rows, ['client_id', 'kind', 'name', 'auth', 'source']));
      return 0;
    }
    case 'show': {
      if (!id) throw new UsageError('keyward clients show <client_id>');
      const { revision: _revision, ...client } = await clients.show(id);
      const shown = { ...client, source: client.client_id === DEMO_CLIENT_ID && client.source === 'built-in' ? 'demo' : client.source };
      report(io, json, shown, JSON.stringify(shown, null, 2));
      return 0;
    }
    case 'update': {
      allowOnly(args, UPDATE_OPTIONS);
      if (!id) throw new UsageError('keyward clients update <client_id> [options]');
      if (flag(args, 'no-api-scopes') && options(args, 'api-scopes').length) throw new UsageError('--api-scopes and --no-api-scopes exclude each other');
      const given = apiScopesOption(args);
      const grants = flag(args, 'no-api-scopes') ? { api_scopes: null } : given ? { api_scopes: given } : {};
      const changes = {
        ...optionalFields({ name: 'client_name', 'logo-uri': 'logo_uri', 'backchannel-logout-uri': 'backchannel_logout_uri' }),
        ...listed('redirect-uri', 'redirect_uris'),
        ...listed('post-logout-redirect-uri', 'post_logout_redirect_uris'),
        ...grants,
      };
      if (Object.keys(changes).length > 0 || !flag(args, 'rotate-secret')) await clients.update(call, id, changes);
      const secret = flag(args, 'rotate-secret') ? (await clients.rotateSecret(call, id)).client_secret : undefined;
      report(io, json, { client_id: id, client_secret: secret }, [`Client ${id} updated.`, ...(secret ? ['Its new secret, shown only now:', secret] : [])].join('\n'));
      return 0;
    }
    case 'remove': {
      if (!id) throw new UsageError('keyward clients remove <client_id>');
      await clients.remove(call, id);
      report(io, json, { client_id: id, removed: true }, `Client ${id} removed.`);
      return 0;
    }
    default:
      throw new UsageError(command ? `unknown command "clients ${command}"` : 'keyward clients <command>');
  }
}
