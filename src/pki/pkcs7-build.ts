/**
 * CMS SignedData construction for tests and the device simulator: the renewal
 * request Windows sends (new PKCS#10 signed with the current device certificate).
 * Signed natively.
 */
import type * as crypto from 'node:crypto';
import { DIGEST_OIDS, digest, keyTypeOf, signNative, signatureAlgorithmFor } from './algorithms.js';
import {
  algorithmIdentifier,
  constructedOctets,
  embedDer,
  explicit,
  implicitConstructed,
  implicitPrimitive,
  int,
  octets,
  oid,
  seq,
  setOf,
  sortDer,
  time,
  tlv,
} from './asn1-build.js';
import { readCertificateFields } from './certificate-fields.js';
import { PkiError } from './errors.js';
import { OID } from './oids.js';

export interface BuildRenewalPkcs7Options {
  csrDer: Buffer;
  signerCertDer: Buffer;
  signerKey: crypto.KeyObject;
  /** Include signed attributes (contentType, signingTime, messageDigest). Default true. */
  withSignedAttrs?: boolean;
  hash?: 'sha256' | 'sha1';
  /** Identify the signer by subjectKeyIdentifier instead of issuerAndSerialNumber. Default false. */
  useSubjectKeyId?: boolean;
  /** Encode eContent as a constructed OCTET STRING of chunks of this size (BER). */
  contentChunkSize?: number;
  /** Leave the signer certificate out of the certificate set (for negative tests). */
  omitSignerCert?: boolean;
  /** Extra certificates to put in the certificate set. */
  extraCertsDer?: Buffer[];
  signingTime?: Date;
}

export function buildRenewalPkcs7(opts: BuildRenewalPkcs7Options): Buffer {
  const hash = opts.hash ?? 'sha256';
  const withAttrs = opts.withSignedAttrs ?? true;
  const signer = readCertificateFields(opts.signerCertDer);
  const content = opts.csrDer;

  let sid: Buffer;
  if (opts.useSubjectKeyId) {
    if (!signer.subjectKeyId) throw new PkiError('invalid-input', 'signer certificate has no subjectKeyIdentifier');
    sid = implicitPrimitive(0, signer.subjectKeyId);
  } else {
    sid = seq(embedDer(signer.issuerDer, 'issuer Name'), embedDer(tlv(0x02, signer.serial), 'serialNumber'));
  }

  const digestAlg = algorithmIdentifier(DIGEST_OIDS[hash], false);
  let signedAttrs: Buffer[] | undefined;
  let toSign = content;
  if (withAttrs) {
    signedAttrs = sortDer([
      seq(oid(OID.contentType), setOf(oid(OID.data))),
      seq(oid(OID.signingTime), setOf(time(opts.signingTime ?? new Date()))),
      seq(oid(OID.messageDigest), setOf(octets(digest(hash, content)))),
    ]);
    toSign = setOf(...signedAttrs); // signed as SET OF, embedded as [0] IMPLICIT
  }
  const signature = signNative(hash, toSign, opts.signerKey);
  // RSA: rsaEncryption (what Windows uses; hash from digestAlgorithm). EC: ecdsa-with-SHA*.
  const ecAlg = keyTypeOf(opts.signerKey) === 'ec' ? signatureAlgorithmFor(opts.signerKey, hash) : undefined;
  const sigAlg = ecAlg ? algorithmIdentifier(ecAlg.oid, false) : algorithmIdentifier(OID.rsaEncryption, true);

  const signerInfo = seq(
    int(opts.useSubjectKeyId ? 3 : 1),
    sid,
    digestAlg,
    ...(signedAttrs ? [implicitConstructed(0, ...signedAttrs)] : []),
    sigAlg,
    octets(signature),
  );

  const eContent = opts.contentChunkSize && opts.contentChunkSize > 0 ? constructedOctets(content, opts.contentChunkSize) : octets(content);
  const certs = [...(opts.omitSignerCert ? [] : [opts.signerCertDer]), ...(opts.extraCertsDer ?? [])];
  const signedData = seq(
    int(opts.useSubjectKeyId ? 3 : 1),
    setOf(digestAlg),
    seq(oid(OID.data), explicit(0, eContent)),
    ...(certs.length > 0 ? [implicitConstructed(0, ...certs.map((c) => embedDer(c, 'certificate')))] : []),
    setOf(signerInfo),
  );
  return seq(oid(OID.signedData), explicit(0, signedData));
}
