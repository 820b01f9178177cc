// Runs the real fenestra CLI in its own process, as an operator does: the first call of a test
// file goes through the package's bin (bin/fenestra.js builds dist/ when it is missing or older
// than src/), the following ones run the built dist/cli.js — without the TypeScript loader, a
// process starts in a fraction of a second, and the build is checked once.
// Where the process boundary is not what a test is about, runCliHere runs the same command line
// inside the test's process (main() with its own streams, standard input and environment): a
// child costs a node start and the loading of the CLI, about a second of CPU on a busy machine.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { Writable } from 'node:stream';

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export const BIN = path.resolve('bin/fenestra.js');
export const DIST = path.resolve('dist/cli.js');

/** FENESTRA_* variables of the runner's environment are left out: each test says what it sets. */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('FENESTRA_')) env[k] = v;
  return env;
}

export function spawnNode(
  script: string,
  args: string[],
  opts: { env?: Record<string, string>; cwd?: string; input?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  const child = spawn(process.execPath, [script, ...args], { cwd: opts.cwd, env: { ...baseEnv(), ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  child.stdin.end(opts.input ?? '');
  // A command that should have returned and did not (a server started by --help) is killed at the deadline.
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
  return new Promise((resolve) =>
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    }),
  );
}

let built: Promise<CliResult> | undefined;

/** Builds (through the bin) once per test file; fails loudly when the bin cannot run. */
export function ensureBuilt(): Promise<CliResult> {
  built ??= spawnNode(BIN, ['--version'], { timeoutMs: 240_000 }).then((r) => {
    if (r.code !== 0) throw new Error(`bin/fenestra.js --version failed (${r.code}):\n${r.stderr}`);
    return r;
  });
  return built;
}

export async function runCli(
  args: string[],
  opts: { env?: Record<string, string>; cwd?: string; input?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  await ensureBuilt();
  return spawnNode(DIST, args, opts);
}

/** The command line run by src/cli/main.ts in this process: same result as runCli, signal always null. */
export async function runCliHere(args: string[], opts: { env?: Record<string, string>; input?: string } = {}): Promise<CliResult> {
  const { main } = await import('../../src/cli/main.js');
  let stdout = '';
  let stderr = '';
  const sink = (add: (s: string) => void) =>
    new Writable({
      decodeStrings: false,
      write(chunk: string | Buffer, _enc, done) {
        add(String(chunk));
        done();
      },
    });
  const code = await main(args, {
    stdout: sink((s) => (stdout += s)),
    stderr: sink((s) => (stderr += s)),
    stdin: () => opts.input ?? '',
    env: { ...baseEnv(), ...opts.env },
  });
  return { code, signal: null, stdout, stderr };
}
