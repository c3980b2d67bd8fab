import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DEMO_ACCOUNT } from '../../src/services/demo-data.service.ts';
import { latestLink } from '../helpers/mailbox.ts';
import { startTestKeyward, type TestKeyward } from '../helpers/test-server.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { csrfTokenIn, UserAgent } from '../helpers/user-agent.ts';

/**
 * A copy of the data directory (a backup, a stolen disk): reset links are kept only as hashes,
 * and the mail that carried one leaves no readable copy once it is delivered.
 */
describe('a copy of the data directory', () => {
  let keyward: TestKeyward;
  const mail = tempDir('keyward-mail-');
  beforeAll(async () => {
    keyward = await startTestKeyward({ env: { MAIL_DIRECTORY: mail } });
  });
  afterAll(async () => keyward?.stop());

  it('holds no live reset link once the mail is delivered (database and WAL)', async () => {
    const agent = new UserAgent();
    const csrf = csrfTokenIn(await (await agent.get(`${keyward.issuer}/forgot-password`)).text());
    await agent.postForm(`${keyward.issuer}/forgot-password`, { _csrf: csrf, email: DEMO_ACCOUNT.email });
    await keyward.flushMail();
    const token = new URL(latestLink(mail, DEMO_ACCOUNT.email, /Reset your/)).searchParams.get('token')!;
    const directory = dirname(keyward.databaseFile);
    const files = readdirSync(directory).filter((name) => name.startsWith('keyward.sqlite'));
    expect(files).toContain('keyward.sqlite');
    for (const file of files) expect(readFileSync(join(directory, file)).includes(token)).toBe(false);
  });
});
