/**
 * Device (MDM client) certificates from a DER template: everything that is the same for every
 * certificate a CA issues (version, signature algorithm, issuer, basicConstraints, keyUsage,
 * extKeyUsage, authorityKeyIdentifier) is encoded once with the general builders; per
 * certificate only the serial, validity, subject CN, SPKI and subjectKeyIdentifier are
 * encoded, by concatenation, and the TBSCertificate is signed natively. The bytes are exactly
 * those buildCertificate produces for the same spec (test/pki/client-certificate.test.ts).
 */
import type * as crypto from 'node:crypto';
import { algorithmIdentifier, explicit, int, oid, tlv, toDer } from './asn1-build.js';
import { type KeyType, digest, signNative, signatureAlgorithmFor } from './algorithms.js';
import { parseDer } from './asn1-read.js';
import type { BuiltCertificate } from './certificate.js';
import { derToPem, sha1Thumbprint } from './der.js';
import { PkiError } from './errors.js';
import { buildExtensions } from './extensions.js';
import { OID } from './oids.js';

/** Key usages of device certificates, by subject key type. */
export const CLIENT_KEY_USAGE: Readonly<Record<KeyType, string[]>> = {
  rsa: ['digitalSignature', 'keyEncipherment'],
  ec: ['digitalSignature'],
};

export interface ClientCertificateTemplate {
  readonly signerKey: crypto.KeyObject;
  readonly version: Buffer;
  readonly signatureAlgorithm: Buffer;
  readonly issuer: Buffer;
  /** Content octets of the extensions before subjectKeyIdentifier, by subject key type. */
  readonly leadingExtensions: Readonly<Record<KeyType, Buffer>>;
  /** The authorityKeyIdentifier extension. */
  readonly authorityKeyIdExtension: Buffer;
  readonly commonNameOid: Buffer;
  readonly subjectKeyIdOid: Buffer;
}

/** Content octets of the DER element `der` (a SEQUENCE built by us). */
const contentOf = (der: Buffer): Buffer => parseDer(der, { what: 'template' }).content;

export function clientCertificateTemplate(issuerNameDer: Buffer, authorityKeyId: Buffer, signerKey: crypto.KeyObject): ClientCertificateTemplate {
  if (signerKey.type !== 'private') throw new PkiError('invalid-input', 'signerKey must be a private key');
  const sigAlg = signatureAlgorithmFor(signerKey, 'sha256');
  const leading = (keyType: KeyType) =>
    contentOf(toDer(buildExtensions({ isCa: false, keyUsage: CLIENT_KEY_USAGE[keyType], extKeyUsage: ['clientAuth'] }, Buffer.alloc(0))!));
  return {
    signerKey,
    version: toDer(explicit(0, int(2))),
    signatureAlgorithm: toDer(algorithmIdentifier(sigAlg.oid, sigAlg.nullParams)),
    issuer: Buffer.from(issuerNameDer),
    leadingExtensions: { rsa: leading('rsa'), ec: leading('ec') },
    authorityKeyIdExtension: contentOf(toDer(buildExtensions({ authorityKeyId }, Buffer.alloc(0))!)),
    commonNameOid: toDer(oid(OID.commonName)),
    subjectKeyIdOid: toDer(oid(OID.subjectKeyIdentifier)),
  };
}

export interface ClientCertificateFields {
  /** Unsigned big-endian serial (leading zero octets are dropped). */
  serial: Buffer;
  /** Whole seconds, years 1950..9999, notBefore < notAfter (checked by the caller). */
  notBefore: Date;
  notAfter: Date;
  /** Non-empty, no NUL (checked by the caller). */
  subjectCn: string;
  /** A SubjectPublicKeyInfo already checked with readSpki. */
  publicKeySpkiDer: Buffer;
  keyType: KeyType;
  /** The SPKI's subjectPublicKey BIT STRING value (for the subjectKeyIdentifier). */
  subjectPublicKey: Buffer;
}

const two = (n: number) => (n < 10 ? '0' : '') + n;

/** UTCTime through 2049, GeneralizedTime from 2050 (RFC 5280), whole seconds. */
function time(d: Date): Buffer {
  const y = d.getUTCFullYear();
  const rest = two(d.getUTCMonth() + 1) + two(d.getUTCDate()) + two(d.getUTCHours()) + two(d.getUTCMinutes()) + two(d.getUTCSeconds()) + 'Z';
  return y >= 1950 && y < 2050 ? tlv(0x17, Buffer.from(String(y).slice(2) + rest, 'latin1')) : tlv(0x18, Buffer.from(String(y) + rest, 'latin1'));
}

function serialInteger(serial: Buffer): { der: Buffer; hex: string } {
  let i = 0;
  while (i < serial.length && serial[i] === 0) i++;
  const magnitude = serial.subarray(i);
  if (magnitude.length === 0) throw new PkiError('invalid-input', 'serial number must be positive');
  if (magnitude.length > 20) throw new PkiError('invalid-input', 'serial number longer than 20 octets');
  const body = magnitude[0] & 0x80 ? Buffer.concat([Buffer.from([0]), magnitude]) : magnitude;
  return { der: tlv(0x02, body), hex: magnitude.toString('hex').toUpperCase() };
}

/** The to-be-signed part of a client certificate. */
export interface UnsignedClientCertificate {
  tbs: Buffer;
  serialHex: string;
}

export function clientCertificateTbs(tpl: ClientCertificateTemplate, f: ClientCertificateFields): UnsignedClientCertificate {
  const serial = serialInteger(f.serial);
  const subject = tlv(0x30, tlv(0x31, tlv(0x30, Buffer.concat([tpl.commonNameOid, tlv(0x0c, Buffer.from(f.subjectCn, 'utf8'))]))));
  const ski = tlv(0x30, Buffer.concat([tpl.subjectKeyIdOid, tlv(0x04, tlv(0x04, digest('sha1', f.subjectPublicKey)))]));
  const extensions = tlv(0xa3, tlv(0x30, Buffer.concat([tpl.leadingExtensions[f.keyType], ski, tpl.authorityKeyIdExtension])));
  const tbs = tlv(
    0x30,
    Buffer.concat([
      tpl.version,
      serial.der,
      tpl.signatureAlgorithm,
      tpl.issuer,
      tlv(0x30, Buffer.concat([time(f.notBefore), time(f.notAfter)])),
      subject,
      f.publicKeySpkiDer,
      extensions,
    ]),
  );
  return { tbs, serialHex: serial.hex };
}

/** The certificate: tbs, our signature algorithm, and the signature over tbs (SHA-256 with the template's key). */
export function assembleClientCertificate(tpl: ClientCertificateTemplate, u: UnsignedClientCertificate, signature: Buffer): BuiltCertificate {
  const der = tlv(0x30, Buffer.concat([u.tbs, tpl.signatureAlgorithm, tlv(0x03, Buffer.concat([Buffer.from([0]), signature]))]));
  return { der, pem: derToPem(der, 'CERTIFICATE'), serialHex: u.serialHex, thumbprint: sha1Thumbprint(der) };
}

export function buildClientCertificate(tpl: ClientCertificateTemplate, f: ClientCertificateFields): BuiltCertificate {
  const u = clientCertificateTbs(tpl, f);
  return assembleClientCertificate(tpl, u, signNative('sha256', u.tbs, tpl.signerKey));
}
