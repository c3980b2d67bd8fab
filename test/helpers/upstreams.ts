import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { generateKeyPair, SignJWT, exportJWK, type JWK } from 'jose';
import Provider from 'oidc-provider';

export interface UpstreamPerson {
  sub: string;
  email?: string;
  email_verified?: boolean;
  name?: string;
  picture?: string;
}

const listen = async (server: Server, host: string) => {
  server.listen(0, host);
  await once(server, 'listening');
  return (server.address() as { port: number }).port;
};

/**
 * A real OpenID provider (a second oidc-provider) on localhost, standing in for Google.
 * Whoever is in `signInAs` is signed in at once when the browser arrives.
 */
export async function startUpstreamProvider(redirectUri: () => string, client = { id: 'keyward', secret: 'upstream-secret-0123456789abcdef0123456789' }) {
  const people = new Map<string, UpstreamPerson>();
  const state = { signInAs: undefined as string | undefined };
  const server = createServer();
  const port = await listen(server, '127.0.0.1');
  const issuer = `http://localhost:${port}`;
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const provider = new Provider(issuer, {
    clients: [{ client_id: client.id, client_secret: client.secret, redirect_uris: [redirectUri()], grant_types: ['authorization_code'], response_types: ['code'] }],
    jwks: { keys: [{ ...(await exportJWK(privateKey)), alg: 'RS256', use: 'sig', kid: 'upstream-key' }] as never },
    cookies: { names: { session: 'up_session', interaction: 'up_interaction', resume: 'up_resume' }, keys: ['upstream-cookie-key-0123456789abcdef'] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'picture'] },
    conformIdTokenClaims: false,
    findAccount: async (_ctx, sub) => (people.has(sub) ? { accountId: sub, claims: async () => ({ ...people.get(sub)! }) } : undefined),
    features: { devInteractions: { enabled: false } },
    pkce: { required: () => true },
  });
  provider.use(async (ctx, next) => {
    const match = /^\/interaction\/([\w-]+)$/.exec(ctx.path);
    if (!match) return next();
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (details.prompt.name === 'login') {
      if (!state.signInAs) return provider.interactionFinished(ctx.req, ctx.res, { error: 'access_denied' }, { mergeWithLastSubmission: false });
      return provider.interactionFinished(ctx.req, ctx.res, { login: { accountId: state.signInAs } }, { mergeWithLastSubmission: false });
    }
    const grant = new provider.Grant({ accountId: details.session!.accountId, clientId: client.id });
    grant.addOIDCScope('openid email profile');
    return provider.interactionFinished(ctx.req, ctx.res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
  });
  server.on('request', provider.callback());
  return {
    issuer, client, people, state,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * A rogue OpenID provider: correct discovery and JWKS, but an ID token that is forged (signed
 * by another key) or carries the wrong nonce, as the test asks.
 */
export async function startRogueProvider(client = { id: 'keyward', secret: 'rogue-secret-0123456789abcdef0123456789' }) {
  const server = createServer();
  const port = await listen(server, '127.0.0.1');
  const issuer = `http://localhost:${port}`;
  const legit = await generateKeyPair('RS256');
  const attacker = await generateKeyPair('RS256');
  const jwk: JWK = { ...(await exportJWK(legit.publicKey)), kid: 'legit', alg: 'RS256', use: 'sig' };
  const mode = { forge: 'signature' as 'signature' | 'nonce' | 'none', nonce: '' };
  server.on('request', async (req, res) => {
    const url = new URL(req.url!, issuer);
    const json = (body: unknown) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (url.pathname === '/.well-known/openid-configuration') {
      return json({ issuer, authorization_endpoint: `${issuer}/authorize`, token_endpoint: `${issuer}/token`, jwks_uri: `${issuer}/jwks`, response_types_supported: ['code'], subject_types_supported: ['public'], id_token_signing_alg_values_supported: ['RS256'], code_challenge_methods_supported: ['S256'] });
    }
    if (url.pathname === '/jwks') return json({ keys: [jwk] });
    if (url.pathname === '/authorize') {
      mode.nonce = url.searchParams.get('nonce') ?? '';
      const back = new URL(url.searchParams.get('redirect_uri')!);
      back.searchParams.set('code', 'rogue-code');
      back.searchParams.set('state', url.searchParams.get('state')!);
      return res.writeHead(303, { location: back.href }).end();
    }
    if (url.pathname === '/token') {
      const key = mode.forge === 'signature' ? attacker.privateKey : legit.privateKey;
      const idToken = await new SignJWT({ email: 'victim@example.com', email_verified: true, nonce: mode.forge === 'nonce' ? 'not-the-nonce' : mode.nonce })
        .setProtectedHeader({ alg: 'RS256', kid: 'legit' }).setIssuer(issuer).setAudience(client.id).setSubject('rogue-subject')
        .setIssuedAt().setExpirationTime('5m').sign(key);
      return json({ access_token: 'rogue-access-token', token_type: 'Bearer', expires_in: 300, id_token: idToken });
    }
    res.writeHead(404).end();
  });
  return { issuer, client, mode, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** A small server with GitHub's OAuth endpoints and the /user and /user/emails response shapes. */
export async function startGithubStandIn(client = { id: 'gh-keyward', secret: 'github-secret-0123456789abcdef0123456789' }) {
  const server = createServer();
  const port = await listen(server, '127.0.0.1');
  const base = `http://localhost:${port}`;
  const person = {
    user: { id: 4242, login: 'octo', name: 'Octo Cat', avatar_url: 'https://avatars.example/octo.png' } as Record<string, unknown>,
    emails: [{ email: 'octo@example.com', primary: true, verified: true }] as { email: string; primary: boolean; verified: boolean }[],
  };
  server.on('request', (req, res) => {
    const url = new URL(req.url!, base);
    const json = (body: unknown, status = 200) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (url.pathname === '/login/oauth/authorize') {
      const back = new URL(url.searchParams.get('redirect_uri')!);
      back.searchParams.set('code', 'github-code');
      back.searchParams.set('state', url.searchParams.get('state')!);
      return res.writeHead(302, { location: back.href }).end();
    }
    if (url.pathname === '/login/oauth/access_token') return json({ access_token: 'gho_test', token_type: 'bearer', scope: 'read:user,user:email' });
    if (req.headers.authorization !== 'Bearer gho_test') return json({ message: 'Bad credentials' }, 401);
    if (url.pathname === '/api/user') return json(person.user);
    if (url.pathname === '/api/user/emails') return json(person.emails);
    return json({ message: 'Not Found' }, 404);
  });
  return { base, api: `${base}/api`, client, person, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
