import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { completeCodeFlow, discoverTestClient, signOut } from '../helpers/relying-party.ts';
import { startTestKeyward, type TestKeyward } from '../helpers/test-server.ts';
import { UserAgent } from '../helpers/user-agent.ts';

/** A relying party's back-channel logout endpoint on 127.0.0.1 that fails its first delivery. */
async function startBackchannelReceiver(): Promise<{ server: Server; url: string; received: string[]; attempts: () => number }> {
  const received: string[] = [];
  let attempts = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += String(chunk)));
    req.on('end', () => {
      attempts += 1;
      if (attempts === 1) {
        res.writeHead(503).end();
        return;
      }
      received.push(new URLSearchParams(body).get('logout_token') ?? '');
      res.writeHead(200).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return { server, url: `http://127.0.0.1:${port}/backchannel-logout`, received, attempts: () => attempts };
}

describe('logout', () => {
  describe('RP-initiated, with back-channel logout', () => {
    let keyward: TestKeyward;
    let receiver: Awaited<ReturnType<typeof startBackchannelReceiver>>;
    const app = {
      client_id: 'bc-app',
      kind: 'web',
      client_secret: 'bc-app-secret-0123456789abcdef0123456789',
      redirect_uris: ['http://localhost:8083/cb'],
      post_logout_redirect_uris: ['http://localhost:8083/bye'],
      backchannel_logout_session_required: true,
    };

    beforeAll(async () => {
      receiver = await startBackchannelReceiver();
      keyward = await startTestKeyward({
        env: { OUTBOUND_ALLOW_PRIVATE_NETWORKS: 'true' },
        registry: { clients: [{ ...app, backchannel_logout_uri: receiver.url }] },
      });
    });
    afterAll(async () => {
      await keyward?.stop();
      receiver?.server.close();
    });

    it('ends the session, revokes the refresh token, and delivers a logout token after a retry', async () => {
      const rp = await discoverTestClient(keyward.issuer, app);
      const agent = new UserAgent();
      const tokens = await completeCodeFlow(rp, { agent });
      const done = await signOut(agent, rp, tokens.id_token!, app.post_logout_redirect_uris[0]!);
      expect(done.status).toBe(303);
      expect(done.headers.get('location')).toBe(`${app.post_logout_redirect_uris[0]}?state=bye`);

      await expect(oidc.refreshTokenGrant(rp, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });

      expect(receiver.attempts()).toBe(2);
      expect(receiver.received).toHaveLength(1);
      const { payload } = await jwtVerify(receiver.received[0]!, createRemoteJWKSet(new URL(`${keyward.issuer}/jwks`)), { issuer: keyward.issuer, audience: app.client_id });
      expect(payload).toMatchObject({ sub: tokens.claims()!.sub, sid: tokens.claims()!.sid, events: { 'http://schemas.openid.net/event/backchannel-logout': {} } });

      const lines = keyward.logs.lines();
      expect(lines.some((l) => l.msg === 'outbound request failed; retrying' && l.attempt === 1)).toBe(true);
      expect(lines.some((l) => l.event === 'backchannel.success' && l.clientId === app.client_id)).toBe(true);
    });
  });

  describe('with LOGOUT_REVOKES_REFRESH_TOKENS=false', () => {
    let keyward: TestKeyward;
    beforeAll(async () => {
      keyward = await startTestKeyward({ env: { LOGOUT_REVOKES_REFRESH_TOKENS: 'false' } });
    });
    afterAll(async () => keyward?.stop());

    it('ends the session but leaves the refresh token working', async () => {
      const rp = await discoverTestClient(keyward.issuer);
      const agent = new UserAgent();
      const tokens = await completeCodeFlow(rp, { agent });
      const done = await signOut(agent, rp, tokens.id_token!, 'http://localhost:8080/signed-out');
      expect(done.status).toBe(303);
      expect((await oidc.refreshTokenGrant(rp, tokens.refresh_token!)).access_token).toEqual(expect.any(String));
    });
  });
});
