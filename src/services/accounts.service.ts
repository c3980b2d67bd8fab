import type { Logger } from '../logger/logger.ts';
import type { AccountRecord, AccountStore } from '../stores/types.ts';
import type { PasswordHasher } from './passwords.service.ts';

export interface AccountService {
  /**
   * The account for these credentials, or undefined. Unknown email, wrong password and a
   * disabled account are indistinguishable to the caller, and cost the same time.
   */
  authenticate(email: string, password: string): Promise<AccountRecord | undefined>;
  findById(id: string): Promise<AccountRecord | undefined>;
  /** The account's claims (OIDC Core §5.1 names, plus roles); undefined for a missing or disabled account. */
  claimsFor(id: string): Promise<AccountClaims | undefined>;
}

export interface AccountClaims {
  sub: string;
  email: string;
  email_verified: boolean;
  name: string | undefined;
  picture: string | undefined;
  roles: string[];
  updated_at: number;
}

export function createAccountService(deps: { accounts: AccountStore; passwords: PasswordHasher; logger: Logger }): AccountService {
  const { accounts, passwords, logger } = deps;
  return {
    async authenticate(email, password) {
      const account = await accounts.findByEmail(email);
      if (!account?.passwordHash) {
        await passwords.verifyDummy(password);
        return undefined;
      }
      const matches = await passwords.verify(account.passwordHash, password);
      if (!matches || account.disabled) return undefined;
      if (passwords.needsRehash(account.passwordHash)) {
        // Upgrade hashes made with older cost parameters while we hold the password.
        await accounts.setPasswordHash(account.id, await passwords.hash(password));
        logger.info({ accountId: account.id }, 'password hash upgraded to current parameters');
      }
      await accounts.recordSignIn(account.id);
      return account;
    },
    findById: (id) => accounts.findById(id),
    async claimsFor(id) {
      const account = await accounts.findById(id);
      if (!account || account.disabled) return undefined;
      return {
        sub: account.id,
        email: account.email,
        email_verified: account.emailVerified,
        name: account.name,
        picture: account.picture,
        roles: account.roles,
        updated_at: Math.floor(account.updatedAt / 1000),
      };
    },
  };
}
