/**
 * Reading DER (and, for CMS, BER) with byte offsets: signatures must be checked over the exact
 * input bytes (never a re-encoding), so every node keeps `raw`, its exact TLV bytes. The walk is
 * strict: no high tag numbers, no truncation, no trailing bytes, minimal definite lengths in DER
 * mode (BER, for the CMS envelope, adds indefinite and non-minimal lengths). Values are decoded
 * on demand, from the content octets, by the readers below.
 */
import { PkiError } from './errors.js';

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
}

const MAX_DEPTH = 32;

function malformed(what: string, detail: string): PkiError {
  return new PkiError('malformed', `${what}: ${detail}`);
}

function node(buf: Buffer, tag: number, start: number, contentStart: number, contentEnd: number, end: number, children?: DerNode[]): DerNode {
  return {
    tag,
    constructed: children !== undefined,
    raw: buf.subarray(start, end),
    content: buf.subarray(contentStart, contentEnd),
    children: children ?? [],
  };
}

function walk(buf: Buffer, offset: number, limit: number, depth: number, ber: boolean, what: string): DerNode {
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
    if (!constructed) return node(buf, tag, offset, contentStart, contentEnd, contentEnd);
    const children: DerNode[] = [];
    let p = contentStart;
    while (p < contentEnd) {
      const child = walk(buf, p, contentEnd, depth + 1, ber, what);
      children.push(child);
      p += child.raw.length;
    }
    return node(buf, tag, offset, contentStart, contentEnd, contentEnd, children);
  }
  // indefinite length: children until end-of-contents (00 00)
  const children: DerNode[] = [];
  let p = contentStart;
  for (;;) {
    if (limit - p < 2) throw malformed(what, 'missing end-of-contents');
    if (buf[p] === 0 && buf[p + 1] === 0) break;
    const child = walk(buf, p, limit, depth + 1, ber, what);
    children.push(child);
    p += child.raw.length;
  }
  return node(buf, tag, offset, contentStart, p, p + 2, children);
}

/**
 * Parses one complete ASN.1 element occupying all of `buf`.
 * `ber` allows indefinite lengths and non-minimal length octets (CMS from some clients).
 */
export function parseDer(buf: Buffer, opts: { what: string; ber?: boolean }): DerNode {
  const { what } = opts;
  if (buf.length === 0) throw malformed(what, 'empty input');
  const root = walk(buf, 0, buf.length, 0, opts.ber === true, what);
  if (root.raw.length !== buf.length) throw malformed(what, `${buf.length - root.raw.length} trailing bytes`);
  return root;
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

/** OBJECT IDENTIFIER in dotted form; subidentifiers must be minimal (no leading 0x80) and fit in 53 bits. */
export function readOid(node: DerNode | undefined, what: string): string {
  const c = expectTag(node, TAG.OID, what).content;
  if (c.length === 0 || (c[c.length - 1] & 0x80) !== 0) throw malformed(what, 'invalid OBJECT IDENTIFIER');
  const arcs: number[] = [];
  let v = 0;
  for (let i = 0; i < c.length; i++) {
    if (v === 0 && c[i] === 0x80) throw malformed(what, 'non-minimal OBJECT IDENTIFIER subidentifier');
    v = v * 128 + (c[i] & 0x7f);
    if (v > Number.MAX_SAFE_INTEGER) throw malformed(what, 'OBJECT IDENTIFIER subidentifier too large');
    if ((c[i] & 0x80) === 0) {
      if (arcs.length === 0) arcs.push(v < 40 ? 0 : v < 80 ? 1 : 2, v < 80 ? v % 40 : v - 80);
      else arcs.push(v);
      v = 0;
    }
  }
  return arcs.join('.');
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
