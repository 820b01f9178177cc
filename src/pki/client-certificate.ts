/**
 * Device (MDM client) certificates from a template: everything that is the same for every
 * certificate a CA issues (version, signature algorithm, issuer, basicConstraints, keyUsage,
 * extKeyUsage, authorityKeyIdentifier) is encoded once; per certificate only the serial,
 * validity, subject, SPKI and subjectKeyIdentifier are encoded, with the same builders as
 * buildCertificate, and the TBSCertificate is signed natively. The bytes are exactly those
 * buildCertificate produces for the same spec (test/pki/client-certificate.test.ts).
 */
import type * as crypto from 'node:crypto';
import { algorithmIdentifier, bitString, explicit, seq, time } from './asn1-build.js';
import { type KeyType, digest, signNative, signatureAlgorithmFor } from './algorithms.js';
import { parseDer } from './asn1-read.js';
import { type BuiltCertificate, V3, serialInteger } from './certificate.js';
import { derToPem, sha1Thumbprint } from './der.js';
import { PkiError } from './errors.js';
import { buildExtensions, subjectKeyIdExtension } from './extensions.js';
import { buildName } from './name.js';

/** Key usages of device certificates, by subject key type. */
export const CLIENT_KEY_USAGE: Readonly<Record<KeyType, string[]>> = {
  rsa: ['digitalSignature', 'keyEncipherment'],
  ec: ['digitalSignature'],
};

export interface ClientCertificateTemplate {
  readonly signerKey: crypto.KeyObject;
  readonly signatureAlgorithm: Buffer;
  readonly issuer: Buffer;
  /** Content octets of the extensions before subjectKeyIdentifier, by subject key type. */
  readonly leadingExtensions: Readonly<Record<KeyType, Buffer>>;
  /** The authorityKeyIdentifier extension. */
  readonly authorityKeyIdExtension: Buffer;
}

/** Content octets of the DER element `der` (a SEQUENCE built by us). */
const contentOf = (der: Buffer): Buffer => parseDer(der, { what: 'template' }).content;

export function clientCertificateTemplate(issuerNameDer: Buffer, authorityKeyId: Buffer, signerKey: crypto.KeyObject): ClientCertificateTemplate {
  if (signerKey.type !== 'private') throw new PkiError('invalid-input', 'signerKey must be a private key');
  const sigAlg = signatureAlgorithmFor(signerKey, 'sha256');
  const leading = (keyType: KeyType) =>
    contentOf(buildExtensions({ isCa: false, keyUsage: CLIENT_KEY_USAGE[keyType], extKeyUsage: ['clientAuth'] }, Buffer.alloc(0))!);
  return {
    signerKey,
    signatureAlgorithm: algorithmIdentifier(sigAlg.oid, sigAlg.nullParams),
    issuer: Buffer.from(issuerNameDer),
    leadingExtensions: { rsa: leading('rsa'), ec: leading('ec') },
    authorityKeyIdExtension: contentOf(buildExtensions({ authorityKeyId }, Buffer.alloc(0))!),
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

/** The to-be-signed part of a client certificate. */
export interface UnsignedClientCertificate {
  tbs: Buffer;
  serialHex: string;
}

export function clientCertificateTbs(tpl: ClientCertificateTemplate, f: ClientCertificateFields): UnsignedClientCertificate {
  const serial = serialInteger(f.serial);
  const ski = subjectKeyIdExtension(digest('sha1', f.subjectPublicKey));
  const tbs = seq(
    V3,
    serial.der,
    tpl.signatureAlgorithm,
    tpl.issuer,
    seq(time(f.notBefore), time(f.notAfter)),
    buildName({ commonName: f.subjectCn }),
    f.publicKeySpkiDer,
    explicit(3, seq(tpl.leadingExtensions[f.keyType], ski, tpl.authorityKeyIdExtension)),
  );
  return { tbs, serialHex: serial.hex };
}

/** The certificate: tbs, our signature algorithm, and the signature over tbs (SHA-256 with the template's key). */
export function assembleClientCertificate(tpl: ClientCertificateTemplate, u: UnsignedClientCertificate, signature: Buffer): BuiltCertificate {
  const der = seq(u.tbs, tpl.signatureAlgorithm, bitString(signature));
  return { der, pem: derToPem(der, 'CERTIFICATE'), serialHex: u.serialHex, thumbprint: sha1Thumbprint(der) };
}

export function buildClientCertificate(tpl: ClientCertificateTemplate, f: ClientCertificateFields): BuiltCertificate {
  const u = clientCertificateTbs(tpl, f);
  return assembleClientCertificate(tpl, u, signNative('sha256', u.tbs, tpl.signerKey));
}
