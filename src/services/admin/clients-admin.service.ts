import { randomToken } from '../../lib/ids.ts';
import type { ClientStore } from '../../stores/types.ts';
import type { ApiDefinition } from '../apis.service.ts';
import type { AuditTrail } from '../audit.service.ts';
import { hashClientSecret, isHashedClientSecret } from '../client-secrets.ts';
import { apiScopesProblems, clientMetadataSchema, type ClientMetadata } from '../clients.service.ts';
import { AdminError, auditAdminAction, parseOrThrow, type AdminCall } from './admin-context.ts';

export type ClientSource = 'file' | 'store' | 'built-in';

/** Fields that name what a client is: fixed at creation (a new client is a new id). */
const FIXED_FIELDS = ['client_id', 'kind'] as const;

const needsSecret = (metadata: { token_endpoint_auth_method?: unknown; kind?: unknown }) => {
  const method = metadata.token_endpoint_auth_method ?? (metadata.kind === 'public' ? 'none' : 'client_secret_basic');
  return method === 'client_secret_basic' || method === 'client_secret_post';
};

/** A client as shown to administrators: its metadata, never its secret (only whether and how it is kept). */
export interface ClientView {
  client_id: string;
  kind: string;
  client_name?: string;
  token_endpoint_auth_method?: string;
  client_secret?: '(hashed)' | '(in the clients file)';
  source: ClientSource;
  shadowed?: true;
  revision?: number;
  [field: string]: unknown;
}

function clientView(metadata: Record<string, unknown>, source: ClientSource, revision: number | undefined, shadowed = false): ClientView {
  const { client_secret: secret, response_types: _derived, ...rest } = metadata;
  return {
    ...(rest as { client_id: string; kind: string }),
    ...(secret ? { client_secret: isHashedClientSecret(secret) ? '(hashed)' : '(in the clients file)' } : {}),
    source,
    ...(shadowed ? { shadowed: true as const } : {}),
    ...(revision !== undefined ? { revision } : {}),
  };
}

export interface ClientsAdminDeps {
  store: ClientStore;
  /** Clients of the clients file: they win over the store's, and are changed in the file. */
  fileClients: readonly ClientMetadata[];
  /** Clients Keyward serves from code (the admin console, the development demo client). */
  builtInClients: readonly ClientMetadata[];
  /** The APIs a client may be granted (read at each change: they change at run time). */
  apis: { readonly all: readonly ApiDefinition[] };
  /** oidc-provider's own metadata rules (injected: services do not import the protocol engine). */
  metadataProblem: (metadata: ClientMetadata) => Promise<string | undefined>;
  secretHashKey: string;
  audit: AuditTrail;
}

