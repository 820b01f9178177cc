// Writing XML: the one escaper every builder uses (SOAP, provisioning documents, MDE2, SyncML,
// the XML embedded in CSP values) and a tiny element writer. Pure functions, no I/O.
//
// XML 1.0 cannot carry every string: Char is #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] |
// [#x10000-#x10FFFF], so C0 controls other than tab/LF/CR, U+FFFE/U+FFFF and unpaired surrogates
// have no representation, not even as a character reference. A document holding one is rejected
// as a whole by the reader, so the strict escapers throw an XmlCharError instead of writing it.
// Text that we only echo back (device data quoted in a SOAP fault, secrets looked up in a trace)
// takes the lenient escapers, which write U+FFFD instead: a reply or a trace must not fail
// because of what a client sent.
//
// CR is written as &#13;: a literal CR would reach the reader as LF (XML end-of-line handling).

/** A character XML 1.0 cannot carry, found while writing a value that must be exact. Its name stays 'RangeError', as before the writers were merged. */
export class XmlCharError extends RangeError {
  public readonly codePoint: number;
  public readonly index: number;
  constructor(
    /** The code unit (a lone surrogate) or code point. */
    codePoint: number,
    /** UTF-16 offset in the value. */
    index: number,
  ) {
    const u = 'U+' + codePoint.toString(16).toUpperCase().padStart(4, '0');
    super(codePoint >= 0xd800 && codePoint <= 0xdfff ? `unpaired surrogate ${u} cannot be carried in XML 1.0 text` : `${u} cannot be carried in XML 1.0 text`);
    this.codePoint = codePoint;
    this.index = index;
  }
}

// What needs work: markup characters, CR, and the characters XML 1.0 forbids. With the u flag a
// well-formed surrogate pair is one code point, so \p{Cs} matches only unpaired surrogates.
// eslint-disable-next-line no-control-regex
const SPECIAL = /[&<>"'\r\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|\p{Cs}/u;
// eslint-disable-next-line no-control-regex
const SPECIAL_G = /[&<>"'\r\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|\p{Cs}/gu;
// Element content only: quotes need no escaping there, and SyncML is written without it (as
// Windows writes its own messages, and MaxMsgSize accounting counts those bytes).
// eslint-disable-next-line no-control-regex
const TEXT_SPECIAL = /[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|\p{Cs}/u;
// eslint-disable-next-line no-control-regex
const TEXT_SPECIAL_G = /[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|\p{Cs}/gu;

// eslint-disable-next-line no-control-regex
const NOT_XML = /[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|\p{Cs}/u;

/** Whether XML 1.0 can carry every character of `s`: what callers check on input, before a writer would throw. */
export function isXmlText(s: string): boolean {
  return !NOT_XML.test(s);
}

const ENTITY: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\r': '&#13;' };

function strict(c: string, offset: number): string {
  const e = ENTITY[c];
  if (e === undefined) throw new XmlCharError(c.charCodeAt(0), offset);
  return e;
}

function lenient(c: string): string {
  return ENTITY[c] ?? '\ufffd';
}

/** Escape a text or attribute value (& < > " ' and CR); throws XmlCharError on a character XML 1.0 cannot carry. */
export function esc(s: string): string {
  return SPECIAL.test(s) ? s.replace(SPECIAL_G, strict) : s;
}

/** Escape element content the way SyncML is written (& < > and CR, quotes as they are); throws XmlCharError like esc. */
export function escText(s: string): string {
  return TEXT_SPECIAL.test(s) ? s.replace(TEXT_SPECIAL_G, strict) : s;
}

/** esc for text we only echo: a character XML 1.0 cannot carry becomes U+FFFD instead of an error. */
export function escLenient(s: string): string {
  return SPECIAL.test(s) ? s.replace(SPECIAL_G, lenient) : s;
}

/** escText for text we only echo: a character XML 1.0 cannot carry becomes U+FFFD instead of an error. */
export function escTextLenient(s: string): string {
  return TEXT_SPECIAL.test(s) ? s.replace(TEXT_SPECIAL_G, lenient) : s;
}

// ---- a compact element writer: no whitespace between elements ---------------------------------

type Child = string | undefined | null | false;

function open(name: string, attrs: Record<string, string> | null | undefined): string {
  let s = '<' + name;
  if (attrs) for (const [k, v] of Object.entries(attrs)) s += ' ' + k + '="' + esc(v) + '"';
  return s;
}

/** `<name attrs>children…</name>`; children are already-serialised markup (falsy ones skipped). Attribute values are escaped. */
export function el(name: string, attrs: Record<string, string> | null, ...children: Child[]): string {
  let s = open(name, attrs) + '>';
  for (const c of children) if (c) s += c;
  return s + '</' + name + '>';
}

/** `<name attrs/>`. */
export function empty(name: string, attrs?: Record<string, string>): string {
  return open(name, attrs) + '/>';
}

/** `<name>text</name>` with the text escaped. */
export function tx(name: string, text: string | number | boolean, attrs?: Record<string, string>): string {
  return el(name, attrs ?? null, esc(String(text)));
}

/** `<name>text</name>` when the value is defined, '' otherwise. */
export function opt(name: string, value: string | number | boolean | undefined): string {
  return value === undefined ? '' : tx(name, value);
}
