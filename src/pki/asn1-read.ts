/**
 * Reading DER (and, for CMS, BER) with byte offsets.
 *
 * node-forge's `asn1.fromDer` decodes the values but does not keep byte
 * offsets, and signatures must be checked over the exact input bytes (never a
 * re-encoding). So we first walk the TLV headers ourselves (strictly: no
 * high tag numbers, no truncation, no trailing bytes, minimal lengths in DER
 * mode), then let forge decode the same bytes and zip both trees together.
 * Each `DerNode` carries the forge node plus `raw`, the exact TLV bytes.
 */
import forge from 'node-forge';
import { toForgeBytes } from './der.js';
import { PkiError } from './errors.js';

const { asn1 } = forge;

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  T61_STRING: 0x14,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  UNIVERSAL_STRING: 0x1c,
  BMP_STRING: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
  CONSTRUCTED_OCTET_STRING: 0x24,
} as const;

/** Context-specific tag byte: [n] IMPLICIT/EXPLICIT, constructed or primitive. */
export function ctxTag(n: number, constructed: boolean): number {
  return 0x80 | (constructed ? 0x20 : 0) | n;
}

export interface DerNode {
  /** Identifier octet (class | constructed | tag number). */
  tag: number;
  constructed: boolean;
  /** The exact bytes of the whole TLV as found in the input. */
  raw: Buffer;
  /** Content octets (for indefinite lengths: without the end-of-contents marker). */
  content: Buffer;
  children: DerNode[];
  asn1: forge.asn1.Asn1;
}

interface Span {
  tag: number;
  start: number;
  contentStart: number;
  contentEnd: number;
  end: number;
  children?: Span[];
}

const MAX_DEPTH = 32;

function malformed(what: string, detail: string): PkiError {
  return new PkiError('malformed', `${what}: ${detail}`);
}

function walk(buf: Buffer, offset: number, limit: number, depth: number, ber: boolean, what: string): Span {
  if (depth > MAX_DEPTH) throw malformed(what, 'ASN.1 nesting too deep');
  if (limit - offset < 2) throw malformed(what, `truncated at offset ${offset}`);
  const tag = buf[offset];
  if ((tag & 0x1f) === 0x1f) throw malformed(what, `high tag number at offset ${offset}`);
  const constructed = (tag & 0x20) !== 0;
  let pos = offset + 1;
  const lb = buf[pos++];
  let length: number | undefined;
  if (lb < 0x80) {
    length = lb;
  } else if (lb === 0x80) {
    if (!ber) throw malformed(what, `indefinite length at offset ${offset}`);
    if (!constructed) throw malformed(what, `primitive with indefinite length at offset ${offset}`);
  } else {
    const n = lb & 0x7f;
    if (n > 4) throw malformed(what, `length field too long at offset ${offset}`);
    if (limit - pos < n) throw malformed(what, `truncated length at offset ${offset}`);
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + buf[pos + i];
    if (!ber && (buf[pos] === 0 || length < 0x80)) {
      throw malformed(what, `non-minimal length at offset ${offset}`);
    }
    pos += n;
  }
  const contentStart = pos;
  if (length !== undefined) {
    const contentEnd = contentStart + length;
    if (contentEnd > limit) throw malformed(what, `truncated value at offset ${offset}`);
    if (tag === TAG.BMP_STRING && length % 2 !== 0) throw malformed(what, 'odd-length BMPString');
    if (!constructed) return { tag, start: offset, contentStart, contentEnd, end: contentEnd };
    const children: Span[] = [];
    let p = contentStart;
    while (p < contentEnd) {
      const child = walk(buf, p, contentEnd, depth + 1, ber, what);
      children.push(child);
      p = child.end;
    }
    return { tag, start: offset, contentStart, contentEnd, end: contentEnd, children };
  }
  // indefinite length: children until end-of-contents (00 00)
  const children: Span[] = [];
  let p = contentStart;
  for (;;) {
    if (limit - p < 2) throw malformed(what, 'missing end-of-contents');
    if (buf[p] === 0 && buf[p + 1] === 0) break;
    const child = walk(buf, p, limit, depth + 1, ber, what);
    children.push(child);
    p = child.end;
  }
  return { tag, start: offset, contentStart, contentEnd: p, end: p + 2, children };
}

function zip(buf: Buffer, span: Span, node: forge.asn1.Asn1, what: string): DerNode {
  const kids = span.children ?? [];
  const value = node.value;
  if (span.children) {
    if (!Array.isArray(value) || value.length !== kids.length) throw malformed(what, 'decoder disagreement');
  } else if (Array.isArray(value)) {
    throw malformed(what, 'decoder disagreement');
  }
  return {
    tag: span.tag,
    constructed: span.children !== undefined,
    raw: buf.subarray(span.start, span.end),
    content: buf.subarray(span.contentStart, span.contentEnd),
    children: kids.map((k, i) => zip(buf, k, (value as forge.asn1.Asn1[])[i], what)),
    asn1: node,
  };
}

