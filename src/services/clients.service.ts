import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { StartupError } from '../errors/app-error.ts';

const absoluteUrl = z.url({ error: 'must be an absolute URL' }).refine((u) => !u.includes('#'), 'must not contain a fragment');

/**
 * The client metadata Keyward accepts in the clients file (OIDC Dynamic Client Registration
 * §2 names). Unknown fields are refused so that a typo cannot silently weaken a client.
 */
export const clientMetadataSchema = z
  .strictObject({
    client_id: z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, 'must be 1-128 characters of A-Z a-z 0-9 . _ : -'),
    client_name: z.string().min(1).max(100).optional(),
    client_secret: z.string().min(32, 'must be at least 32 characters').optional(),
    application_type: z.enum(['web', 'native']).optional(),
    redirect_uris: z.array(absoluteUrl).optional(),
    post_logout_redirect_uris: z.array(absoluteUrl).optional(),
    grant_types: z.array(z.enum(['authorization_code', 'refresh_token', 'client_credentials'])).min(1).optional(),
    response_types: z.array(z.literal('code')).optional(),
    token_endpoint_auth_method: z.enum(['none', 'client_secret_basic', 'client_secret_post', 'private_key_jwt']).optional(),
    id_token_signed_response_alg: z.enum(['RS256', 'ES256', 'EdDSA']).optional(),
    scope: z.string().max(1000).optional(),
    logo_uri: absoluteUrl.optional(),
    client_uri: absoluteUrl.optional(),
    policy_uri: absoluteUrl.optional(),
    tos_uri: absoluteUrl.optional(),
    jwks_uri: absoluteUrl.optional(),
  })
  .superRefine((client, ctx) => {
    const method = client.token_endpoint_auth_method ?? 'client_secret_basic';
    const needsSecret = method === 'client_secret_basic' || method === 'client_secret_post';
    if (needsSecret && !client.client_secret) {
      ctx.addIssue({ code: 'custom', path: ['client_secret'], message: `is required with token_endpoint_auth_method ${method}` });
    }
    if (!needsSecret && client.client_secret) {
      ctx.addIssue({ code: 'custom', path: ['client_secret'], message: `must not be set with token_endpoint_auth_method ${method}` });
    }
  });

export type ClientMetadata = z.infer<typeof clientMetadataSchema>;

const clientsFileSchema = z.strictObject({ clients: z.array(z.unknown()) });

/** Parses and validates the clients file; every problem names the client and the field. */
export function parseClientsFile(text: string, source: string): ClientMetadata[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new StartupError(`Clients file ${source} is not valid JSON: ${(error as Error).message}`);
  }
  const file = clientsFileSchema.safeParse(json);
  if (!file.success) throw new StartupError(`Clients file ${source} must be an object {"clients": [ ... ]}`);

  const problems: string[] = [];
  const clients: ClientMetadata[] = [];
  const seen = new Set<string>();
  file.data.clients.forEach((entry, index) => {
    const id = (entry as { client_id?: unknown })?.client_id;
    const label = typeof id === 'string' ? `client "${id}"` : `client #${index + 1}`;
    const parsed = clientMetadataSchema.safeParse(entry);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) problems.push(`${label}, field ${issue.path.join('.') || '(entry)'}: ${issue.message}`);
      return;
    }
    if (seen.has(parsed.data.client_id)) problems.push(`${label}: client_id is declared twice`);
    seen.add(parsed.data.client_id);
    clients.push(parsed.data);
  });
  if (problems.length > 0) throw new StartupError(`Clients file ${source} is invalid: ${problems.join('; ')}`);
  return clients;
}

export async function loadClientsFile(path: string | undefined): Promise<ClientMetadata[]> {
  if (!path) return [];
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new StartupError(`Cannot read clients file ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return parseClientsFile(text, path);
}
