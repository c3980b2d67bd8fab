import type { FindAccount } from 'oidc-provider';
import type { AccountService } from '../services/accounts.service.ts';

/**
 * oidc-provider's account lookup (docs: #findaccount). A disabled or deleted account
 * resolves to undefined, which makes the provider treat its tokens and sessions as invalid.
 * Claims are filtered by scope by the provider using the `claims` configuration.
 */
export function createFindAccount(accounts: AccountService): FindAccount {
  return async (_ctx, sub) => {
    const account = await accounts.findById(sub);
    if (!account || account.disabled) return undefined;
    return {
      accountId: account.id,
      async claims() {
        return {
          sub: account.id,
          email: account.email,
          email_verified: account.emailVerified,
          name: account.name,
          updated_at: Math.floor(account.updatedAt / 1000),
        };
      },
    };
  };
}
