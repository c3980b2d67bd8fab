import type { AccountRecord } from '../../src/stores/types.ts';
import type { TestKeyward } from './test-server.ts';

/** A confirmed account with a password, made through the store (the registration pages are tested elsewhere). */
export async function createVerifiedAccount(keyward: TestKeyward, email: string, password: string, roles: string[] = []): Promise<AccountRecord> {
  const { container } = keyward.running;
  const account = await container.stores.accounts.create({ email, emailVerified: true, name: undefined, passwordHash: await container.passwords.hash(password), roles });
  if (!account) throw new Error(`an account with ${email} exists already`);
  return account;
}
