import { Provider } from 'oidc-provider';
import { isHashedClientSecret, matchesHashedClientSecret } from '../services/client-secrets.ts';

/**
 * Client secret checks, in two ways stricter than oidc-provider's own
 * (lib/shared/client_auth.js, which accepts basic and post alike and compares plain secrets):
 * - a client is held to exactly the method it registered (OIDC Core §9, RFC 7591 §2
 *   token_endpoint_auth_method): a secret sent the other way fails like a wrong secret;
 * - secrets of clients added with the CLI are stored as keyed hashes, and compared as such.
 */
export function enforceClientSecretRules(provider: Provider, hashKey: string): void {
  const prototype = provider.Client.prototype as { compareClientSecret(actual: string): Promise<boolean> | boolean; clientAuthMethod: string; clientSecret?: string };
  const compare = prototype.compareClientSecret;
  prototype.compareClientSecret = function compareWithKeywardRules(this: typeof prototype, actual: string) {
    const params = (Provider.ctx as { oidc?: { params?: { client_secret?: unknown } } } | undefined)?.oidc?.params;
    const presented = params?.client_secret ? 'client_secret_post' : 'client_secret_basic';
    if (presented !== this.clientAuthMethod) return false;
    if (isHashedClientSecret(this.clientSecret)) return matchesHashedClientSecret(this.clientSecret, actual, hashKey);
    return compare.call(this, actual);
  };
}