/** Client administration: the one implementation the CLI, the REST API and the console call. */
export function createClientsAdmin(deps: ClientsAdminDeps) {
  const { store, audit } = deps;
  const declared = (id: string): ClientSource | undefined =>
    deps.fileClients.some((c) => c.client_id === id) ? 'file' : deps.builtInClients.some((c) => c.client_id === id) ? 'built-in' : undefined;
  const refuseDeclared = (id: string, what: string) => {
    const source = declared(id);
    if (source === 'file') throw new AdminError('refused', `client "${id}" is declared in the clients file: ${what} it there`);
    if (source === 'built-in') throw new AdminError('refused', `client "${id}" is built into Keyward and cannot be changed`);
  };
  /** Keyward's schema, the granted APIs and oidc-provider's rules; with a stand-in for a stored (hashed) secret. */
  const validate = async (input: Record<string, unknown>): Promise<ClientMetadata> => {
    const candidate = needsSecret(input) ? { ...input, client_secret: randomToken(32) } : (({ client_secret: _s, ...rest }) => rest)(input);
    const metadata = parseOrThrow(clientMetadataSchema, candidate, { whole: '(client)' });
    const problems = apiScopesProblems(metadata, deps.apis.all);
    const engineProblem = await deps.metadataProblem(metadata);
    if (engineProblem) problems.push(engineProblem);
    if (problems.length > 0) throw new AdminError('invalid_request', problems.join('; '), problems);
    return metadata;
  };
  const storedRecord = async (id: string) => (await store.list()).find((c) => c.clientId === id);
  /** Stores `metadata` only while the client is at `revision` (compare-and-set: the ETag's promise). */
  const writeAt = async (id: string, metadata: Record<string, unknown>, revision: number) => {
    const outcome = await store.updateIf(id, metadata, revision);
    if (outcome === 'missing') throw new AdminError('not_found', `no client "${id}"`);
    if (outcome === 'conflict') throw new AdminError('precondition_failed', `client "${id}" changed since revision ${revision}: read it again`);
  };
  const withSecret = (metadata: ClientMetadata, secretHash: unknown) => (needsSecret(metadata) && typeof secretHash === 'string' ? { ...metadata, client_secret: secretHash } : (({ client_secret: _s, ...rest }) => rest)(metadata));

  return {
    async list() {
      const stored = await store.list();
      const fileIds = new Set(deps.fileClients.map((c) => c.client_id));
      return [
        ...deps.fileClients.map((c) => clientView(c, 'file', undefined)),
        ...deps.builtInClients.map((c) => clientView(c, 'built-in', undefined)),
        ...stored.map((c) => clientView(c.metadata, 'store', c.revision, fileIds.has(c.clientId))),
      ];
    },

    async show(id: string) {
      const source = declared(id);
      if (source) return clientView([...deps.fileClients, ...deps.builtInClients].find((c) => c.client_id === id)!, source, undefined);
      const record = await storedRecord(id);
      if (!record) throw new AdminError('not_found', `no client "${id}"`);
      return clientView(record.metadata, 'store', record.revision);
    },

    /** Adds a store client; a secret, when its method needs one, is generated, returned once and stored hashed. */
    async create(call: AdminCall, input: Record<string, unknown>) {
      const id = String(input.client_id ?? '');
      if (declared(id)) throw new AdminError('conflict', `client "${id}" is declared in the clients file or built in`);
      if ('client_secret' in input) throw new AdminError('invalid_request', 'client_secret is generated by Keyward, not given', ['client_secret: is generated by Keyward']);
      const metadata = await validate(input);
      const secret = needsSecret(metadata) ? randomToken(32) : undefined;
      const stored = withSecret(metadata, secret && hashClientSecret(secret, deps.secretHashKey));
      if (!(await store.create(metadata.client_id, stored))) throw new AdminError('conflict', `client "${metadata.client_id}" exists already`);
      await auditAdminAction(audit, call, 'clients.create', { clientId: metadata.client_id, details: { kind: metadata.kind } });
      return { client: clientView(stored, 'store', 1), ...(secret ? { client_secret: secret } : {}) };
    },

    /**
     * Changes a store client: the fields given replace the stored ones (null removes an optional
     * field); the kind and id stay. At `expectedRevision` when given (If-Match), else at the current one.
     */
    async update(call: AdminCall, id: string, changes: Record<string, unknown>, expectedRevision?: number) {
      refuseDeclared(id, 'change');
      const record = await storedRecord(id);
      if (!record) throw new AdminError('not_found', `no client "${id}"`);
      for (const field of [...FIXED_FIELDS, 'client_secret']) {
        if (field in changes && changes[field] !== record.metadata[field]) throw new AdminError('invalid_request', `${field} cannot be changed`, [`${field}: cannot be changed`]);
      }
      const { response_types: _derived, ...current } = record.metadata;
      const merged: Record<string, unknown> = { ...current };
      for (const [field, value] of Object.entries(changes)) {
        if (value === null) delete merged[field];
        else merged[field] = value;
      }
      const metadata = await validate(merged);
      // A change to a secret method must come with a secret: say so instead of storing a client that cannot authenticate.
      if (needsSecret(metadata) && typeof current.client_secret !== 'string') {
        throw new AdminError('invalid_request', `a client without a secret cannot switch to ${metadata.token_endpoint_auth_method}: add a new client with that method`, ['token_endpoint_auth_method: this client has no secret']);
      }
      const stored = withSecret(metadata, current.client_secret);
      const revision = expectedRevision ?? record.revision;
      await writeAt(id, stored, revision);
      await auditAdminAction(audit, call, 'clients.update', { clientId: id, details: { changed: Object.keys(changes) } });
      // The compare-and-set succeeded: what is stored now is what was written, one revision on.
      return clientView(stored, 'store', revision + 1);
    },

    /** A new secret, returned once; the old one stops working at once. */
    async rotateSecret(call: AdminCall, id: string, expectedRevision?: number) {
      refuseDeclared(id, 'change the secret');
      const record = await storedRecord(id);
      if (!record) throw new AdminError('not_found', `no client "${id}"`);
      if (!needsSecret(record.metadata)) throw new AdminError('invalid_request', `client "${id}" authenticates without a shared secret`);
      const secret = randomToken(32);
      const stored = { ...record.metadata, client_secret: hashClientSecret(secret, deps.secretHashKey) };
      const revision = expectedRevision ?? record.revision;
      await writeAt(id, stored, revision);
      await auditAdminAction(audit, call, 'clients.rotate_secret', { clientId: id });
      return { client: clientView(stored, 'store', revision + 1), client_secret: secret };
    },

    async remove(call: AdminCall, id: string, expectedRevision?: number) {
      refuseDeclared(id, 'remove');
      const record = await storedRecord(id);
      if (!record) throw new AdminError('not_found', `no client "${id}"`);
      // Claims the revision first (compare-and-set): of a delete and a change made at once from the same ETag, one wins.
      if ((await store.updateIf(id, record.metadata, expectedRevision ?? record.revision)) !== 'updated') throw new AdminError('precondition_failed', `client "${id}" changed since revision ${expectedRevision ?? record.revision}`);
      await store.remove(id);
      await auditAdminAction(audit, call, 'clients.delete', { clientId: id });
      return { client_id: id, deleted: true };
    },
  };
}

export type ClientsAdmin = ReturnType<typeof createClientsAdmin>;
