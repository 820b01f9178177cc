// Safe XML reading and writing helpers shared by every codec. Pure functions, no I/O.
//
// Inbound XML is hostile until proven otherwise: any DOCTYPE (and so any entity
// declaration, internal or external) is refused before parsing, nesting depth is
// bounded, and the document must be well-formed — a truncated body is an error,
// never a partial result.
import { XMLParser, XMLValidator } from 'fast-xml-parser';

export type XmlErrorReason = 'empty' | 'doctype' | 'malformed' | 'too_deep' | 'too_large';

export class XmlError extends Error {
  constructor(public readonly reason: XmlErrorReason, message: string) {
    super(message);
  }
}

/** An element: attributes under '@name', text under '#text', children as arrays by local name. */
export interface XmlElement {
  [key: string]: XmlElement[] | string | undefined;
}

export interface ParseOptions {
  maxDepth?: number;
  maxBytes?: number;
  /** Keep whitespace of text nodes exactly (SyncML Data); SOAP trims. */
  preserveWhitespace?: boolean;
}

const parsers = new Map<string, XMLParser>();

function parserFor(opts: ParseOptions): XMLParser {
  const depth = opts.maxDepth ?? 32;
  const key = `${depth}:${opts.preserveWhitespace ? 1 : 0}`;
  let p = parsers.get(key);
  if (!p) {
    p = new XMLParser({
      ignoreAttributes: false,
      attributeNamePrefix: '@',
      textNodeName: '#text',
      removeNSPrefix: true,
      parseTagValue: false,
      parseAttributeValue: false,
      trimValues: !opts.preserveWhitespace,
      alwaysCreateTextNode: true,
      ignoreDeclaration: true,
      ignorePiTags: true,
      processEntities: true,
      htmlEntities: false,
      maxNestedTags: depth,
      isArray: (_name: string, _jpath: unknown, _leaf: boolean, isAttribute: boolean) => !isAttribute,
    });
    parsers.set(key, p);
  }
  return p;
}

const DOCTYPE_RE = /<!\s*(DOCTYPE|ENTITY)/i;

/** Nesting depth of a well-formed-looking document; a cheap scan that skips quoted attribute values. */
export function nestingDepth(xml: string, limit: number): number {
  let depth = 0;
  let max = 0;
  let i = xml.indexOf('<');
  while (i !== -1 && i < xml.length) {
    const next = xml.charCodeAt(i + 1);
    if (next === 0x21 /* ! */) {
      if (xml.startsWith('<!--', i)) {
        const end = xml.indexOf('-->', i + 4);
        i = end === -1 ? -1 : xml.indexOf('<', end + 3);
        continue;
      }
      if (xml.startsWith('<![CDATA[', i)) {
        const end = xml.indexOf(']]>', i + 9);
        i = end === -1 ? -1 : xml.indexOf('<', end + 3);
        continue;
      }
    }
    if (next === 0x3f /* ? */) {
      const end = xml.indexOf('?>', i + 2);
      i = end === -1 ? -1 : xml.indexOf('<', end + 2);
      continue;
    }
    // find the end of this tag, skipping quoted attribute values
    let j = i + 1;
    let quote = 0;
    for (; j < xml.length; j++) {
      const c = xml.charCodeAt(j);
      if (quote) {
        if (c === quote) quote = 0;
      } else if (c === 0x22 || c === 0x27) quote = c;
      else if (c === 0x3e /* > */) break;
    }
    if (j >= xml.length) break;
    if (next === 0x2f /* / */) depth--;
    else if (xml.charCodeAt(j - 1) !== 0x2f) {
      depth++;
      if (depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    }
    i = xml.indexOf('<', j + 1);
  }
  return max;
}

/** Parse untrusted XML into an element tree keyed by local names. Throws XmlError. */
export function parseXml(input: string | Buffer, opts: ParseOptions = {}): XmlElement {
  const maxBytes = opts.maxBytes ?? 1024 * 1024;
  const size = typeof input === 'string' ? Buffer.byteLength(input) : input.length;
  if (size > maxBytes) throw new XmlError('too_large', `XML body of ${size} bytes exceeds the ${maxBytes}-byte limit`);
  let xml = typeof input === 'string' ? input : input.toString('utf8');
  if (xml.charCodeAt(0) === 0xfeff) xml = xml.slice(1);
  if (!xml.trim()) throw new XmlError('empty', 'empty XML body');
  if (DOCTYPE_RE.test(xml)) throw new XmlError('doctype', 'DOCTYPE and entity declarations are not accepted');
  const maxDepth = opts.maxDepth ?? 32;
  if (nestingDepth(xml, maxDepth) > maxDepth) throw new XmlError('too_deep', `XML nesting deeper than ${maxDepth} levels`);
  const valid = XMLValidator.validate(xml, { allowBooleanAttributes: false });
  if (valid !== true) {
    const e = valid.err;
    throw new XmlError('malformed', `malformed XML at line ${e.line}, column ${e.col}: ${e.msg}`);
  }
  let doc: unknown;
  try {
    doc = parserFor(opts).parse(xml);
  } catch (err) {
    const msg = (err as Error).message ?? String(err);
    if (/nest/i.test(msg)) throw new XmlError('too_deep', `XML nesting deeper than ${maxDepth} levels`);
    throw new XmlError('malformed', `malformed XML: ${msg}`);
  }
  return doc as XmlElement;
}

// ---- navigation helpers -------------------------------------------------------------------

export function children(el: XmlElement | undefined, name: string): XmlElement[] {
  const v = el?.[name];
  return Array.isArray(v) ? v : [];
}

export function child(el: XmlElement | undefined, name: string): XmlElement | undefined {
  return children(el, name)[0];
}

/** Follow a path of local names, first match at each step. */
export function path(el: XmlElement | undefined, ...names: string[]): XmlElement | undefined {
  let cur = el;
  for (const n of names) {
    cur = child(cur, n);
    if (!cur) return undefined;
  }
  return cur;
}

export function text(el: XmlElement | undefined): string | undefined {
  if (!el) return undefined;
  const t = el['#text'];
  return typeof t === 'string' ? t : '';
}

/** Trimmed text of the first child with that local name. */
export function childText(el: XmlElement | undefined, name: string): string | undefined {
  const c = child(el, name);
  return c ? (text(c) ?? '').trim() : undefined;
}

export function attr(el: XmlElement | undefined, name: string): string | undefined {
  const v = el?.[`@${name}`];
  return typeof v === 'string' ? v : undefined;
}

export function isNil(el: XmlElement | undefined): boolean {
  return attr(el, 'nil') === 'true';
}

// ---- writing ---------------------------------------------------------------------------------

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** Escape text or an attribute value for XML output. */
export function esc(s: string): string {
  return /[&<>"']/.test(s) ? s.replace(/[&<>"']/g, (c) => ESC[c]) : s;
}
