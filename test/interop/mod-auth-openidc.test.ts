import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { freePort } from '../helpers/free-port.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { rawRequest } from '../helpers/raw-http.ts';
import { basicAuthorization } from '../helpers/test-server.ts';
import { locationOf, UserAgent, type Transport } from '../helpers/user-agent.ts';
import { describeRelyingParty, type RelyingPartyContext, type RelyingPartyDriver, type SignedIn } from './support/relying-party-suite.ts';
import { requireTool } from './support/script-client.ts';

/**
 * mod_auth_openidc (C, Apache httpd module; Debian's libapache2-mod-auth-openidc 2.4.12 with
 * apache2) as the example's `web` client, protecting /app/ on a loopback Apache started from
 * test/interop/clients/mod_auth_openidc.conf. Unlike the library tests the relying party is a
 * server: the test's user agent asks for /app/, is sent to Keyward, signs in, and brings the code
 * back to Apache, which redeems it (PKCE S256, client_secret_basic), validates the ID token
 * (signature against the JWKS, iss, aud, exp, nonce), reads UserInfo and keeps the session. Its
 * info hook shows that session; its refresh hook refreshes; its logout revokes the tokens at the
 * revocation endpoint. It does not expose the token response's `scope`.
 */
const APACHE = '/usr/sbin/apache2';
const INSTALL = 'apt-get install -y apache2 libapache2-mod-auth-openidc';
const CONFIG = resolve('test/interop/clients/mod_auth_openidc.conf');
let port = 0;

interface Info {
  access_token: string;
  refresh_token: string;
  id_token: Record<string, unknown>;
  userinfo: Record<string, unknown>;
}

/**
 * Requests to Apache as a browser's top-level navigation. fetch always sends
 * `Sec-Fetch-Mode: cors` (a header scripts may not set), and mod_auth_openidc answers such
 * requests 401 rather than redirecting them to sign in — right for a script, not for a page.
 */
