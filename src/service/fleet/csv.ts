// CSV (RFC 4180) for spreadsheet users: quoted where needed, and safe to open — a cell that a
// spreadsheet would run as a formula (= + - @, or a tab or carriage return before one) is
// prefixed with a quote, so a device that names itself "=HYPERLINK(…)" stays text.

const FORMULA = /^[=+\-@\t\r]/;

export function csvCell(v: string | number | boolean | undefined | null): string {
  if (v === undefined || v === null) return '';
  let s = String(v);
  if (typeof v === 'string' && FORMULA.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replaceAll('"', '""')}"` : s;
}

export const csvLine = (cells: (string | number | boolean | undefined | null)[]) => `${cells.map(csvCell).join(',')}\r\n`;
