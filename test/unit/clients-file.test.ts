import { describe, expect, it } from '@jest/globals';
import { parseClientsFile } from '../../src/services/clients.service.ts';

const file = (clients: unknown[]) => JSON.stringify({ clients });
const spa = { client_id: 'spa', token_endpoint_auth_method: 'none', redirect_uris: ['https://app.example.com/cb'] };

describe('clients file', () => {
  it('accepts valid clients', () => {
    const web = { client_id: 'web', client_secret: 's'.repeat(32), redirect_uris: ['https://web.example.com/cb'] };
    expect(parseClientsFile(file([spa, web]), 'clients.json').map((c) => c.client_id)).toEqual(['spa', 'web']);
  });

  it('names the client and the field of every problem', () => {
    const bad = [
      { ...spa, redirect_uris: ['not a url'] },
      { client_id: 'web', redirect_uris: ['https://x.example/cb'] },
      { client_id: 'typo', token_endpoint_auth_method: 'none', redirect_uri: ['https://x.example/cb'] },
    ];
    expect(() => parseClientsFile(file(bad), 'clients.json')).toThrow(
      /client "spa", field redirect_uris\.0: must be an absolute URL.*client "web", field client_secret: is required with token_endpoint_auth_method client_secret_basic.*client "typo", field \(entry\): Unrecognized key: "redirect_uri"/,
    );
  });

  it('refuses a duplicate client_id, malformed JSON and a wrong shape', () => {
    expect(() => parseClientsFile(file([spa, spa]), 'c.json')).toThrow(/client "spa": client_id is declared twice/);
    expect(() => parseClientsFile('{"clients": [', 'c.json')).toThrow(/Clients file c\.json is not valid JSON/);
    expect(() => parseClientsFile('[]', 'c.json')).toThrow(/must be an object \{"clients": \[ \.\.\. \]\}/);
  });

  it('refuses a secret on a public client and a short secret', () => {
    expect(() => parseClientsFile(file([{ ...spa, client_secret: 'x'.repeat(40) }]), 'c.json')).toThrow(/client_secret: must not be set with token_endpoint_auth_method none/);
    expect(() => parseClientsFile(file([{ client_id: 'w', client_secret: 'short' }]), 'c.json')).toThrow(/client_secret: must be at least 32 characters/);
  });
});
