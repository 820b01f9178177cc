// A YAML or JSON document named on the command line (- for standard input): YAML is a superset
// of JSON, so one parser reads both and reports the line of a syntax error. A file that cannot
// be read or parsed fails the command (exit 1), it is no command-line mistake.
import fs from 'node:fs';
import { parseDocument } from 'yaml';
import { io } from './io.js';

export function readDocument(file: string): unknown {
  let text: string;
  try {
    text = file === '-' ? io().stdin() : fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const at = e.linePos ? ` (line ${e.linePos[0].line}, column ${e.linePos[0].col})` : '';
    throw new Error(`${file}${at}: ${e.message.split('\n')[0]}`);
  }
  return doc.toJS({ maxAliasCount: 100 });
}
