import { discoverTestClient, startAuthorization } from './relying-party.ts';
import { csrfTokenIn, locationOf, UserAgent } from './user-agent.ts';

/**
 * One password sign-in in a fresh browser, from a fresh authorization request, every request
 * carrying `headers` (e.g. X-Forwarded-For behind TRUST_PROXY). Returns the answer's status:
 * 303 signed in, 401 refused, 403 unconfirmed email, 429 throttled.
 */
export async function attemptSignIn(issuer: string, credentials: { email: string; password: string }, headers: Record<string, string> = {}): Promise<number> {
  const agent = new UserAgent();
  const started = await startAuthorization(await discoverTestClient(issuer));
  const login = locationOf(await agent.request(started.url, { headers }), issuer);
  const page = await (await agent.request(login, { headers })).text();
  const response = await agent.request(`${login}/login`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrfTokenIn(page), ...credentials }),
  });
  return response.status;
}
