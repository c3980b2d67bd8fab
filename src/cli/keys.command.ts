import type { OperatorContext } from '../operator-context.ts';
import { allowOnly, flag, UsageError, type ParsedArgs } from './args.ts';
import { humanWait } from './help.ts';
import { report, table, type CliIo } from './io.ts';
import { cliCall } from './cli-call.ts';

export const KEYS_HELP = `Usage: keyward keys <command> [options]

Signing keys rotate in stages: a next key is published in the JWKS before it signs, the
current key signs, a previous key stays published until every token it signed has expired.
Every running Keyward picks a change up within KEY_REFRESH_SECONDS.

Commands:
  list               every signing key with its algorithm and state (never its private part)
  rotate [--force]   next → current, current → previous, and a new next key; refused while
                     the next key is younger than JWKS_MAX_AGE_SECONDS + KEY_REFRESH_SECONDS
                     (--force overrides: caches may then miss the new key)
  retire             remove previous keys whose tokens have all expired

Every command takes --json for scripts.`;

export async function keysCommand(ctx: OperatorContext, args: ParsedArgs, io: CliIo): Promise<number> {
  const [, command] = args.positionals;
  const json = flag(args, 'json');
  switch (command) {
    case 'list': {
      allowOnly(args, []);
      const rows = (await ctx.admin.keys.list()).map((k) => ({ kid: k.kid, alg: k.alg, state: k.state, since: k.state_since }));
      report(io, json, rows, table(rows, ['kid', 'alg', 'state', 'since']));
      return 0;
    }
    case 'rotate': {
      allowOnly(args, ['force']);
      const result = await ctx.admin.keys.rotate(cliCall(), { force: flag(args, 'force') });
      const text = {
        rotated: () => 'Rotated: the next keys sign now, the former current keys are previous, and new next keys are published.',
        published_next: () => `There were no next keys: they are published now. Rotate again ${humanWait('waitSeconds' in result ? result.waitSeconds : 0)}, once caches have them.`,
        too_soon: () => `The next keys were published too recently for every cache to have them; rotate ${humanWait('waitSeconds' in result ? result.waitSeconds : 0)} (or --force).`,
        raced: () => 'Another process rotated at the same moment; nothing was done twice.',
      }[result.outcome]();
      report(io, json, result, text);
      return result.outcome === 'too_soon' ? 1 : 0;
    }
    case 'retire': {
      allowOnly(args, []);
      const { retired } = await ctx.admin.keys.retire(cliCall());
      report(io, json, { retired }, retired.length ? `Retired ${retired.length} previous keys: ${retired.join(', ')}` : 'No previous key is old enough to retire.');
      return 0;
    }
    default:
      throw new UsageError(command ? `unknown command "keys ${command}"` : 'keyward keys <command>');
  }
}
