/**
 * node bench/lib/seed-accounts.ts <prefix> <count> totp|password, with Keyward's environment:
 * creates <prefix>-<i>@keyward.test with the bench password (and, for `totp`, a confirmed
 * authenticator app with its own secret, no time step used yet) through the operator context
 * the `keyward` CLI uses; prints [{ email, secret? }] as JSON. Run by bench/lib/keyward-process.ts.
 */
import { loadConfig } from '../../src/config/load.ts';
import { openOperatorContext } from '../../src/operator-context.ts';
import { newTotpSecret } from '../../src/services/mfa/totp.ts';
import { USER } from './fixtures.ts';

const [prefix, countText, kind] = process.argv.slice(2);
const count = Number(countText);
if (!prefix || !/^[a-z0-9-]+$/.test(prefix) || !Number.isInteger(count) || count < 1 || count > 10_000 || (kind !== 'totp' && kind !== 'password')) {
  process.stderr.write('usage: node bench/lib/seed-accounts.ts <prefix> <count 1-10000> totp|password\n');
  process.exit(2);
}

const ctx = await openOperatorContext(loadConfig(process.env));
const seeded: { email: string; secret?: string }[] = [];
try {
  // One hash for all of them: verifying it costs the same whatever its salt, and hashing
  // hundreds at the production cost would only make the set-up slower.
  const passwordHash = await ctx.passwords.hash(USER.password);
  for (let i = 0; i < count; i += 1) {
    const email = `${prefix}-${i}@keyward.test`;
    const account = await ctx.stores.accounts.create({ email, emailVerified: true, name: undefined, passwordHash, roles: [] });
    if (!account) throw new Error(`${email} exists already`);
    if (kind === 'totp') {
      const secret = newTotpSecret();
      const app = await ctx.stores.authenticators.create({
        accountId: account.id, kind: 'totp', name: 'Bench app', secret, credentialId: undefined, counter: 0, transports: [], backedUp: false, confirmed: true,
      });
      if (!app) throw new Error(`no authenticator app for ${email}`);
      seeded.push({ email, secret });
    } else {
      seeded.push({ email });
    }
  }
} finally {
  await ctx.close();
}
process.stdout.write(JSON.stringify(seeded));
