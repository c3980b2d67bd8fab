/** A parsed command line: positional words and `--name value` / `--name=value` / `--flag` options. */
export interface ParsedArgs {
  positionals: string[];
  options: Map<string, string[]>;
  /** Options given last without a value; allowOnly names them once it knows they exist. */
  valueless: string[];
}

/** Options that take no value. */
const SWITCHES = new Set(['json', 'help', 'force', 'verified', 'password-stdin', 'rotate-secret', 'unverified', 'no-api-scopes', 'service-account', 'no-pkce', 'require-mfa', 'first-party']);

/** The command line itself is wrong: exit 2 with the help. */
export class UsageError extends Error {}

/** The command is well formed but cannot be done (invalid value, conflict): exit 1, message only. */
export class CommandError extends Error {}

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const positionals: string[] = [];
  const options = new Map<string, string[]>();
  const valueless: string[] = [];
  const add = (name: string, value: string) => options.set(name, [...(options.get(name) ?? []), value]);
  for (let i = 0; i < argv.length; i += 1) {
    const word = argv[i]!;
    if (word === '-h') {
      add('help', 'true');
    } else if (word.startsWith('--')) {
      const [name = '', inline] = word.slice(2).split(/=(.*)/s);
      if (SWITCHES.has(name)) add(name, 'true');
      else if (inline !== undefined) add(name, inline);
      else if (i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) add(name, argv[++i]!);
      else valueless.push(name);
    } else {
      positionals.push(word);
    }
  }
  return { positionals, options, valueless };
}

export const option = (args: ParsedArgs, name: string): string | undefined => args.options.get(name)?.at(-1);
export const options = (args: ParsedArgs, name: string): string[] => args.options.get(name) ?? [];
export const flag = (args: ParsedArgs, name: string): boolean => args.options.has(name);

export function requireOption(args: ParsedArgs, name: string): string {
  const value = option(args, name);
  if (!value) throw new UsageError(`--${name} is required`);
  return value;
}

/** Refuses options the command does not know, so a typo is an error rather than ignored; then known ones without a value. */
export function allowOnly(args: ParsedArgs, known: readonly string[]): void {
  for (const name of [...args.options.keys(), ...args.valueless]) {
    if (!known.includes(name) && name !== 'json' && name !== 'help') throw new UsageError(`unknown option --${name}`);
  }
  if (args.valueless.length > 0) throw new UsageError(`--${args.valueless[0]} needs a value`);
}
