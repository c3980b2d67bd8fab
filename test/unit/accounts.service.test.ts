import { beforeEach, describe, expect, it, jest } from '@jest/globals';
import { loadConfig } from '../../src/config/load.ts';
import { createAccountService } from '../../src/services/accounts.service.ts';
import { createPasswordHasher, type PasswordHasher } from '../../src/services/passwords.service.ts';
import { createSqliteStores } from '../../src/stores/sqlite/sqlite-stores.ts';
import type { Stores } from '../../src/stores/types.ts';
import { captureLogger } from '../helpers/capture-logger.ts';
import { FakeClock } from '../helpers/fake-clock.ts';

const CHEAP = { memoryKiB: 1024, timeCost: 1, parallelism: 1 };

describe('account service: password sign-in', () => {
  let stores: Stores;
  let passwords: PasswordHasher;

  beforeEach(async () => {
    stores = createSqliteStores({ location: ':memory:', busyTimeoutMs: 0 }, new FakeClock());
    await stores.migrate();
    passwords = await createPasswordHasher(CHEAP);
  });

  const service = (hasher = passwords) => createAccountService({ accounts: stores.accounts, passwords: hasher, logger: captureLogger().logger });
  const addAccount = async (overrides: { disabled?: boolean; hash?: string } = {}) => {
    const account = await stores.accounts.create({ email: 'ada@example.com', emailVerified: true, name: 'Ada', passwordHash: overrides.hash ?? (await passwords.hash('right password')), roles: [] });
    return account!;
  };

  it('runs a password verification against a dummy hash for an unknown email, so the timing matches', async () => {
    const verifyDummy = jest.spyOn(passwords, 'verifyDummy');
    const verify = jest.spyOn(passwords, 'verify');
    expect(await service().authenticate('nobody@example.com', 'whatever')).toBeUndefined();
    expect(verifyDummy).toHaveBeenCalledTimes(1);
    expect(verify).not.toHaveBeenCalled();
  });

  it('signs in case-insensitively, and answers a wrong password and a disabled account like an unknown email', async () => {
    const account = await addAccount();
    expect(await service().authenticate('ADA@example.com', 'right password')).toMatchObject({ id: account.id });
    expect(await service().authenticate('ada@example.com', 'wrong password')).toBeUndefined();
    await stores.accounts.setDisabled(account.id, true);
    expect(await service().authenticate('ada@example.com', 'right password')).toBeUndefined();
  });

  it('upgrades a hash made with older cost parameters at the next successful sign-in', async () => {
    const weak = await createPasswordHasher({ memoryKiB: 1024, timeCost: 1, parallelism: 1 });
    const account = await addAccount({ hash: await weak.hash('right password') });
    const stronger = await createPasswordHasher({ memoryKiB: 2048, timeCost: 2, parallelism: 1 });
    expect(await service(stronger).authenticate('ada@example.com', 'right password')).toBeDefined();
    const upgraded = (await stores.accounts.findById(account.id))!.passwordHash!;
    expect(upgraded).toMatch(/^\$argon2id\$v=19\$m=2048,p=1,t=2\$/);
    expect(await stronger.verify(upgraded, 'right password')).toBe(true);
  });

  it('uses argon2id at the OWASP cost (19 MiB, t=2, p=1) by default', async () => {
    const hasher = await createPasswordHasher(loadConfig({}, false).argon2);
    expect(await hasher.hash('x')).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
  });
});
