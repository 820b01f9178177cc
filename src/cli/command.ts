// The shape of a subcommand: its help text, its options, and what it runs once they parse.
import type { Options, Parsed } from './args.js';

export interface Command {
  name: string;
  summary: string;
  /** The whole --help text. */
  usage: string;
  options: Options;
  positionals: { min: number; max: number; names: string };
  /** The exit code; -1 keeps the process running (serve). */
  run(p: Parsed): Promise<number>;
}

/** A command with subcommands: `fenestra devices list`. */
export interface CommandGroup {
  name: string;
  summary: string;
  commands: Command[];
}
