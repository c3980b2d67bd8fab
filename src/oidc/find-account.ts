import type { FindAccount } from 'oidc-provider';
import type { AccountService } from '../services/accounts.service.ts';

/**
 * oidc-provider's account lookup (docs: #findaccount). A disabled or deleted account
 * resolves to undefined, which makes the provider treat its tokens and sessions as invalid.
 * Claims are filtered by scope by the provider using the `claims` configuration.
 */
export function createFindAccount(accounts: AccountService): FindAccount {
  return async (_ctx, sub) => {
    const claims = await accounts.claimsFor(sub);
    if (!claims) return undefined;
    return { accountId: claims.sub, claims: async () => ({ ...claims }) };
  };
}
