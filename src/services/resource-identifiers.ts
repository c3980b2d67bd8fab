/**
 * Comparing API identifiers (RFC 8707 resource indicators) the way a person reading a consent
 * page would: two spellings of one URL are one API. RFC 3986 §6.2.2 normalisation (case of
 * scheme and host, percent-encoded unreserved characters, default port), and further: case of the
 * whole, a trailing slash, an empty query.
 */
export function comparableResource(identifier: string): string {
  const decodeUnreserved = (text: string) => text.replace(/%([0-9A-Fa-f]{2})/g, (escape, hex: string) => {
    const character = String.fromCharCode(Number.parseInt(hex, 16));
    return /[A-Za-z0-9\-._~]/.test(character) ? character : escape.toUpperCase();
  });
  try {
    const url = new URL(identifier);
    const path = decodeUnreserved(url.pathname).replace(/\/+$/, '');
    return `${url.protocol}//${url.host}${path}${decodeUnreserved(url.search)}`.toLowerCase();
  } catch {
    return identifier.trim().toLowerCase();
  }
}

export const sameResource = (a: string, b: string): boolean => comparableResource(a) === comparableResource(b);

/** Whether the identifier is a URL on `origin` (scheme, host and port), however it is spelled. */
export function onOrigin(identifier: string, origin: string): boolean {
  try {
    return new URL(identifier).origin === new URL(origin).origin;
  } catch {
    return false;
  }
}
