// Where a command writes and what it reads: the process's own streams, standard input and
// environment — or, for a caller that runs the CLI inside its own process (the tests), the ones
// it gives to main(). Commands ask io() instead of reaching for process.stdout or process.env.
import { AsyncLocalStorage } from 'node:async_hooks';
import fs from 'node:fs';

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** The whole of standard input, for a file given as `-`. */
  stdin(): string;
  env: Record<string, string | undefined>;
}

const given = new AsyncLocalStorage<CliIo>();

export function io(): CliIo {
  return given.getStore() ?? { stdout: process.stdout, stderr: process.stderr, stdin: () => fs.readFileSync(0, 'utf8'), env: process.env };
}

/** Runs fn with the given streams and environment as the CLI's. */
export const withIo = <T>(cli: CliIo, fn: () => T): T => given.run(cli, fn);
