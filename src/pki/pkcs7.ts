/**
 * CMS / PKCS#7 SignedData verification for MS-WSTEP renewal: Windows wraps the
 * new PKCS#10 in a SignedData signed with the device's current certificate.
 *
 * Parsed with asn1-read (strict, keeps exact bytes); all
 * hashing and signature checks are native. BER is tolerated for the envelope
 * (indefinite lengths, chunked OCTET STRING content).
 */
import * as crypto from 'node:crypto';
import { DIGEST_ALGORITHMS, type HashName, SIGNATURE_ALGORITHMS, digest, verifyNative } from './algorithms.js';
import {
  type DerNode,
  TAG,
  ctxTag,
  expectChildren,
  expectTag,
  parseDer,
  readAlgorithmIdentifier,
  readIntegerBytes,
  readOctetString,
  readOid,
  readSmallInt,
} from './asn1-read.js';
import { readCertificateFields } from './certificate-fields.js';
import { PkiError } from './errors.js';
import { OID } from './oids.js';

export const MAX_PKCS7_BYTES = 64 * 1024;

export interface VerifiedRenewal {
  signerCertDer: Buffer;
  signerCert: crypto.X509Certificate;
  /** The encapsulated content (the new PKCS#10), not yet parsed or verified. */
  innerCsrDer: Buffer;
}

type SignerId = { kind: 'issuerAndSerial'; issuerDer: Buffer; serial: Buffer } | { kind: 'ski'; keyId: Buffer };

const WHAT = 'PKCS#7';

function fail(detail: string): PkiError {
  return new PkiError('malformed', `${WHAT}: ${detail}`);
}

/** INTEGER content octets without redundant leading 0x00 (so 00 80 and 80 compare unequal, 00 01 and 01 equal). */
function normalizeSerial(b: Buffer): Buffer {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0 && (b[i + 1] & 0x80) === 0) i++;
  return b.subarray(i);
}

function readSignerId(node: DerNode | undefined): SignerId {
  if (node?.tag === TAG.SEQUENCE) {
    const [issuer, serial] = expectChildren(node, 2, 2, `${WHAT} issuerAndSerialNumber`);
    expectTag(issuer, TAG.SEQUENCE, `${WHAT} issuer`);
    return { kind: 'issuerAndSerial', issuerDer: issuer.raw, serial: readIntegerBytes(serial, `${WHAT} serialNumber`) };
  }
  if (node?.tag === ctxTag(0, false)) return { kind: 'ski', keyId: node.content };
  throw fail('SignerInfo sid is neither issuerAndSerialNumber nor subjectKeyIdentifier');
}

function findSignerCert(certs: Buffer[], sid: SignerId): Buffer | undefined {
  for (const der of certs) {
    const f = readCertificateFields(der);
    if (sid.kind === 'issuerAndSerial') {
      if (f.issuerDer.equals(sid.issuerDer) && normalizeSerial(f.serial).equals(normalizeSerial(sid.serial))) return der;
    } else if (f.subjectKeyId?.equals(sid.keyId)) {
      return der;
    }
  }
  return undefined;
}

/** Signed attributes: returns the single value of each attribute type we care about. */
function readSignedAttrs(attrs: DerNode): Map<string, DerNode> {
  const out = new Map<string, DerNode>();
  for (const attr of attrs.children) {
    expectTag(attr, TAG.SEQUENCE, `${WHAT} signed attribute`);
    const [typeNode, values] = expectChildren(attr, 2, 2, `${WHAT} signed attribute`);
    const type = readOid(typeNode, `${WHAT} signed attribute type`);
    expectTag(values, TAG.SET, `${WHAT} signed attribute values`);
    if (out.has(type)) throw fail(`duplicate signed attribute ${type}`);
    if (type === OID.messageDigest || type === OID.contentType) {
      expectChildren(values, 1, 1, `${WHAT} signed attribute ${type}`);
    }
    out.set(type, values.children[0]);
  }
  return out;
}

