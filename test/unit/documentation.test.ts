import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { SECRET_VARIABLES, environmentSchema } from '../../src/config/schema.ts';
import { parseClientsFile } from '../../src/services/clients.service.ts';

/** Keeps the operator-facing files true to the code. */
describe('documentation', () => {
  it('.env.example documents every variable the configuration reads, and no other', () => {
    const documented = new Set([...readFileSync('.env.example', 'utf8').matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]));
    const read = new Set([...Object.keys(environmentSchema.shape), ...SECRET_VARIABLES.map((name) => `${name}_FILE`)]);
    expect([...documented].sort()).toEqual([...read].sort());
  });

  it('the example clients file is valid', () => {
    const { clients, apis } = parseClientsFile(readFileSync('config/clients.example.json', 'utf8'), 'config/clients.example.json');
    expect(clients.map((c) => c.kind)).toEqual(['public', 'web', 'service', 'resource_server']);
    expect(apis.map((a) => a.identifier)).toEqual(['https://api.example.com']);
    // Every client that gets tokens shows its API grants (nothing is granted by default).
    expect(clients.filter((c) => c.kind !== 'resource_server').every((c) => c.api_scopes?.['https://api.example.com']?.length)).toBe(true);
  });

  it('the Docker clients file is valid', () => {
    expect(() => parseClientsFile(readFileSync('docker/clients.json', 'utf8'), 'docker/clients.json')).not.toThrow();
  });
});
