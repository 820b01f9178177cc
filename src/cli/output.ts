// What admin commands print: the API's JSON with --json, else a plain aligned table.
import { io } from './io.js';

export type Row = Record<string, unknown>;

const cell = (v: unknown): string => {
  if (v === undefined || v === null) return '-';
  if (Array.isArray(v)) return v.map(cell).join(',');
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
};

/** Columns are [header, value of a row]; the last column is not padded. */
export function table<T>(rows: T[], columns: [string, (r: T) => unknown][]): string {
  if (rows.length === 0) return '(none)\n';
  const cells = [columns.map(([h]) => h), ...rows.map((r) => columns.map(([, f]) => cell(f(r))))];
  const widths = columns.map((_, i) => Math.max(...cells.map((c) => c[i].length)));
  return cells.map((c) => c.map((v, i) => (i === c.length - 1 ? v : v.padEnd(widths[i]))).join('  ')).join('\n') + '\n';
}

/** A record as `key: value` lines, nested objects indented. */
export function record(obj: Row, indent = ''): string {
  let out = '';
  for (const [k, v] of Object.entries(obj)) {
    if (v === undefined) continue;
    if (v && typeof v === 'object' && !Array.isArray(v)) out += `${indent}${k}:\n${record(v as Row, indent + '  ')}`;
    else out += `${indent}${k}: ${cell(v)}\n`;
  }
  return out;
}

export function print(json: boolean, value: unknown, text: () => string): void {
  io().stdout.write(json ? JSON.stringify(value, null, 2) + '\n' : text());
}
