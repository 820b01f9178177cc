/** X.509 v3 extension encoding (RFC 5280 §4.2). */
import { bitStringRaw, bool, explicit, implicitConstructed, implicitPrimitive, int, octets, oid, seq, utf8 } from './asn1-build.js';
import { digest } from './algorithms.js';
import { PkiError } from './errors.js';
import { ipToBytes } from './ip.js';
import { OID } from './oids.js';
import { keyIdentifierFromSpki } from './spki.js';

export type KeyUsageName =
  'digitalSignature' | 'nonRepudiation' | 'keyEncipherment' | 'dataEncipherment' | 'keyAgreement' | 'keyCertSign' | 'cRLSign' | 'encipherOnly' | 'decipherOnly';

const KEY_USAGE_BITS: Readonly<Record<KeyUsageName, number>> = {
  digitalSignature: 0,
  nonRepudiation: 1,
  keyEncipherment: 2,
  dataEncipherment: 3,
  keyAgreement: 4,
  keyCertSign: 5,
  cRLSign: 6,
  encipherOnly: 7,
  decipherOnly: 8,
};

const EKU_OIDS = { clientAuth: OID.clientAuth, serverAuth: OID.serverAuth } as const;

export interface SubjectAltNames {
  dns?: string[];
  ip?: string[];
  upn?: string[];
}

export interface ExtensionsSpec {
  isCa?: boolean;
  pathLen?: number;
  keyUsage?: string[];
  extKeyUsage?: ('clientAuth' | 'serverAuth')[];
  subjectAltNames?: SubjectAltNames;
  /** Add a subjectKeyIdentifier computed from the certificate's own SPKI. */
  subjectKeyId?: boolean;
  /** Issuer SubjectPublicKeyInfo DER; the AKI keyIdentifier is computed from it. */
  authorityKeyIdFrom?: Buffer;
  /** Explicit AKI keyIdentifier (e.g. copied from the CA certificate's SKI); wins over authorityKeyIdFrom. */
  authorityKeyId?: Buffer;
}

/** Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING (the DER of `value`) } */
function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return critical ? seq(oid(id), bool(true), octets(value)) : seq(oid(id), octets(value));
}

/** KeyUsage BIT STRING content with trailing zero bits removed (DER named-bit rule). */
function keyUsageContent(names: string[]): Buffer {
  let bits = 0;
  for (const n of names) {
    const bit = (KEY_USAGE_BITS as Record<string, number | undefined>)[n];
    if (bit === undefined) throw new PkiError('invalid-input', `unknown keyUsage "${n}"`);
    bits |= 1 << bit;
  }
  if (bits === 0) throw new PkiError('invalid-input', 'keyUsage must name at least one usage');
  const highest = 31 - Math.clz32(bits);
  const nBytes = highest < 8 ? 1 : 2;
  const unused = nBytes * 8 - 1 - highest;
  const out = Buffer.alloc(1 + nBytes);
  out[0] = unused;
  for (let b = 0; b <= highest; b++) {
    if (bits & (1 << b)) out[1 + (b >> 3)] |= 0x80 >> (b & 7);
  }
  return out;
}

function generalNames(san: SubjectAltNames): Buffer[] {
  const names: Buffer[] = [];
  for (const upn of san.upn ?? []) {
    if (!upn) throw new PkiError('invalid-input', 'empty UPN in subjectAltNames');
    // otherName [0] { type-id, [0] EXPLICIT UTF8String }
    names.push(implicitConstructed(0, oid(OID.msUpn), explicit(0, utf8(upn))));
  }
  for (const dns of san.dns ?? []) {
    if (!/^(\*\.)?[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?$/.test(dns) || dns.length > 253) {
      throw new PkiError('invalid-input', `invalid DNS name "${dns}"`);
    }
    names.push(implicitPrimitive(2, Buffer.from(dns, 'ascii')));
  }
  for (const ip of san.ip ?? []) names.push(implicitPrimitive(7, ipToBytes(ip)));
  return names;
}

/**
 * Builds the Extensions SEQUENCE (without the [3] wrapper); undefined when there are none.
 * `subjectPublicKey` is the subject SPKI's subjectPublicKey value, for the subjectKeyIdentifier.
 */
export function buildExtensions(spec: ExtensionsSpec, subjectPublicKey: Buffer): Buffer | undefined {
  const exts: Buffer[] = [];
  if (spec.isCa !== undefined || spec.pathLen !== undefined) {
    const items: Buffer[] = [];
    if (spec.isCa) items.push(bool(true)); // cA DEFAULT FALSE is omitted in DER
    if (spec.pathLen !== undefined) {
      if (!spec.isCa) throw new PkiError('invalid-input', 'pathLen is only allowed on CA certificates');
      items.push(int(spec.pathLen));
    }
    exts.push(extension(OID.basicConstraints, true, seq(...items)));
  }
  if (spec.keyUsage && spec.keyUsage.length > 0) {
    exts.push(extension(OID.keyUsage, true, bitStringRaw(keyUsageContent(spec.keyUsage))));
  }
  if (spec.extKeyUsage && spec.extKeyUsage.length > 0) {
    const oids = spec.extKeyUsage.map((u) => {
      const o = (EKU_OIDS as Record<string, string | undefined>)[u];
      if (!o) throw new PkiError('invalid-input', `unknown extKeyUsage "${u}"`);
      return oid(o);
    });
    exts.push(extension(OID.extKeyUsage, false, seq(...oids)));
  }
  if (spec.subjectAltNames) {
    const names = generalNames(spec.subjectAltNames);
    if (names.length > 0) exts.push(extension(OID.subjectAltName, false, seq(...names)));
  }
  if (spec.subjectKeyId) {
    // RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey value
    exts.push(extension(OID.subjectKeyIdentifier, false, octets(digest('sha1', subjectPublicKey))));
  }
  const aki = spec.authorityKeyId ?? (spec.authorityKeyIdFrom ? keyIdentifierFromSpki(spec.authorityKeyIdFrom) : undefined);
  if (aki) {
    exts.push(extension(OID.authorityKeyIdentifier, false, seq(implicitPrimitive(0, aki))));
  }
  return exts.length > 0 ? seq(...exts) : undefined;
}
