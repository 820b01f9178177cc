/**
 * X.509 v3 certificate construction: TBSCertificate built with the DER builder (asn1-build),
 * signed natively with node:crypto.
 */
import * as crypto from 'node:crypto';
import { algorithmIdentifier, bitString, embedDer, explicit, int, seq, time, uintFromBytes } from './asn1-build.js';
import { signNative, signatureAlgorithmFor } from './algorithms.js';
import { derToPem, sha1Thumbprint } from './der.js';
import { PkiError } from './errors.js';
import type { ExtensionsSpec } from './extensions.js';
import { buildExtensions } from './extensions.js';
import { type NameSpec, buildName } from './name.js';
import { readSpki } from './spki.js';

export interface CertificateSpec {
  subject: NameSpec;
  /** Name spec, or the raw DER of the issuer Name (copied byte-for-byte from the CA certificate). */
  issuer?: NameSpec | Buffer;
  /** Unsigned big-endian serial. Default: 16 random bytes, top bit cleared, non-zero. */
  serial?: Buffer;
  notBefore: Date;
  notAfter: Date;
  /** SubjectPublicKeyInfo DER of any supported key type (RSA or EC). */
  publicKeySpkiDer: Buffer;
  extensions: ExtensionsSpec;
}

export interface BuiltCertificate {
  der: Buffer;
  pem: string;
  /** Uppercase hex of the serial number, no leading zeros (same as X509Certificate.serialNumber). */
  serialHex: string;
  /** SHA-1 thumbprint, 40 uppercase hex chars. */
  thumbprint: string;
}

/** 16 random bytes with the top bit cleared (positive INTEGER), never zero: 127 bits of entropy. */
export function randomSerial(): Buffer {
  for (;;) {
    const b = crypto.randomBytes(16);
    b[0] &= 0x7f;
    if (b.some((x) => x !== 0)) return b;
  }
}

/** Truncates to whole seconds (certificate times have no fractional part). */
export function toWholeSeconds(d: Date, round: 'down' | 'up' = 'down'): Date {
  const ms = d.getTime();
  const s = round === 'down' ? Math.floor(ms / 1000) : Math.ceil(ms / 1000);
  return new Date(s * 1000);
}

/** A valid date with a year certificates can carry (1950..9999). */
export function checkDate(d: Date, what: string): void {
  if (!(d instanceof Date) || Number.isNaN(d.getTime())) throw new PkiError('invalid-input', `${what} is not a valid date`);
  const y = d.getUTCFullYear();
  if (y < 1950 || y > 9999) throw new PkiError('invalid-input', `${what} year ${y} out of range`);
}

/** The serialNumber INTEGER of an unsigned serial, and its hex as X509Certificate.serialNumber shows it. */
function serialInteger(serial: Buffer): { der: Buffer; hex: string } {
  let i = 0;
  while (i < serial.length && serial[i] === 0) i++;
  const magnitude = serial.subarray(i);
  if (magnitude.length === 0) throw new PkiError('invalid-input', 'serial number must be positive');
  if (magnitude.length > 20) throw new PkiError('invalid-input', 'serial number longer than 20 octets');
  return { der: uintFromBytes(magnitude), hex: magnitude.toString('hex').toUpperCase() };
}

/** version [0] EXPLICIT INTEGER v3 (2). */
const V3 = explicit(0, int(2));

/** A certificate before its signature: the TBSCertificate to sign and what goes around it. */
export interface UnsignedCertificate {
  tbs: Buffer;
  hash: 'sha256';
  signatureAlgorithm: Buffer;
  serialHex: string;
}

/** Checks `spec` and encodes its TBSCertificate, for a signature by `signerKey` with `hash`. */
export function certificateTbs(spec: CertificateSpec, signerKey: crypto.KeyObject, hash: 'sha256' = 'sha256'): UnsignedCertificate {
  if (signerKey.type !== 'private') throw new PkiError('invalid-input', 'signerKey must be a private key');
  checkDate(spec.notBefore, 'notBefore');
  checkDate(spec.notAfter, 'notAfter');
  if (spec.notAfter.getTime() <= spec.notBefore.getTime()) {
    throw new PkiError('invalid-input', 'notAfter must be after notBefore');
  }
  // Structurally an RSA or EC SubjectPublicKeyInfo, read in strict DER (so it is embedded as it is).
  const { subjectPublicKey } = readSpki(spec.publicKeySpkiDer);

  const sigAlg = signatureAlgorithmFor(signerKey, hash);
  const sigAlgId = algorithmIdentifier(sigAlg.oid, sigAlg.nullParams);
  const serial = serialInteger(spec.serial ?? randomSerial());
  const subject = buildName(spec.subject);
  const issuer = Buffer.isBuffer(spec.issuer) ? embedDer(spec.issuer, 'issuer Name') : buildName(spec.issuer ?? spec.subject);
  const extensions = buildExtensions(spec.extensions, subjectPublicKey);

  const tbs = seq(
    V3,
    serial.der,
    sigAlgId,
    issuer,
    seq(time(spec.notBefore), time(spec.notAfter)),
    subject,
    spec.publicKeySpkiDer,
    ...(extensions ? [explicit(3, extensions)] : []),
  );
  return { tbs, hash, signatureAlgorithm: sigAlgId, serialHex: serial.hex };
}

/** Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }: `signature` is over exactly `u.tbs`. */
export function assembleCertificate(u: UnsignedCertificate, signature: Buffer): BuiltCertificate {
  const der = seq(u.tbs, u.signatureAlgorithm, bitString(signature));
  return { der, pem: derToPem(der, 'CERTIFICATE'), serialHex: u.serialHex, thumbprint: sha1Thumbprint(der) };
}

export function buildCertificate(spec: CertificateSpec, signerKey: crypto.KeyObject, hash: 'sha256' = 'sha256'): BuiltCertificate {
  const u = certificateTbs(spec, signerKey, hash);
  return assembleCertificate(u, signNative(u.hash, u.tbs, signerKey));
}
