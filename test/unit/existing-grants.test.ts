import { describe, expect, it } from '@jest/globals';
import { latestGrant } from '../../src/oidc/existing-grants.ts';

describe('latestGrant (remembered consent)', () => {
  const records = {
    listByAccountId: async (model: string, accountId: string) => (model === 'Grant' && accountId === 'acc-1' ? [
      { id: 'old', payload: { accountId: 'acc-1', clientId: 'app', iat: 100 } , expiresAt: 9_000 },
      { id: 'new', payload: { accountId: 'acc-1', clientId: 'app', iat: 300 } , expiresAt: 9_000 },
      { id: 'other-client', payload: { accountId: 'acc-1', clientId: 'other', iat: 400 } , expiresAt: 9_000 },
      // A store answering with another account's record must not lend it.
      { id: 'other-account', payload: { accountId: 'acc-2', clientId: 'app', iat: 500 } , expiresAt: 9_000 },
      { id: 'middle', payload: { accountId: 'acc-1', clientId: 'app', iat: 200 } , expiresAt: 9_000 },
    ] : []),
  };

  it('is the newest grant of that account to that client', async () => {
    expect(await latestGrant(records, 'acc-1', 'app')).toEqual({ id: 'new', expiresAt: 9_000 });
    expect((await latestGrant(records, 'acc-1', 'other'))?.id).toBe('other-client');
  });

  it('is nothing for a client or an account without one', async () => {
    expect(await latestGrant(records, 'acc-1', 'unused')).toBeUndefined();
    expect(await latestGrant(records, 'acc-2', 'app')).toBeUndefined();
  });
});
