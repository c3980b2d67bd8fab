import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SMTPServer } from 'smtp-server';
import { DEMO_ACCOUNT } from '../../src/services/demo-data.service.ts';
import { freePort, startTestKeyward, type TestKeyward } from '../helpers/test-server.ts';
import { csrfTokenIn, UserAgent } from '../helpers/user-agent.ts';

/**
 * Timing: an answer must not take longer because a mail went out (which would say the address
 * has an account). With an SMTP server that takes 400 ms per mail, a reset request for a real
 * account and a registration of a taken address must still answer at once; the mail arrives
 * afterwards. The precise median comparison (≥ 300 samples each) is `npm run hardening`.
 */
const SMTP_DELAY_MS = 400;

describe('answers do not wait for mail', () => {
  let keyward: TestKeyward;
  let smtp: SMTPServer;
  const delivered: string[][] = [];

  beforeAll(async () => {
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData(stream, session, callback) {
        stream.resume();
        stream.on('end', () => setTimeout(() => {
          delivered.push(session.envelope.rcptTo.map((r) => r.address));
          callback();
        }, SMTP_DELAY_MS));
      },
    });
    const port = await freePort();
    await new Promise<void>((resolve) => smtp.listen(port, '127.0.0.1', resolve));
    keyward = await startTestKeyward({ env: { SMTP_URL: `smtp://127.0.0.1:${port}` } });
  });
  afterAll(async () => {
    await keyward?.stop();
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
  });

  async function timedPost(path: string, fields: Record<string, string>): Promise<number> {
    const agent = new UserAgent();
    const csrf = csrfTokenIn(await (await agent.get(`${keyward.issuer}${path}`)).text());
    const started = performance.now();
    const response = await agent.postForm(`${keyward.issuer}${path}`, { _csrf: csrf, ...fields });
    await response.text();
    expect(response.status).toBe(200);
    return performance.now() - started;
  }

  it.each([
    ['a reset request for a real account', '/forgot-password', { email: DEMO_ACCOUNT.email }],
    ['a registration of a taken address', '/register', { email: DEMO_ACCOUNT.email, password: 'some long passphrase', name: '' }],
  ])('answers %s without waiting for the mail server', async (_what, path, fields) => {
    const before = delivered.length;
    const elapsed = await timedPost(path, fields);
    expect(elapsed).toBeLessThan(SMTP_DELAY_MS / 2);
    await keyward.flushMail();
    expect(delivered.length).toBe(before + 1);
    expect(delivered.at(-1)).toEqual([DEMO_ACCOUNT.email]);
  });
});
