import { generateKeyPairSync } from 'node:crypto';
import { Provider, type JWK } from 'oidc-provider';
import { OPENID_SCOPES } from '../services/apis.service.ts';
import type { ClientMetadata } from '../services/clients.service.ts';
import { KEYWARD_CLIENT_METADATA } from './token-policies.ts';

/**
 * oidc-provider's own client metadata rules, for clients the CLI adds (the server applies the
 * same rules when it loads them). Returns the problem, or undefined when the client is valid.
 */
export async function clientMetadataProblem(metadata: ClientMetadata): Promise<string | undefined> {
  // A throwaway provider with keys for every ID token algorithm and a no-op adapter (so it warns about nothing).
  const keys = [
    generateKeyPairSync('ec', { namedCurve: 'P-256' }),
    generateKeyPairSync('rsa', { modulusLength: 2048 }),
    generateKeyPairSync('ed25519'),
  ].map(({ privateKey }) => privateKey.export({ format: 'jwk' }) as JWK);
  const nothing = async () => undefined;
  const provider = new Provider('https://keyward.invalid', {
    adapter: () => ({ upsert: nothing, find: nothing, findByUid: nothing, findByUserCode: nothing, consume: nothing, destroy: nothing, revokeByGrantId: nothing }),
    jwks: { keys },
    extraClientMetadata: { properties: [...KEYWARD_CLIENT_METADATA] },
    scopes: [...OPENID_SCOPES],
    features: { devInteractions: { enabled: false }, clientCredentials: { enabled: true }, backchannelLogout: { enabled: true }, introspection: { enabled: true } },
    enabledJWA: { idTokenSigningAlgValues: ['RS256', 'ES256', 'EdDSA'] },
    responseTypes: ['code'],
  });
  try {
    await provider.Client.validate(metadata);
    return undefined;
  } catch (error) {
    const { error_description: description, message } = error as { error_description?: string; message: string };
    return description ?? message;
  }
}