export function parseAndVerifyRenewalPkcs7(der: Buffer): VerifiedRenewal {
  if (!Buffer.isBuffer(der)) throw new PkiError('invalid-input', 'PKCS#7 must be a Buffer');
  if (der.length > MAX_PKCS7_BYTES) throw new PkiError('too-large', `${WHAT}: ${der.length} bytes exceeds ${MAX_PKCS7_BYTES}`);

  // ContentInfo ::= SEQUENCE { contentType OID, content [0] EXPLICIT ANY }
  const contentInfo = expectTag(parseDer(der, { what: WHAT, ber: true }), TAG.SEQUENCE, `${WHAT} ContentInfo`);
  const [ctNode, ctx0] = expectChildren(contentInfo, 2, 2, `${WHAT} ContentInfo`);
  const contentType = readOid(ctNode, `${WHAT} contentType`);
  if (contentType !== OID.signedData) throw fail(`contentType ${contentType} is not signedData`);
  expectTag(ctx0, ctxTag(0, true), `${WHAT} content`);
  const [signedData] = expectChildren(ctx0, 1, 1, `${WHAT} content`);

  // SignedData ::= SEQUENCE { version, digestAlgorithms SET, encapContentInfo,
  //   certificates [0] IMPLICIT OPTIONAL, crls [1] IMPLICIT OPTIONAL, signerInfos SET }
  expectTag(signedData, TAG.SEQUENCE, `${WHAT} SignedData`);
  const sd = expectChildren(signedData, 4, 6, `${WHAT} SignedData`);
  const sdVersion = readSmallInt(sd[0], `${WHAT} SignedData version`);
  if (sdVersion < 1 || sdVersion > 5) throw new PkiError('unsupported-version', `${WHAT}: SignedData version ${sdVersion}`);
  expectTag(sd[1], TAG.SET, `${WHAT} digestAlgorithms`);
  const encap = expectTag(sd[2], TAG.SEQUENCE, `${WHAT} encapContentInfo`);
  let certsNode: DerNode | undefined;
  for (const n of sd.slice(3, -1)) {
    if (n.tag === ctxTag(0, true) && !certsNode) certsNode = n;
    else if (n.tag !== ctxTag(1, true)) throw fail(`unexpected SignedData element tag 0x${n.tag.toString(16)}`);
  }
  const signerInfos = expectTag(sd[sd.length - 1], TAG.SET, `${WHAT} signerInfos`);

  // EncapsulatedContentInfo ::= SEQUENCE { eContentType OID, eContent [0] EXPLICIT OCTET STRING OPTIONAL }
  const [eTypeNode, eContentWrapper] = expectChildren(encap, 1, 2, `${WHAT} encapContentInfo`);
  const eContentType = readOid(eTypeNode, `${WHAT} eContentType`);
  if (!eContentWrapper) throw new PkiError('content-missing', `${WHAT}: detached signature (no encapsulated content)`);
  expectTag(eContentWrapper, ctxTag(0, true), `${WHAT} eContent`);
  const [eContentNode] = expectChildren(eContentWrapper, 1, 1, `${WHAT} eContent`);
  const content = readOctetString(eContentNode, `${WHAT} eContent`);
  if (content.length === 0) throw new PkiError('content-missing', `${WHAT}: empty encapsulated content`);

  // certificates: keep only plain Certificate choices (SEQUENCE), exact bytes.
  const certs = (certsNode?.children ?? []).filter((c) => c.tag === TAG.SEQUENCE).map((c) => c.raw);

  // SignerInfo ::= SEQUENCE { version, sid, digestAlgorithm, signedAttrs [0] IMPLICIT OPTIONAL,
  //   signatureAlgorithm, signature OCTET STRING, unsignedAttrs [1] IMPLICIT OPTIONAL }
  if (signerInfos.children.length !== 1) {
    throw fail(`expected exactly one SignerInfo, got ${signerInfos.children.length}`);
  }
  const si = expectTag(signerInfos.children[0], TAG.SEQUENCE, `${WHAT} SignerInfo`);
  const f = expectChildren(si, 5, 7, `${WHAT} SignerInfo`);
  const siVersion = readSmallInt(f[0], `${WHAT} SignerInfo version`);
  if (siVersion !== 1 && siVersion !== 3) throw new PkiError('unsupported-version', `${WHAT}: SignerInfo version ${siVersion}`);
  const sid = readSignerId(f[1]);
  const digestOid = readAlgorithmIdentifier(f[2], `${WHAT} digestAlgorithm`).oid;
  const digestHash: HashName | undefined = DIGEST_ALGORITHMS[digestOid];
  if (!digestHash) throw new PkiError('unsupported-algorithm', `${WHAT}: unsupported digest algorithm ${digestOid}`);
  let i = 3;
  const signedAttrs = f[i]?.tag === ctxTag(0, true) ? f[i++] : undefined;
  const sigOid = readAlgorithmIdentifier(f[i++], `${WHAT} signatureAlgorithm`).oid;
  const sigNode = expectTag(f[i++], TAG.OCTET_STRING, `${WHAT} signature`);
  if (i < f.length && f[i].tag !== ctxTag(1, true)) throw fail('unexpected SignerInfo element');
  if (i + 1 < f.length) throw fail('unexpected SignerInfo element');

  // Signature algorithm: rsaEncryption (hash = digestAlgorithm) or sha*WithRSA / ecdsa-with-SHA*.
  let sigHash: HashName;
  let sigKeyType: 'rsa' | 'ec';
  if (sigOid === OID.rsaEncryption) {
    sigHash = digestHash;
    sigKeyType = 'rsa';
  } else if (sigOid === OID.ecPublicKey) {
    sigHash = digestHash;
    sigKeyType = 'ec';
  } else {
    const alg = SIGNATURE_ALGORITHMS[sigOid];
    if (!alg || sigOid === OID.oiwSha1WithRSASignature) {
      throw new PkiError('unsupported-algorithm', `${WHAT}: unsupported signature algorithm ${sigOid}`);
    }
    sigHash = alg.hash;
    sigKeyType = alg.keyType;
  }

  const signerCertDer = findSignerCert(certs, sid);
  if (!signerCertDer) throw new PkiError('signer-not-found', `${WHAT}: signer certificate is not in the certificate set`);
  let signerCert: crypto.X509Certificate;
  try {
    signerCert = new crypto.X509Certificate(signerCertDer);
  } catch (e) {
    throw new PkiError('malformed', `${WHAT}: signer certificate: ${(e as Error).message}`, { cause: e });
  }
  const signerKey = signerCert.publicKey;
  if (signerKey.asymmetricKeyType !== sigKeyType) {
    throw new PkiError('algorithm-mismatch', `${WHAT}: signer key is ${signerKey.asymmetricKeyType ?? '?'} but the signature algorithm is ${sigKeyType}`);
  }

  let signedBytes: Buffer;
  if (signedAttrs) {
    const attrs = readSignedAttrs(signedAttrs);
    const md = attrs.get(OID.messageDigest);
    if (!md) throw fail('signed attributes without messageDigest');
    const expected = readOctetString(md, `${WHAT} messageDigest`);
    if (!expected.equals(digest(digestHash, content))) {
      throw new PkiError('message-digest-mismatch', `${WHAT}: messageDigest does not match the content`);
    }
    const ct = attrs.get(OID.contentType);
    if (ct && readOid(ct, `${WHAT} contentType attribute`) !== eContentType) {
      throw fail('contentType attribute does not match eContentType');
    }
    // Signature covers the DER of the attributes with the [0] IMPLICIT tag replaced by SET OF (0x31).
    if (signedAttrs.raw[1] === 0x80) throw fail('signed attributes must use a definite length');
    signedBytes = Buffer.from(signedAttrs.raw);
    signedBytes[0] = TAG.SET;
  } else {
    signedBytes = content;
  }

  if (!verifyNative(sigHash, signedBytes, signerKey, sigNode.content)) {
    throw new PkiError('bad-signature', `${WHAT}: signature does not verify with the signer certificate`);
  }
  return { signerCertDer: Buffer.from(signerCertDer), signerCert, innerCsrDer: Buffer.from(content) };
}
