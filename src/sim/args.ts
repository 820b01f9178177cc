// Option parsing shared by the `fenestra sim` subcommands: node:util parseArgs in strict mode,
// with its errors (and ours) turned into messages that name the option and what was expected.
import fs from 'node:fs';
import { type ParseArgsOptionsConfig, parseArgs } from 'node:util';

export class UsageError extends Error {}

export function int(name: string, v: string, min: number): number {
  if (!/^\d+$/.test(v) || Number(v) < min || !Number.isSafeInteger(Number(v))) {
    throw new UsageError(`${name} must be an integer of at least ${min}, got ${JSON.stringify(v)}`);
  }
  return Number(v);
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "30s", "10m", "1h", "250ms", or a number of seconds. */
export function duration(name: string, v: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(v.trim());
  const ms = m ? Number(m[1]) * UNITS[m[2] ?? 's'] : NaN;
  if (!m || !Number.isFinite(ms) || ms < 1 || ms > 2 ** 31 - 1) {
    throw new UsageError(`${name} must be a duration such as 30s, 10m, 1h or 500ms, got ${JSON.stringify(v)}`);
  }
  return Math.round(ms);
}

/** HOST:PORT ([v6]:PORT); port 0 allowed only when `anyPort`. */
export function hostPort(name: string, v: string, anyPort = false): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:[\]]+):(\d{1,5})$/.exec(v);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535 || (port === 0 && !anyPort)) throw new UsageError(`${name} must be HOST:PORT, got ${JSON.stringify(v)}`);
  return { host: m[1].replace(/^\[|\]$/g, ''), port };
}

/** A PEM trust anchor file. */
export function readCa(file: string): string {
  let ca: string;
  try {
    ca = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`--ca ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (!ca.includes('-----BEGIN CERTIFICATE-----')) throw new UsageError(`--ca ${file}: no PEM certificate in the file`);
  return ca;
}

/** JWTs of a file, one per line (blank lines and # comments skipped). */
export function readTokens(option: string, file: string): string[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`${option} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const tokens = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  if (tokens.length === 0) throw new UsageError(`${option} ${file}: no token in the file`);
  const bad = tokens.findIndex((x) => x.split('.').length !== 3);
  if (bad >= 0) throw new UsageError(`${option} ${file}: line ${bad + 1} is not a JWT (header.payload.signature)`);
  return tokens;
}

/**
 * parseArgs reads a value starting with "-" as a forgotten value ("--checkins -1"); a negative
 * number is joined to its option instead, so the operator hears the range it must be in.
 */
function joinNegativeNumbers(argv: string[], options: ParseArgsOptionsConfig): string[] {
  const out: string[] = [];
  for (const a of argv) {
    const prev = out.at(-1);
    const takesValue = prev?.startsWith('--') && !prev.includes('=') && options[prev.slice(2)]?.type === 'string';
    if (takesValue && /^-\d/.test(a)) out[out.length - 1] = `${prev}=${a}`;
    else out.push(a);
  }
  return out;
}

/** parseArgs' own error (strict mode) as a message naming the option. */
function usageError(err: unknown): UsageError | unknown {
  const code = (err as NodeJS.ErrnoException).code;
  const message = (err as Error).message;
  const option = /'(-[^' ]*)/.exec(message)?.[1];
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option) return new UsageError(`unknown option ${JSON.stringify(option)}`);
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
    return new UsageError(`unexpected argument ${JSON.stringify(/'([^']*)'/.exec(message)?.[1] ?? message)} (options start with --)`);
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && option) {
    if (message.includes('does not take an argument')) return new UsageError(`${option} takes no value`);
    return new UsageError(`${option} needs a value (one starting with "-" is written ${option}=-VALUE)`);
  }
  return err;
}

/** Strict parse; a single-valued option given twice is an error (parseArgs would keep the last). */
export function parseOptions<T extends ParseArgsOptionsConfig>(argv: string[], options: T) {
  let parsed;
  try {
    parsed = parseArgs({ args: joinNegativeNumbers(argv, options), options, strict: true, allowPositionals: false, tokens: true });
  } catch (err) {
    throw usageError(err);
  }
  const given = new Set<string>();
  for (const t of parsed.tokens) {
    if (t.kind !== 'option' || options[t.name].type !== 'string' || options[t.name].multiple) continue;
    if (given.has(t.name)) throw new UsageError(`--${t.name} given twice`);
    given.add(t.name);
  }
  return parsed.values;
}
