import { describe, expect, it } from '@jest/globals';
import { parseClientsFile } from '../../src/services/clients.service.ts';

const file = (clients: unknown[], apis: unknown[] = []) => JSON.stringify({ clients, apis });
const secret = 's'.repeat(32);
const spa = { client_id: 'spa', kind: 'public', redirect_uris: ['https://app.example.com/cb'] };
const api = { identifier: 'https://api.example.com', scopes: { 'items:read': 'Read your items' } };

describe('clients file', () => {
  it('fills in what each kind implies', () => {
    const { clients } = parseClientsFile(file([
      spa,
      { client_id: 'web', kind: 'web', client_secret: secret, redirect_uris: ['https://web.example.com/cb'] },
      { client_id: 'job', kind: 'service', client_secret: secret },
      { client_id: 'rs', kind: 'resource_server', client_secret: secret, api: api.identifier },
    ], [api]), 'clients.json');
    expect(clients.map(({ client_id, token_endpoint_auth_method, grant_types, response_types }) => ({ client_id, token_endpoint_auth_method, grant_types, response_types }))).toEqual([
      { client_id: 'spa', token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'] },
      { client_id: 'web', token_endpoint_auth_method: 'client_secret_basic', grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'] },
      { client_id: 'job', token_endpoint_auth_method: 'client_secret_basic', grant_types: ['client_credentials'], response_types: [] },
      { client_id: 'rs', token_endpoint_auth_method: 'client_secret_basic', grant_types: [], response_types: [] },
    ]);
  });

  it('parses APIs with their defaults', () => {
    const { apis } = parseClientsFile(file([], [api]), 'c.json');
    expect(apis).toEqual([{ ...api, token_format: 'jwt', signing_alg: 'RS256', claims: [], default: false }]);
  });

  it('names the client and the field of every problem', () => {
    const bad = [
      { ...spa, redirect_uris: ['not a url'] },
      { client_id: 'web', kind: 'web', redirect_uris: ['https://x.example/cb'] },
      { client_id: 'typo', kind: 'public', redirect_uri: ['https://x.example/cb'] },
    ];
    expect(() => parseClientsFile(file(bad), 'clients.json')).toThrow(
      /client "spa", field redirect_uris\.0: must be an absolute URL.*client "web", field client_secret: is required with token_endpoint_auth_method client_secret_basic.*client "typo", field \(entry\): Unrecognized key: "redirect_uri"/,
    );
  });

  it('enforces the rules of each kind', () => {
    const problems = (client: object, apis: unknown[] = []) => {
      try {
        parseClientsFile(file([client], apis), 'c.json');
        return '';
      } catch (error) {
        return (error as Error).message;
      }
    };
    expect(problems({ ...spa, token_endpoint_auth_method: 'client_secret_basic', client_secret: secret })).toMatch(/token_endpoint_auth_method: must be none for a public client/);
    expect(problems({ ...spa, kind: undefined })).toMatch(/field kind: must be one of public, web, service, resource_server/);
    expect(problems({ client_id: 'w', kind: 'web', token_endpoint_auth_method: 'none', redirect_uris: ['https://x.example/cb'] })).toMatch(/must be one of client_secret_basic, client_secret_post, private_key_jwt for a web client/);
    expect(problems({ client_id: 'w', kind: 'web', token_endpoint_auth_method: 'private_key_jwt', redirect_uris: ['https://x.example/cb'] })).toMatch(/field jwks: or jwks_uri is required with private_key_jwt/);
    expect(problems({ client_id: 'j', kind: 'service', client_secret: secret, grant_types: ['authorization_code'] })).toMatch(/grant_types: must be \["client_credentials"\] for a service client/);
    expect(problems({ client_id: 'j', kind: 'service', client_secret: secret, redirect_uris: ['https://x.example/cb'] })).toMatch(/redirect_uris: must not be set for a service client/);
    expect(problems({ client_id: 'rs', kind: 'resource_server', client_secret: secret })).toMatch(/field api: is required for a resource_server client/);
    expect(problems({ client_id: 'rs', kind: 'resource_server', client_secret: secret, api: 'https://other.example' }, [api])).toMatch(/client "rs", field api: no API "https:\/\/other\.example" is declared/);
    expect(problems({ ...spa, grant_types: ['client_credentials'] })).toMatch(/must not include client_credentials for a public client/);
    const web = { client_id: 'w', kind: 'web', client_secret: secret, redirect_uris: ['https://x.example/cb'] };
    expect(problems({ ...web, grant_types: ['authorization_code', 'client_credentials'] })).toMatch(/unless it is a web client with "service_account": true/);
    expect(problems({ ...spa, service_account: true })).toMatch(/field service_account: is only for web clients/);
    expect(problems({ ...spa, require_pkce: false })).toMatch(/field require_pkce: can be false only for a web client/);
    expect(problems({ ...web, service_account: true, require_pkce: false })).toBe('');
    const [account] = parseClientsFile(file([{ ...web, service_account: true }]), 'c.json').clients;
    expect(account?.grant_types).toEqual(['authorization_code', 'refresh_token', 'client_credentials']);
  });

  it('refuses duplicate ids, two default APIs, bad API identifiers, malformed JSON and a wrong shape', () => {
    expect(() => parseClientsFile(file([spa, spa]), 'c.json')).toThrow(/client "spa": client_id is declared twice/);
    expect(() => parseClientsFile(file([], [{ ...api, default: true }, { ...api, identifier: 'https://b.example', default: true }]), 'c.json')).toThrow(/at most one may be the default/);
    expect(() => parseClientsFile(file([], [{ ...api, identifier: 'https://a.example/#x' }]), 'c.json')).toThrow(/API "https:\/\/a\.example\/#x", field identifier: must not contain a fragment/);
    expect(() => parseClientsFile('{"clients": [', 'c.json')).toThrow(/Clients file c\.json is not valid JSON/);
    expect(() => parseClientsFile('[]', 'c.json')).toThrow(/must be an object \{"clients": \[ \.\.\. \], "apis": \[ \.\.\. \]\}/);
  });

  it('takes API grants in api_scopes, for declared APIs and scopes only, and OpenID scopes alone in scope', () => {
    const job = { client_id: 'job', kind: 'service', client_secret: secret };
    const { clients } = parseClientsFile(file([{ ...spa, scope: 'openid email offline_access', api_scopes: { [api.identifier]: ['items:read'] } }, job], [api]), 'c.json');
    expect(clients[0]).toMatchObject({ scope: 'openid email offline_access', api_scopes: { [api.identifier]: ['items:read'] } });
    expect(clients[1]).not.toHaveProperty('api_scopes');
    expect(() => parseClientsFile(file([{ ...job, api_scopes: { 'https://other.example': [] } }], [api]), 'c.json')).toThrow(/client "job", field api_scopes: no API "https:\/\/other\.example" is declared/);
    expect(() => parseClientsFile(file([{ ...job, api_scopes: { [api.identifier]: ['items:raed'] } }], [api]), 'c.json')).toThrow(/client "job", field api_scopes: API "https:\/\/api\.example\.com" declares no scope "items:raed"/);
    expect(() => parseClientsFile(file([{ ...spa, scope: 'openid items:read' }], [api]), 'c.json')).toThrow(/client "spa", field scope: "items:read" is not an OpenID scope .*grant API scopes in api_scopes/);
    expect(() => parseClientsFile(file([{ client_id: 'rs', kind: 'resource_server', client_secret: secret, api: api.identifier, api_scopes: {} }], [api]), 'c.json')).toThrow(/field api_scopes: is not for resource_server clients/);
  });

  it('refuses a secret on a public client and a short secret', () => {
    expect(() => parseClientsFile(file([{ ...spa, client_secret: 'x'.repeat(40) }]), 'c.json')).toThrow(/client_secret: must not be set with token_endpoint_auth_method none/);
    expect(() => parseClientsFile(file([{ client_id: 'w', kind: 'service', client_secret: 'short' }]), 'c.json')).toThrow(/client_secret: must be at least 32 characters/);
  });
});
