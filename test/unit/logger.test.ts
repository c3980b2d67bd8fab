import { describe, expect, it } from '@jest/globals';
import { captureLogger } from '../helpers/capture-logger.ts';

describe('logger redaction', () => {
  it('redacts passwords, cookies, authorization headers, client secrets, codes and tokens', () => {
    const { logger, text, lines } = captureLogger();
    const secrets = {
      password: 'hunter2-password',
      client_secret: 'client-secret-value',
      access_token: 'access-token-value',
      refresh_token: 'refresh-token-value',
      id_token: 'id-token-value',
      cookieSecrets: ['cookie-secret-value'],
    };
    logger.info(secrets, 'top level');
    logger.info({ req: { headers: { authorization: 'Bearer bearer-value', cookie: '_session=cookie-value' } } }, 'headers');
    logger.info({ res: { headers: { 'set-cookie': 'a=set-cookie-value' } } }, 'response');
    logger.info({ body: { code: 'auth-code-value', code_verifier: 'verifier-value' }, query: { code: 'query-code-value' } }, 'params');
    logger.info({ key: { privateJwk: { d: 'private-d-value' } } }, 'nested key');
    logger.child({ module: 'x' }).info({ form: { password: 'child-password-value' } }, 'child');

    const output = text();
    for (const value of [
      'hunter2-password', 'client-secret-value', 'access-token-value', 'refresh-token-value', 'id-token-value',
      'cookie-secret-value', 'bearer-value', 'cookie-value', 'set-cookie-value', 'auth-code-value', 'verifier-value',
      'query-code-value', 'private-d-value', 'child-password-value',
    ]) {
      expect(output).not.toContain(value);
    }
    expect(lines()[0]).toMatchObject({ password: '[redacted]', client_secret: '[redacted]' });
    expect(output.match(/\[redacted\]/g)!.length).toBeGreaterThanOrEqual(14);
  });

  it('keeps error codes, which are not secrets', () => {
    const { logger, lines } = captureLogger();
    const error = Object.assign(new Error('busy'), { code: 'SQLITE_BUSY' });
    logger.error({ err: error }, 'store failed');
    expect(lines()[0]).toMatchObject({ err: { code: 'SQLITE_BUSY', message: 'busy' } });
  });
});
