/**
 * A minimal browser stand-in for HTTP-level tests: keeps cookies by name and follows
 * nothing by itself, so each redirect of the authorization flow can be asserted.
 */
export class UserAgent {
  private readonly cookies = new Map<string, string>();

  async request(url: string | URL, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0) headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    if (!headers.has('accept')) headers.set('accept', 'text/html');
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair = ''] = cookie.split(';');
      const index = pair.indexOf('=');
      const name = pair.slice(0, index).trim();
      const value = pair.slice(index + 1).trim();
      if (/expires=Thu, 01 Jan 1970/i.test(cookie) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  }

  get(url: string | URL): Promise<Response> {
    return this.request(url);
  }

  postForm(url: string | URL, fields: Record<string, string>): Promise<Response> {
    return this.request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
  }

  cookieNames(): string[] {
    return [...this.cookies.keys()];
  }
}

/** The absolute URL a redirect response points at. */
export function locationOf(response: Response, base: string): URL {
  const location = response.headers.get('location');
  if (!location) throw new Error(`expected a redirect, got ${response.status}`);
  return new URL(location, base);
}

export function csrfTokenIn(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match?.[1]) throw new Error('no CSRF token in the page');
  return match[1];
}

/**
 * Drives login and consent over HTTP, starting at an authorization URL; returns the final
 * redirect to the client's redirect_uri (carrying code, state and iss).
 */
export async function signInAndConsent(agent: UserAgent, authorizationUrl: URL, credentials: { email: string; password: string }): Promise<URL> {
  const base = authorizationUrl.origin;
  let next = locationOf(await agent.get(authorizationUrl), base);
  for (let step = 0; step < 10; step += 1) {
    if (next.origin !== base) return next;
    const response = await agent.get(next);
    if (response.status === 303 || response.status === 302) {
      next = locationOf(response, base);
      continue;
    }
    const html = await response.text();
    if (response.status !== 200) throw new Error(`unexpected ${response.status} at ${next.pathname}: ${html.slice(0, 200)}`);
    const csrf = csrfTokenIn(html);
    const submit = html.includes('/login"')
      ? agent.postForm(new URL(`${next.pathname}/login`, base), { _csrf: csrf, ...credentials })
      : agent.postForm(new URL(`${next.pathname}/consent`, base), { _csrf: csrf });
    const submitted = await submit;
    if (submitted.status !== 303) throw new Error(`form post answered ${submitted.status}`);
    next = locationOf(submitted, base);
  }
  throw new Error('the authorization flow did not reach the client');
}
