/** Thin builders over node-forge's ASN.1 nodes, plus DER output as Buffer. */
import forge from 'node-forge';
import { fromForgeBytes, toForgeBytes } from './der.js';
import { PkiError } from './errors.js';

const { asn1 } = forge;
const U = asn1.Class.UNIVERSAL;
const CTX = asn1.Class.CONTEXT_SPECIFIC;
type Node = forge.asn1.Asn1;

export const seq = (items: Node[]): Node => asn1.create(U, asn1.Type.SEQUENCE, true, items);
export const set = (items: Node[]): Node => asn1.create(U, asn1.Type.SET, true, items);
export const oid = (dotted: string): Node => asn1.create(U, asn1.Type.OID, false, asn1.oidToDer(dotted).getBytes());
export const nullNode = (): Node => asn1.create(U, asn1.Type.NULL, false, '');
export const bool = (v: boolean): Node => asn1.create(U, asn1.Type.BOOLEAN, false, v ? '\xff' : '\x00');
export const octets = (b: Buffer): Node => asn1.create(U, asn1.Type.OCTETSTRING, false, toForgeBytes(b));
export const utf8 = (s: string): Node => asn1.create(U, asn1.Type.UTF8, false, toForgeBytes(Buffer.from(s, 'utf8')));
/** PrintableString holding arbitrary latin1 bytes (used to mimic Windows CSRs). */
export const printable = (s: string): Node =>
  asn1.create(U, asn1.Type.PRINTABLESTRING, false, toForgeBytes(Buffer.from(s, 'latin1')));

/** BIT STRING with zero unused bits. */
export const bitString = (b: Buffer): Node =>
  asn1.create(U, asn1.Type.BITSTRING, false, '\x00' + toForgeBytes(b));

/** BIT STRING from its full content octets (first octet = number of unused bits). */
export const bitStringRaw = (content: Buffer): Node => asn1.create(U, asn1.Type.BITSTRING, false, toForgeBytes(content));

/** INTEGER from a small non-negative number. */
export const int = (n: number): Node => {
  if (!Number.isSafeInteger(n) || n < 0) throw new PkiError('invalid-input', `bad INTEGER value ${n}`);
  let hex = n.toString(16);
  if (hex.length % 2) hex = '0' + hex;
  return uintFromBytes(Buffer.from(hex, 'hex'));
};

/** INTEGER from an unsigned big-endian magnitude: strips leading zeros, adds one if the top bit is set. */
export function uintFromBytes(magnitude: Buffer): Node {
  let i = 0;
  while (i < magnitude.length - 1 && magnitude[i] === 0) i++;
  let body = magnitude.subarray(i);
  if (body.length === 0) body = Buffer.from([0]);
  if (body[0] & 0x80) body = Buffer.concat([Buffer.from([0]), body]);
  return asn1.create(U, asn1.Type.INTEGER, false, toForgeBytes(body));
}

/** [n] EXPLICIT wrapper. */
export const explicit = (n: number, inner: Node): Node => asn1.create(CTX, n, true, [inner]);
/** [n] IMPLICIT constructed (replaces a SEQUENCE/SET tag). */
export const implicitConstructed = (n: number, items: Node[]): Node => asn1.create(CTX, n, true, items);
/** [n] IMPLICIT primitive. */
export const implicitPrimitive = (n: number, content: Buffer): Node => asn1.create(CTX, n, false, toForgeBytes(content));

export const algorithmIdentifier = (dotted: string, nullParams: boolean): Node =>
  seq(nullParams ? [oid(dotted), nullNode()] : [oid(dotted)]);

/** Time per RFC 5280: UTCTime through 2049, GeneralizedTime from 2050. Sub-second part dropped. */
export function time(d: Date): Node {
  const year = d.getUTCFullYear();
  if (year >= 1950 && year < 2050) return asn1.create(U, asn1.Type.UTCTIME, false, asn1.dateToUtcTime(d));
  return asn1.create(U, asn1.Type.GENERALIZEDTIME, false, asn1.dateToGeneralizedTime(d));
}

/**
 * Embeds existing DER (SPKI, Name, certificate) as a forge node. Guards that
 * forge would write back exactly the same bytes, so copies are byte-exact.
 */
export function embedDer(der: Buffer, what: string): Node {
  let node: Node;
  try {
    const fromDer = asn1.fromDer as unknown as (
      bytes: string,
      options: { strict: boolean; parseAllBytes: boolean; decodeBitStrings: boolean },
    ) => Node;
    node = fromDer(toForgeBytes(der), { strict: true, parseAllBytes: true, decodeBitStrings: false });
  } catch (e) {
    throw new PkiError('malformed', `${what}: ${(e as Error).message}`, { cause: e });
  }
  if (!toDer(node).equals(der)) throw new PkiError('malformed', `${what}: not in canonical DER`);
  return node;
}

export function toDer(node: Node): Buffer {
  return fromForgeBytes(asn1.toDer(node).getBytes());
}

/** Sorts DER encodings for a DER SET OF (X.690 11.6). */
export function sortSetOf(items: Node[]): Node[] {
  return items
    .map((n) => ({ n, d: toDer(n) }))
    .sort((a, b) => Buffer.compare(a.d, b.d))
    .map((x) => x.n);
}

/** One DER TLV from a tag byte and content octets (definite, minimal length). */
export function tlv(tag: number, content: Buffer): Buffer {
  const n = content.length;
  let header: Buffer;
  if (n < 0x80) {
    header = Buffer.from([tag, n]);
  } else {
    const len: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) len.unshift(v & 0xff);
    header = Buffer.from([tag, 0x80 | len.length, ...len]);
  }
  return Buffer.concat([header, content]);
}

/** BER constructed OCTET STRING (0x24) made of primitive chunks of `chunkSize` bytes. */
export function constructedOctets(content: Buffer, chunkSize: number): Node {
  const chunks: Node[] = [];
  for (let i = 0; i < content.length; i += chunkSize) chunks.push(octets(content.subarray(i, i + chunkSize)));
  return asn1.create(U, asn1.Type.OCTETSTRING, true, chunks);
}
