// Option parsing shared by every subcommand: node's own parseArgs (strict, so an unknown option
// is an error), and --help answered before the command does anything.
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A command-line mistake: the CLI prints it with the usage hint and exits 2. */
export class UsageError extends Error {
  readonly command?: string;
  constructor(
    message: string,
    /** The command whose --help explains it, e.g. "devices queue". */
    command?: string,
  ) {
    super(message);
    this.command = command;
  }
}

export type Options = NonNullable<ParseArgsConfig['options']>;

export interface Parsed {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

/** Parses argv against `options` (plus --help/-h). Returns 'help' when help was asked for, wherever it stands. */
export function parse(argv: string[], options: Options, positionals: { min: number; max: number; names: string }): Parsed | 'help' {
  let r;
  try {
    r = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: true });
  } catch (err) {
    // An unknown option next to --help still only shows the help.
    if (argv.includes('--help') || argv.includes('-h')) return 'help';
    throw new UsageError((err as Error).message.replace(/\. To specify a positional argument.*$/s, ''));
  }
  if (r.values.help) return 'help';
  const n = r.positionals.length;
  if (n < positionals.min) throw new UsageError(`missing argument: ${positionals.names}`);
  if (n > positionals.max) throw new UsageError(`unexpected argument ${JSON.stringify(r.positionals[positionals.max])}`);
  return { values: r.values as Parsed['values'], positionals: r.positionals };
}

export const str = (p: Parsed, name: string): string | undefined => {
  const v = p.values[name];
  return typeof v === 'string' ? v : undefined;
};

export const flag = (p: Parsed, name: string): boolean => p.values[name] === true;
