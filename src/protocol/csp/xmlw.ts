// Tiny compact XML writer for the documents embedded in CSP values (VPNProfile, WLANProfile,
// EapHostConfig): no whitespace between elements, text escaped with the shared `esc`. Pure.
import { esc } from '../xml.js';

type Child = string | undefined | null | false;

/** `<name attrs>children…</name>`; children are already-serialised markup (falsy ones skipped). */
export function el(name: string, attrs: Record<string, string> | null, ...children: Child[]): string {
  let s = '<' + name;
  if (attrs) for (const [k, v] of Object.entries(attrs)) s += ' ' + k + '="' + esc(v) + '"';
  s += '>';
  for (const c of children) if (c) s += c;
  return s + '</' + name + '>';
}

/** `<name>text</name>` with the text escaped. */
export function tx(name: string, text: string | number | boolean, attrs?: Record<string, string>): string {
  return el(name, attrs ?? null, esc(String(text)));
}

/** `<name>text</name>` when the value is defined, '' otherwise. */
export function opt(name: string, value: string | number | boolean | undefined): string {
  return value === undefined ? '' : tx(name, value);
}
