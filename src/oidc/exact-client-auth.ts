import { Provider } from 'oidc-provider';

/**
 * oidc-provider accepts a client secret by either client_secret_basic or client_secret_post,
 * whichever the client registered (lib/shared/client_auth.js). Keyward holds a client to
 * exactly the method it registered (OIDC Core §9, RFC 7591 §2 token_endpoint_auth_method):
 * a secret sent the other way fails like a wrong secret (invalid_client).
 */
export function enforceRegisteredSecretMethod(provider: Provider): void {
  const prototype = provider.Client.prototype as { compareClientSecret(actual: string): Promise<boolean> | boolean; clientAuthMethod: string };
  const compare = prototype.compareClientSecret;
  prototype.compareClientSecret = function compareWithRegisteredMethod(this: typeof prototype, actual: string) {
    const params = (Provider.ctx as { oidc?: { params?: { client_secret?: unknown } } } | undefined)?.oidc?.params;
    const presented = params?.client_secret ? 'client_secret_post' : 'client_secret_basic';
    if (presented !== this.clientAuthMethod) return false;
    return compare.call(this, actual);
  };
}
