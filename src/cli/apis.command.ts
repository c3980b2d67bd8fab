import { readFile } from 'node:fs/promises';
import type { OperatorContext } from '../operator-context.ts';
import type { ApiView } from '../services/admin/apis-admin.service.ts';
import { allowOnly, CommandError, flag, option, UsageError, type ParsedArgs } from './args.ts';
import { cliCall } from './cli-call.ts';
import { report, table, type CliIo } from './io.ts';

export const APIS_HELP = `Usage: keyward apis <command> [options]

APIs (resource servers) come from the clients file, from the store (added here), and Keyward
itself serves its admin API. The file wins over the store for one identifier. Every running
Keyward serves a change to the store's within API_REFRESH_SECONDS, without a restart.

Commands:
  list           every API, and whether it comes from the clients file, the store or Keyward
  show <id>      one API's definition, with its revision when it is in the store
  add (--json-file <path> | --definition '<json>')
                 add an API to the store, defined as in the clients file's "apis": identifier,
                 name, scopes, token_format, signing_alg, access_token_ttl, claims, default
  update <id> (--json-file <path> | --definition '<json>') [--if-revision <n>]
                 replace a store API's definition whole (its identifier cannot change);
                 --if-revision refuses if it is no longer at that revision
  remove <id> [--if-revision <n>]
                 delete a store API; refused while a client is granted it in api_scopes

Every command takes --json for scripts.`;

const DEFINITION_OPTIONS = ['json-file', 'definition'];

/** The definition from --json-file or --definition (exactly one), parsed as JSON. */
async function definitionOption(args: ParsedArgs): Promise<unknown> {
  const file = option(args, 'json-file');
  const inline = option(args, 'definition');
  if ((file === undefined) === (inline === undefined)) throw new UsageError('give the definition with either --json-file <path> or --definition \'<json>\'');
  let text = inline!;
  if (file !== undefined) {
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new CommandError(`cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new CommandError(`the definition is not valid JSON: ${(error as Error).message}`);
  }
}

function revisionOption(args: ParsedArgs): number | undefined {
  const value = option(args, 'if-revision');
  if (value === undefined) return undefined;
  if (!/^[1-9]\d{0,14}$/.test(value)) throw new UsageError('--if-revision needs a revision number (see `keyward apis show <id>`)');
  return Number(value);
}

const sourceOf = (api: ApiView): string => {
  if (api.source !== 'store') return api.source;
  if (api.shadowed) return 'store (shadowed: not served)';
  return api.problems.length > 0 ? 'store (invalid: not served)' : 'store';
};

const row = (api: ApiView) => {
  const definition = api.definition as { name?: unknown; scopes?: unknown; default?: unknown };
  return {
    identifier: api.identifier,
    name: definition.name,
    scopes: typeof definition.scopes === 'object' && definition.scopes !== null ? Object.keys(definition.scopes) : [],
    default: definition.default === true ? 'yes' : '',
    source: sourceOf(api),
    revision: api.revision,
  };
};

export async function apisCommand(ctx: OperatorContext, args: ParsedArgs, io: CliIo): Promise<number> {
  const [, command, identifier] = args.positionals;
  const json = flag(args, 'json');
  const call = cliCall();
  const served = `Every running Keyward serves it within ${ctx.config.apis.refreshSeconds} s (API_REFRESH_SECONDS).`;
  switch (command) {
    case 'list': {
      allowOnly(args, []);
      const apis = await ctx.admin.apis.list();
      report(io, json, apis, table(apis.map(row), ['identifier', 'name', 'scopes', 'default', 'source', 'revision']));
      return 0;
    }
    case 'show': {
      allowOnly(args, []);
      if (!identifier) throw new UsageError('keyward apis show <identifier>');
      const api = await ctx.admin.apis.show(identifier);
      report(io, json, api, JSON.stringify(api, null, 2));
      return 0;
    }
    case 'add': {
      allowOnly(args, DEFINITION_OPTIONS);
      const definition = await definitionOption(args);
      const api = await ctx.admin.apis.create(call, definition);
      report(io, json, api, `API ${api.identifier} added (revision ${String(api.revision)}). ${served}`);
      return 0;
    }
    case 'update': {
      allowOnly(args, [...DEFINITION_OPTIONS, 'if-revision']);
      if (!identifier) throw new UsageError('keyward apis update <identifier> (--json-file <path> | --definition \'<json>\')');
      const definition = await definitionOption(args);
      // Without --if-revision, the revision read now: a change made in between is still refused.
      // A file or built-in API has none, and the service refuses it before comparing.
      const revision = revisionOption(args) ?? (await ctx.admin.apis.show(identifier)).revision ?? 0;
      const api = await ctx.admin.apis.update(call, identifier, definition, revision);
      report(io, json, api, `API ${identifier} updated (revision ${String(api.revision)}). ${served}`);
      return 0;
    }
    case 'remove': {
      allowOnly(args, ['if-revision']);
      if (!identifier) throw new UsageError('keyward apis remove <identifier>');
      const revision = revisionOption(args);
      await ctx.admin.apis.remove(call, identifier, revision);
      report(io, json, { identifier, removed: true }, `API ${identifier} removed. ${served.replace('serves it', 'stops serving it')}`);
      return 0;
    }
    default:
      throw new UsageError(command ? `unknown command "apis ${command}"` : 'keyward apis <command>');
  }
}
