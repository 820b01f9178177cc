// A JSON object given on the command line, or @FILE to read it from a file.
import fs from 'node:fs';
import { UsageError } from './args.js';

export function readJsonArg(arg: string, name: string): Record<string, unknown> {
  let text = arg;
  if (arg.startsWith('@')) {
    try {
      text = fs.readFileSync(arg.slice(1), 'utf8');
    } catch (err) {
      throw new UsageError(`${name}: cannot read ${arg.slice(1)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${name} is not JSON: ${(err as Error).message}`);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new UsageError(`${name} must be a JSON object`);
  return v as Record<string, unknown>;
}
