import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { GENERATE_HINT, weakSecretReason } from '../config/secret-strength.ts';
import { StartupError } from '../errors/app-error.ts';
import { apiSchema, isOpenIdScope, OPENID_SCOPES, scopeName, type ApiDefinition } from './apis.service.ts';

const absoluteUrl = z.url({ error: 'must be an absolute URL' }).refine((u) => !u.includes('#'), 'must not contain a fragment');

/**
 * What a client is for. Each kind fixes what it may do:
 * - public: SPA or native app, no secret (`none`), authorization code + refresh token;
 * - web: confidential server-side app, authenticates exactly as registered, code + refresh token;
 * - service: machine-to-machine, client_credentials only;
 * - resource_server: an API that may only introspect tokens meant for it.
 */
export const CLIENT_KINDS = ['public', 'web', 'service', 'resource_server'] as const;
export type ClientKind = (typeof CLIENT_KINDS)[number];

const CONFIDENTIAL_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'] as const;


/**
 * `scope` (RFC 7591 §2) keeps oidc-provider's meaning: which OpenID scopes the client may ask
 * for. API scopes are granted per API in `api_scopes`, the one place that says which API a
 * scope is for; one written here is refused with a pointer there rather than ignored.
 */
const openIdScopes = z.string().max(1000).superRefine((value, ctx) => {
  for (const scope of value.split(' ').filter(Boolean)) {
    if (!isOpenIdScope(scope)) ctx.addIssue({ code: 'custom', message: `"${scope}" is not an OpenID scope (${OPENID_SCOPES.join(', ')}); grant API scopes in api_scopes` });
  }
});

/**
 * API identifier → the scopes of that API the client may request (RFC 6749 §3.3, RFC 8707 §2).
 * An API absent here is refused (invalid_target), even the default one; an empty list allows
 * tokens for the API that carry no scope.
 */
const apiScopesSchema = z.record(z.string().max(2000), z.array(scopeName).max(200));

/**
 * Client metadata accepted in the clients file (OIDC Dynamic Client Registration §2 names,
 * plus `kind` and, for resource servers, `api`). Unknown fields are refused so that a typo
 * cannot silently weaken a client.
 */
export const clientInputSchema = z.strictObject({
  client_id: z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, 'must be 1-128 characters of A-Z a-z 0-9 . _ : -'),
  kind: z.enum(CLIENT_KINDS, { error: `must be one of ${CLIENT_KINDS.join(', ')}` }),
  client_name: z.string().min(1).max(100).optional(),
  client_secret: z.string().min(32, 'must be at least 32 characters').optional(),
  application_type: z.enum(['web', 'native']).optional(),
  redirect_uris: z.array(absoluteUrl).optional(),
  post_logout_redirect_uris: z.array(absoluteUrl).optional(),
  grant_types: z.array(z.enum(['authorization_code', 'refresh_token', 'client_credentials'])).optional(),
  token_endpoint_auth_method: z.enum(['none', ...CONFIDENTIAL_METHODS]).optional(),
  id_token_signed_response_alg: z.enum(['RS256', 'ES256', 'EdDSA']).optional(),
  scope: openIdScopes.optional(),
  api_scopes: apiScopesSchema.optional(),
  logo_uri: absoluteUrl.optional(),
  /** The accent colour of this client's sign-in and consent pages, served as a stylesheet (no inline styles). */
  accent_color: z.string().regex(/^#[0-9a-fA-F]{6}$/, 'must be a colour like #3451b2').optional(),
  client_uri: absoluteUrl.optional(),
  policy_uri: absoluteUrl.optional(),
  tos_uri: absoluteUrl.optional(),
  jwks_uri: absoluteUrl.optional(),
  jwks: z.object({ keys: z.array(z.record(z.string(), z.unknown())).min(1) }).optional(),
  backchannel_logout_uri: absoluteUrl.optional(),
  backchannel_logout_session_required: z.boolean().optional(),
  /** resource_server only: the identifier of the API it serves. */
  api: z.string().optional(),
  /**
   * web only, default true. false lets a confidential server-side client that sends a `nonce`
   * instead skip PKCE (RFC 9700 §2.1.1 allows it for confidential OpenID Connect clients).
   */
  require_pkce: z.boolean().optional(),
  /** Every sign-in to this client ends with a second factor (or a passkey), whatever MFA_POLICY says. */
  require_mfa: z.boolean().optional(),
  /**
   * public and web only, default false: the operator's own app. Its sign-ins are not asked for
   * consent; it gets the OpenID scopes and granted API scopes it requests (oidc/existing-grants.ts).
   */
  first_party: z.boolean().optional(),
  /** web only: the app may also use client_credentials for itself (a "service account"). */
  service_account: z.boolean().optional(),
});

