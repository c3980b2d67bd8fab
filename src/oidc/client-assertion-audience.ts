import type { Provider } from 'oidc-provider';

/**
 * The audiences a `private_key_jwt` client assertion may name: the issuer identifier and the
 * issuer's own token endpoint URL (RFC 7523 §3; OpenID Foundation's 2025 advisory on
 * client-assertion audiences). oidc-provider also accepts the URL of the endpoint the
 * request reached, derived from the request (lib/helpers/oidc_context.js
 * `clientJwtAuthExpectedAudience`): an assertion minted for another server's endpoint
 * must not authenticate here. Both values come from configuration, never from `Host`.
 */
export function pinClientAssertionAudience(provider: Provider): void {
  const accepted = new Set([provider.issuer, provider.urlFor('token')]);
  const prototype = (provider as unknown as { OIDCContext: { prototype: { clientJwtAuthExpectedAudience(): Set<string> } } }).OIDCContext.prototype;
  prototype.clientJwtAuthExpectedAudience = () => new Set(accepted);
}