/**
 * Parses one complete ASN.1 element occupying all of `buf`.
 * `ber` allows indefinite lengths and non-minimal length octets (CMS from some clients).
 */
export function parseDer(buf: Buffer, opts: { what: string; ber?: boolean }): DerNode {
  const { what } = opts;
  if (buf.length === 0) throw malformed(what, 'empty input');
  const span = walk(buf, 0, buf.length, 0, opts.ber === true, what);
  if (span.end !== buf.length) throw malformed(what, `${buf.length - span.end} trailing bytes`);
  let node: forge.asn1.Asn1;
  try {
    const fromDer = asn1.fromDer as unknown as (
      bytes: string,
      options: { strict: boolean; parseAllBytes: boolean; decodeBitStrings: boolean },
    ) => forge.asn1.Asn1;
    node = fromDer(toForgeBytes(buf), { strict: true, parseAllBytes: true, decodeBitStrings: false });
  } catch (e) {
    throw new PkiError('malformed', `${what}: ${(e as Error).message}`, { cause: e });
  }
  return zip(buf, span, node, what);
}

// ---------------------------------------------------------------------------
// Value readers. All throw PkiError('malformed') naming `what`.

export function expectTag(node: DerNode | undefined, tag: number, what: string): DerNode {
  if (!node) throw malformed(what, 'missing element');
  if (node.tag !== tag) {
    throw malformed(what, `expected tag 0x${tag.toString(16)}, got 0x${node.tag.toString(16)}`);
  }
  return node;
}

export function expectChildren(node: DerNode, min: number, max: number, what: string): DerNode[] {
  const n = node.children.length;
  if (n < min || n > max) throw malformed(what, `expected ${min}..${max} elements, got ${n}`);
  return node.children;
}

export function readOid(node: DerNode | undefined, what: string): string {
  const n = expectTag(node, TAG.OID, what);
  const c = n.content;
  if (c.length === 0 || (c[c.length - 1] & 0x80) !== 0) throw malformed(what, 'invalid OBJECT IDENTIFIER');
  return asn1.derToOid(toForgeBytes(c));
}

/** INTEGER content octets (two's complement, as encoded). */
export function readIntegerBytes(node: DerNode | undefined, what: string): Buffer {
  const n = expectTag(node, TAG.INTEGER, what);
  if (n.content.length === 0) throw malformed(what, 'empty INTEGER');
  return n.content;
}

/** Small non-negative INTEGER (versions). */
export function readSmallInt(node: DerNode | undefined, what: string): number {
  const c = readIntegerBytes(node, what);
  if (c.length > 4 || (c[0] & 0x80) !== 0) throw malformed(what, 'INTEGER out of range');
  return c.readUIntBE(0, c.length);
}

/** BIT STRING with zero unused bits; returns the bytes after the unused-bits octet. */
export function readBitStringBytes(node: DerNode | undefined, what: string): Buffer {
  const n = expectTag(node, TAG.BIT_STRING, what);
  if (n.content.length === 0 || n.content[0] !== 0) throw malformed(what, 'BIT STRING with unused bits');
  return n.content.subarray(1);
}

/** OCTET STRING, primitive or (BER) constructed from chunks. */
export function readOctetString(node: DerNode | undefined, what: string): Buffer {
  if (!node) throw malformed(what, 'missing element');
  if (node.tag === TAG.OCTET_STRING) return node.content;
  if (node.tag === TAG.CONSTRUCTED_OCTET_STRING) {
    return Buffer.concat(node.children.map((c) => readOctetString(c, what)));
  }
  throw malformed(what, `expected OCTET STRING, got tag 0x${node.tag.toString(16)}`);
}

export interface AlgorithmIdentifier {
  oid: string;
  params?: DerNode;
}

export function readAlgorithmIdentifier(node: DerNode | undefined, what: string): AlgorithmIdentifier {
  const seq = expectTag(node, TAG.SEQUENCE, what);
  const [oidNode, params] = expectChildren(seq, 1, 2, what);
  return { oid: readOid(oidNode, what), params };
}

/** Decodes a DirectoryString-like value leniently (Windows puts '!' and NUL in PrintableString). */
export function readDirectoryString(node: DerNode, what: string): string {
  const c = node.content;
  switch (node.tag) {
    case TAG.UTF8_STRING:
      return c.toString('utf8');
    case TAG.PRINTABLE_STRING:
    case TAG.IA5_STRING:
    case TAG.T61_STRING:
      return c.toString('latin1');
    case TAG.BMP_STRING:
      return Buffer.from(c).swap16().toString('utf16le');
    case TAG.UNIVERSAL_STRING: {
      if (c.length % 4 !== 0) throw malformed(what, 'odd-length UniversalString');
      let s = '';
      for (let i = 0; i < c.length; i += 4) {
        const cp = c.readUInt32BE(i);
        if (cp > 0x10ffff) throw malformed(what, 'invalid UniversalString code point');
        s += String.fromCodePoint(cp);
      }
      return s;
    }
    default:
      throw malformed(what, `unsupported string tag 0x${node.tag.toString(16)}`);
  }
}