type ParsedClient = z.output<typeof clientInputSchema>;

/** Complete metadata for oidc-provider: what the file said plus what the kind implies. */
export type ClientMetadata = ParsedClient & {
  token_endpoint_auth_method: NonNullable<ParsedClient['token_endpoint_auth_method']>;
  grant_types: string[];
  response_types: 'code'[];
  redirect_uris: string[];
};

export const clientMetadataSchema = clientInputSchema.superRefine(checkKindRules).transform(applyKindDefaults);

function checkKindRules(client: ParsedClient, ctx: z.RefinementCtx): void {
  const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
  const method = client.token_endpoint_auth_method ?? (client.kind === 'public' ? 'none' : 'client_secret_basic');
  const grants = client.grant_types ?? [];
  if (client.kind === 'public' && method !== 'none') issue('token_endpoint_auth_method', 'must be none for a public client');
  if (client.kind !== 'public' && method === 'none') issue('token_endpoint_auth_method', `must be one of ${CONFIDENTIAL_METHODS.join(', ')} for a ${client.kind} client`);
  const needsSecret = method === 'client_secret_basic' || method === 'client_secret_post';
  if (needsSecret && !client.client_secret) issue('client_secret', `is required with token_endpoint_auth_method ${method}`);
  if (!needsSecret && client.client_secret) issue('client_secret', `must not be set with token_endpoint_auth_method ${method}`);
  if (method === 'private_key_jwt' && !client.jwks && !client.jwks_uri) issue('jwks', 'or jwks_uri is required with private_key_jwt');
  const interactive = client.kind === 'public' || client.kind === 'web';
  if (interactive && !client.redirect_uris?.length) issue('redirect_uris', `is required for a ${client.kind} client`);
  if (interactive && grants.includes('client_credentials') && !client.service_account) {
    issue('grant_types', `must not include client_credentials for a ${client.kind} client, unless it is a web client with "service_account": true`);
  }
  if (client.service_account && client.kind !== 'web') issue('service_account', 'is only for web clients');
  if (client.first_party && !interactive) issue('first_party', `is only for public and web clients (a ${client.kind} client asks no one for consent)`);
  if (client.require_pkce === false && client.kind !== 'web') issue('require_pkce', 'can be false only for a web client (confidential, and then held to sending a nonce)');
  if (!interactive && client.redirect_uris?.length) issue('redirect_uris', `must not be set for a ${client.kind} client`);
  if (client.kind === 'service' && grants.some((g) => g !== 'client_credentials')) issue('grant_types', 'must be ["client_credentials"] for a service client');
  if (client.kind === 'resource_server' && grants.length > 0) issue('grant_types', 'must be empty for a resource_server client');
  if (client.kind === 'resource_server' && !client.api) issue('api', 'is required for a resource_server client (the API identifier it serves)');
  if (client.kind !== 'resource_server' && client.api) issue('api', 'is only for resource_server clients');
  if (client.kind === 'resource_server' && client.api_scopes) issue('api_scopes', 'is not for resource_server clients (they introspect, they get no tokens)');
}

function defaultGrants(client: ParsedClient): NonNullable<ParsedClient['grant_types']> {
  if (client.kind === 'service') return ['client_credentials'];
  if (client.kind === 'resource_server') return [];
  return ['authorization_code', 'refresh_token', ...(client.service_account ? ['client_credentials' as const] : [])];
}

/** Fills in what each kind implies, so oidc-provider gets complete, consistent metadata. */
function applyKindDefaults(client: ParsedClient): ClientMetadata {
  const interactive = client.kind === 'public' || client.kind === 'web';
  return {
    ...client,
  token_endpoint_auth_method: client.token_endpoint_auth_method ?? (client.kind === 'public' ? 'none' : 'client_secret_basic'),
  grant_types: client.grant_types ?? defaultGrants(client),
    response_types: interactive ? ['code' as const] : [],
  redirect_uris: client.redirect_uris ?? [],
  };
}

export interface Registry {
  clients: ClientMetadata[];
  apis: ApiDefinition[];
}

const registryFileSchema = z.strictObject({ clients: z.array(z.unknown()), apis: z.array(z.unknown()).default([]) });

export interface ClientsFileOptions {
  /** Production: refuse client secrets that ship in the repository or are easy to guess. */
  production?: boolean;
  /** Keyward's own APIs (apis.service.ts builtInApis): the file may grant them, never declare them. */
  builtInApis?: readonly ApiDefinition[];
}

