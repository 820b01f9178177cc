/**
 * DER encoding over Buffers. Every builder returns the complete encoding of one element, so
 * elements compose by concatenation (pre-encoded constant parts included), and the bytes that
 * are signed are exactly the bytes that are embedded. Definite, minimal lengths; low tag numbers.
 */
import { parseDer } from './asn1-read.js';
import { PkiError } from './errors.js';

/** One TLV: `tag` (identifier octet) and the concatenation of `contents`, with a minimal definite length. */
export function tlv(tag: number, ...contents: Buffer[]): Buffer {
  let n = 0;
  for (const c of contents) n += c.length;
  const lengthOctets = n < 0x80 ? 0 : n < 0x100 ? 1 : n < 0x10000 ? 2 : n < 0x1000000 ? 3 : 4;
  const out = Buffer.allocUnsafe(2 + lengthOctets + n);
  out[0] = tag;
  if (lengthOctets === 0) {
    out[1] = n;
  } else {
    out[1] = 0x80 | lengthOctets;
    for (let i = lengthOctets, v = n; i > 0; i--, v = Math.floor(v / 256)) out[1 + i] = v & 0xff;
  }
  let p = 2 + lengthOctets;
  for (const c of contents) p += c.copy(out, p);
  return out;
}

export const seq = (...items: Buffer[]): Buffer => tlv(0x30, ...items);

/** DER SET OF: the elements sorted by their encodings (X.690 11.6). */
export const setOf = (...items: Buffer[]): Buffer => tlv(0x31, ...sortDer(items));

/** Sorts DER encodings into SET OF order. */
export function sortDer(items: Buffer[]): Buffer[] {
  return [...items].sort(Buffer.compare);
}

const oidCache = new Map<string, Buffer>();

/** OBJECT IDENTIFIER from its dotted form (encodings cached: the set of OIDs we write is small and fixed). */
export function oid(dotted: string): Buffer {
  let der = oidCache.get(dotted);
  if (!der) {
    der = tlv(0x06, oidContent(dotted));
    oidCache.set(dotted, der);
  }
  return der;
}

function oidContent(dotted: string): Buffer {
  const arcs = dotted.split('.').map((a) => (/^(0|[1-9][0-9]*)$/.test(a) ? Number(a) : NaN));
  if (arcs.length < 2 || arcs.some((a) => !Number.isSafeInteger(a)) || arcs[0] > 2 || (arcs[0] < 2 && arcs[1] > 39)) {
    throw new PkiError('invalid-input', `bad OBJECT IDENTIFIER ${dotted}`);
  }
  const out: number[] = [];
  for (const v of [arcs[0] * 40 + arcs[1], ...arcs.slice(2)]) {
    const septets = [v % 128];
    for (let r = Math.floor(v / 128); r > 0; r = Math.floor(r / 128)) septets.unshift(0x80 | (r % 128));
    out.push(...septets);
  }
  return Buffer.from(out);
}

const NULL_DER = Buffer.from([0x05, 0x00]);
const TRUE_DER = Buffer.from([0x01, 0x01, 0xff]);
const FALSE_DER = Buffer.from([0x01, 0x01, 0x00]);

export const bool = (v: boolean): Buffer => (v ? TRUE_DER : FALSE_DER);
export const octets = (b: Buffer): Buffer => tlv(0x04, b);
export const utf8 = (s: string): Buffer => tlv(0x0c, Buffer.from(s, 'utf8'));
/** PrintableString holding arbitrary latin1 bytes (used to mimic Windows CSRs). */
export const printable = (s: string): Buffer => tlv(0x13, Buffer.from(s, 'latin1'));

const ZERO = Buffer.from([0]);

/** BIT STRING with zero unused bits. */
export const bitString = (b: Buffer): Buffer => tlv(0x03, ZERO, b);

/** BIT STRING from its full content octets (first octet = number of unused bits). */
export const bitStringRaw = (content: Buffer): Buffer => tlv(0x03, content);

/** INTEGER from a small non-negative number. */
export function int(n: number): Buffer {
  if (!Number.isSafeInteger(n) || n < 0) throw new PkiError('invalid-input', `bad INTEGER value ${n}`);
  let hex = n.toString(16);
  if (hex.length % 2) hex = '0' + hex;
  return uintFromBytes(Buffer.from(hex, 'hex'));
}

/** INTEGER from an unsigned big-endian magnitude: strips leading zeros, adds one if the top bit is set. */
export function uintFromBytes(magnitude: Buffer): Buffer {
  let i = 0;
  while (i < magnitude.length - 1 && magnitude[i] === 0) i++;
  const body = magnitude.length === 0 ? ZERO : magnitude.subarray(i);
  return body[0] & 0x80 ? tlv(0x02, ZERO, body) : tlv(0x02, body);
}

/** [n] EXPLICIT wrapper around `inner`. */
export const explicit = (n: number, ...inner: Buffer[]): Buffer => tlv(0xa0 | n, ...inner);
/** [n] IMPLICIT constructed: replaces the tag of a SEQUENCE / SET OF whose elements are `items`. */
export const implicitConstructed = (n: number, ...items: Buffer[]): Buffer => tlv(0xa0 | n, ...items);
/** [n] IMPLICIT primitive. */
export const implicitPrimitive = (n: number, content: Buffer): Buffer => tlv(0x80 | n, content);

export const algorithmIdentifier = (dotted: string, nullParams: boolean): Buffer => (nullParams ? seq(oid(dotted), NULL_DER) : seq(oid(dotted)));

const two = (n: number): string => (n < 10 ? '0' : '') + n;

/** Time per RFC 5280: UTCTime through 2049, GeneralizedTime from 2050. Whole seconds (sub-second part dropped). */
export function time(d: Date): Buffer {
  const y = d.getUTCFullYear();
  const rest = two(d.getUTCMonth() + 1) + two(d.getUTCDate()) + two(d.getUTCHours()) + two(d.getUTCMinutes()) + two(d.getUTCSeconds()) + 'Z';
  return y >= 1950 && y < 2050 ? tlv(0x17, Buffer.from(two(y % 100) + rest, 'latin1')) : tlv(0x18, Buffer.from(String(y) + rest, 'latin1'));
}

/** Existing DER (SPKI, Name, certificate) to embed as it is: PkiError('malformed') unless it is one element in strict DER. */
export function embedDer(der: Buffer, what: string): Buffer {
  parseDer(der, { what });
  return der;
}

/** BER constructed OCTET STRING (0x24) made of primitive chunks of `chunkSize` bytes. */
export function constructedOctets(content: Buffer, chunkSize: number): Buffer {
  const chunks: Buffer[] = [];
  for (let i = 0; i < content.length; i += chunkSize) chunks.push(octets(content.subarray(i, i + chunkSize)));
  return tlv(0x24, ...chunks);
}