const navigation: Transport = async (url, init) => {
  const headers = Object.fromEntries(new Headers(init.headers));
  const raw = await rawRequest(String(url), { method: init.method ?? 'GET', headers: { ...headers, 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' } });
  const responseHeaders = new Headers();
  for (const [name, value] of Object.entries(raw.headers)) {
    for (const one of Array.isArray(value) ? value : [value ?? '']) responseHeaders.append(name, one);
  }
  return new Response(raw.body, { status: raw.status, headers: responseHeaders });
};

class ModAuthOpenidcDriver implements RelyingPartyDriver {
  private readonly root = tempDir('keyward-interop-apache-');

  private readonly agent = new UserAgent(navigation);

  private readonly origin = `http://127.0.0.1:${port}`;

  private apache?: ChildProcess;

  private refreshToken?: string;

  private readonly context: RelyingPartyContext;

  constructor(context: RelyingPartyContext) {
    this.context = context;
  }

  /** Starts Apache and waits (bounded) until it answers. */
  async launch(): Promise<this> {
    mkdirSync(join(this.root, 'htdocs/app'), { recursive: true });
    writeFileSync(join(this.root, 'htdocs/app/index.html'), 'protected\n');
    // mkdtemp makes the directory 0700; Apache's unprivileged worker reads the document root.
    chmodSync(this.root, 0o755);
    const asRoot = process.getuid?.() === 0;
    this.apache = spawn(APACHE, ['-X', '-f', CONFIG, ...(asRoot ? ['-DAS_ROOT'] : [])], {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        RP_ROOT: this.root,
        RP_PORT: String(port),
        RP_PASSPHRASE: randomBytes(24).toString('base64url'),
        KEYWARD_ISSUER: this.context.issuer,
        CLIENT_ID: this.context.clientId,
        CLIENT_SECRET: this.context.clientSecret!,
        REDIRECT_URI: this.context.redirectUri,
        SCOPE: this.context.scope,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    this.apache.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      if (this.apache.exitCode !== null) throw new Error(`apache2 exited with ${this.apache.exitCode}: ${stderr}${this.errorLog()}`);
      try {
        await fetch(`${this.origin}/`, { signal: AbortSignal.timeout(1_000) });
        return this;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    throw new Error(`apache2 did not answer on ${this.origin} within 15 s: ${stderr}${this.errorLog()}`);
  }

  async start(): Promise<URL> {
    const response = await this.agent.get(`${this.origin}/app/index.html`);
    if (response.status !== 302) throw new Error(`Apache answered ${response.status} for /app/ without a session: ${this.errorLog()}`);
    return locationOf(response, this.origin);
  }

  async finish(callback: URL): Promise<SignedIn> {
    const redeemed = await this.agent.get(callback);
    if (redeemed.status !== 302) throw new Error(`Apache answered ${redeemed.status} at the redirect URI: ${(await redeemed.text()).slice(0, 300)} ${this.errorLog()}`);
    const page = await this.agent.get(locationOf(redeemed, this.origin));
    if (page.status !== 200) throw new Error(`the protected page answered ${page.status} after sign-in: ${this.errorLog()}`);
    const first = await this.info();
    // The refresh hook (mod_auth_openidc README, "Refreshing tokens"): refresh=<return to>&access_token=<current>.
    const hook = new URL(this.context.redirectUri);
    hook.search = new URLSearchParams({ refresh: `${this.origin}/app/index.html`, access_token: first.access_token }).toString();
    const refreshedResponse = await this.agent.get(hook);
    const back = refreshedResponse.headers.get('location') ?? '';
    if (refreshedResponse.status !== 302 || back.includes('error_code')) throw new Error(`the refresh hook answered ${refreshedResponse.status} ${back}: ${this.errorLog()}`);
    const second = await this.info();
    this.refreshToken = second.refresh_token;
    return {
      idTokenClaims: first.id_token,
      userinfo: first.userinfo,
      accessToken: first.access_token,
      refreshToken: first.refresh_token,
      refreshed: { accessToken: second.access_token, refreshToken: second.refresh_token },
    };
  }

  async revoke() {
    // Logout revokes the session's refresh and access tokens (OIDCProviderRevocationEndpoint, from discovery).
    const logout = new URL(this.context.redirectUri);
    logout.search = new URLSearchParams({ logout: `${this.origin}/app/bye` }).toString();
    const response = await this.agent.get(logout);
    if (response.status !== 302) throw new Error(`logout answered ${response.status}: ${this.errorLog()}`);
    // The module keeps no tokens now; a refresh with the one it had shows what revocation did.
    const retry = await fetch(`${this.context.issuer}/token`, {
      method: 'POST',
      headers: { authorization: basicAuthorization({ client_id: this.context.clientId, client_secret: this.context.clientSecret! }), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: this.refreshToken! }),
    });
    const body = await retry.json() as { error?: string };
    return { refreshAfterRevocation: retry.ok ? 'accepted' : String(body.error) };
  }

  async close() {
    const apache = this.apache;
    if (!apache || apache.exitCode !== null || apache.signalCode !== null) return;
    const exited = new Promise((resolve) => apache.once('exit', resolve));
    apache.kill('SIGTERM');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
    if (apache.exitCode === null && apache.signalCode === null) apache.kill('SIGKILL');
  }

  private async info(): Promise<Info> {
    const url = new URL(this.context.redirectUri);
    url.search = 'info=json';
    const response = await this.agent.request(url, { headers: { accept: 'application/json' } });
    if (response.status !== 200) throw new Error(`the info hook answered ${response.status}: ${this.errorLog()}`);
    return response.json() as Promise<Info>;
  }

  private errorLog(): string {
    try {
      return `\nApache error log:\n${readFileSync(join(this.root, 'error.log'), 'utf8').slice(-4_000)}`;
    } catch {
      return '';
    }
  }
}

describeRelyingParty({
  library: 'mod_auth_openidc (Apache httpd)',
  kind: 'web',
  prepare: async () => {
    requireTool([APACHE, '-v'], INSTALL);
    requireTool(['test', '-f', '/usr/lib/apache2/modules/mod_auth_openidc.so'], INSTALL);
  },
  rpOrigin: async () => {
    port = await freePort();
    return `http://127.0.0.1:${port}`;
  },
  makeDriver: (context) => new ModAuthOpenidcDriver(context).launch(),
});