/** Parses and validates the clients file; every problem names the client (or API) and the field. */
export function parseClientsFile(text: string, source: string, options: ClientsFileOptions = {}): Registry {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new StartupError(`Clients file ${source} is not valid JSON: ${(error as Error).message}`);
  }
  const file = registryFileSchema.safeParse(json);
  if (!file.success) throw new StartupError(`Clients file ${source} must be an object {"clients": [ ... ], "apis": [ ... ]}`);

  const problems: string[] = [];
  const apis = parseEntries(file.data.apis, apiSchema, 'identifier', 'API', problems);
  const clients = parseEntries(file.data.clients, clientMetadataSchema, 'client_id', 'client', problems);
  if (apis.filter((api) => api.default).length > 1) problems.push('APIs: at most one may be the default');
  const builtIn = options.builtInApis ?? [];
  for (const api of apis) {
    if (builtIn.some((reserved) => reserved.identifier === api.identifier)) problems.push(`API "${api.identifier}", field identifier: identifier is reserved for Keyward's admin API`);
  }
  const identifiers = new Set(apis.map((api) => api.identifier));
  // Granted like any API; served (`api` of a resource server) only by Keyward itself.
  const grantable = [...builtIn, ...apis];
  for (const client of clients) {
    if (client.api && !identifiers.has(client.api)) problems.push(`client "${client.client_id}", field api: no API "${client.api}" is declared`);
    // The example file's placeholder secret, copied unchanged, would let anyone get tokens as this client.
    const weak = options.production && client.client_secret ? weakSecretReason(client.client_secret) : undefined;
    if (weak) problems.push(`client "${client.client_id}", field client_secret: ${weak}; ${GENERATE_HINT} (or declare the client with \`keyward clients add\`, which generates its secret)`);
    problems.push(...apiScopesProblems(client, grantable).map((problem) => `client "${client.client_id}", field ${problem}`));
  }
  if (problems.length > 0) throw new StartupError(`Clients file ${source} is invalid: ${problems.join('; ')}`);
  return { clients, apis };
}

/**
 * API grants written one API each as "<API identifier> [scope ...]" (the CLI's `--api-scopes`, the
 * console's lines), as `api_scopes` (RFC 8707 §2, RFC 6749 §3.3): an API named twice has its
 * scopes merged, a scope counts once. Space separates them: a scope token never contains one
 * (RFC 6749 §3.3), whereas `=`, `,` and `:` may appear in both identifiers and scopes.
 */
export function apiGrantsFrom(entries: readonly string[]): Record<string, string[]> | undefined {
  if (entries.length === 0) return undefined;
  const grants: Record<string, string[]> = {};
  for (const entry of entries) {
    const [identifier = '', ...scopes] = entry.split(' ').filter(Boolean);
    grants[identifier] = [...new Set([...(grants[identifier] ?? []), ...scopes])];
  }
  return grants;
}

/** Grants that name an undeclared API or a scope the API does not declare: typos, refused at once. */
export function apiScopesProblems(client: Pick<ClientMetadata, 'api_scopes'>, apis: readonly ApiDefinition[]): string[] {
  const problems: string[] = [];
  for (const [identifier, scopes] of Object.entries(client.api_scopes ?? {})) {
    const api = apis.find((candidate) => candidate.identifier === identifier);
    if (!api) {
      problems.push(`api_scopes: no API "${identifier}" is declared`);
      continue;
    }
    for (const scope of scopes) {
      if (!Object.hasOwn(api.scopes, scope)) problems.push(`api_scopes: API "${identifier}" declares no scope "${scope}"`);
    }
  }
  return problems;
}

function parseEntries<S extends z.ZodType>(entries: unknown[], schema: S, idField: string, noun: string, problems: string[]): z.output<S>[] {
  const parsed: z.output<S>[] = [];
  const seen = new Set<string>();
  entries.forEach((entry, index) => {
    const id = (entry as Record<string, unknown> | null)?.[idField];
    const label = typeof id === 'string' ? `${noun} "${id}"` : `${noun} #${index + 1}`;
    const result = schema.safeParse(entry);
    if (!result.success) {
      for (const issue of result.error.issues) problems.push(`${label}, field ${issue.path.join('.') || '(entry)'}: ${issue.message}`);
      return;
    }
    if (typeof id === 'string' && seen.has(id)) problems.push(`${label}: ${idField} is declared twice`);
    if (typeof id === 'string') seen.add(id);
    parsed.push(result.data);
  });
  return parsed;
}

export async function loadClientsFile(path: string | undefined, options: ClientsFileOptions = {}): Promise<Registry> {
  if (!path) return { clients: [], apis: [] };
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new StartupError(`Cannot read clients file ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return parseClientsFile(text, path, options);
}
