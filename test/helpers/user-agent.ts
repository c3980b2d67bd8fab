/** What the user agent needs of fetch. */
export type Transport = (url: string | URL, init: RequestInit) => Promise<Response>;

/**
 * A minimal browser stand-in for HTTP-level tests: keeps cookies by host, path and name (like a
 * browser, ignoring ports) and follows nothing by itself, so each redirect can be asserted.
 */
export class UserAgent {
  private readonly jars = new Map<string, Map<string, { value: string; path: string }>>();

  private readonly send: Transport;

  /** `send` is fetch unless the caller has a cheaper transport (the benchmark's load generator). */
  constructor(send: Transport = fetch) {
    this.send = send;
  }

  private jar(url: string | URL): Map<string, { value: string; path: string }> {
    const host = new URL(url).hostname;
    let jar = this.jars.get(host);
    if (!jar) this.jars.set(host, (jar = new Map()));
    return jar;
  }

  async request(url: string | URL, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    const cookies = this.jar(url);
    const path = new URL(url).pathname;
    const sent = [...cookies].filter(([, cookie]) => path === cookie.path || path.startsWith(cookie.path.endsWith('/') ? cookie.path : `${cookie.path}/`));
    if (sent.length > 0) headers.set('cookie', sent.map(([name, cookie]) => `${name.split('\n')[0]}=${cookie.value}`).join('; '));
    if (!headers.has('accept')) headers.set('accept', 'text/html');
    const response = await this.send(url, { ...init, headers, redirect: 'manual' });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = cookie.split(';');
      const index = pair.indexOf('=');
      const path = attributes.map((a) => a.trim()).find((a) => /^path=/i.test(a))?.slice(5) || '/';
      // One jar entry per (name, path), as a browser keeps them.
      const name = `${pair.slice(0, index).trim()}\n${path}`;
      const value = pair.slice(index + 1).trim();
      if (/expires=Thu, 01 Jan 1970/i.test(cookie) || value === '') cookies.delete(name);
      else cookies.set(name, { value, path });
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

  /** The value of cookie `name` (any path) this agent would keep for `url`'s host. */
  cookieValue(url: string | URL, name: string): string | undefined {
    return [...this.jar(url)].find(([key]) => key.split('\n')[0] === name)?.[1].value;
  }

  /** Puts a cookie in the jar as if the server had set it (a forged one, for attack tests). */
  setCookie(url: string | URL, name: string, value: string, path = '/'): void {
    this.jar(url).set(`${name}\n${path}`, { value, path });
  }

  cookieNames(url: string | URL): string[] {
    return [...this.jar(url).keys()].map((key) => key.split('\n')[0]!);
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

/** How a scripted browser answers the sign-in pages of an interaction; every answer is a form post. */
export interface SignInAnswers {
  /** The sign-in page (/interaction/<uid>). */
  signIn(agent: UserAgent, page: URL, csrf: string): Promise<Response>;
  /** The second step (/interaction/<uid>/second-factor), for accounts that have one. */
  secondFactor?(agent: UserAgent, page: URL, csrf: string): Promise<Response>;
}

/**
 * Drives an authorization over HTTP page by page, starting at an authorization URL: sign-in,
 * second step and consent as the server asks; returns the final redirect to the client's
 * redirect_uri (carrying code, state and iss).
 */
export async function walkSignIn(agent: UserAgent, authorizationUrl: URL, answers: SignInAnswers): Promise<URL> {
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
    let submitted: Response;
    if (next.pathname.endsWith('/second-factor')) {
      if (!answers.secondFactor) throw new Error('asked for a second factor');
      submitted = await answers.secondFactor(agent, next, csrf);
    } else if (html.includes('/login"')) {
      submitted = await answers.signIn(agent, next, csrf);
    } else {
      submitted = await agent.postForm(new URL(`${next.pathname}/consent`, base), { _csrf: csrf });
    }
    if (submitted.status !== 303) throw new Error(`${next.pathname} form post answered ${submitted.status}`);
    next = locationOf(submitted, base);
    // A refused passkey leads back to the sign-in page: say so rather than loop.
    if (next.searchParams.has('passkey')) throw new Error(`passkey refused: ${next.pathname}${next.search}`);
  }
  throw new Error('the authorization flow did not reach the client');
}

/** walkSignIn with an email and password on the sign-in page. */
export function signInAndConsent(agent: UserAgent, authorizationUrl: URL, credentials: { email: string; password: string }): Promise<URL> {
  return walkSignIn(agent, authorizationUrl, {
    signIn: (browser, page, csrf) => browser.postForm(new URL(`${page.pathname}/login`, page.origin), { _csrf: csrf, ...credentials }),
  });
}
