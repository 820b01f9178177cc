/**
 * PKCS#10 CertificationRequest parsing and native self-signature verification.
 *
 * Tolerates what real Windows clients send: a CN in a PrintableString holding
 * '!' and a trailing NUL, and the OIW sha1WithRSASignature OID (1.3.14.3.2.29).
 * The signature is checked over the exact CertificationRequestInfo bytes from
 * the input, never a re-encoding.
 */
import type * as crypto from 'node:crypto';
import { type KeyType, SIGNATURE_ALGORITHMS, keyBitsOf, keyTypeOf, publicKeyFromSpki, verifyNative } from './algorithms.js';
import { TAG, ctxTag, expectChildren, expectTag, parseDer, readAlgorithmIdentifier, readBitStringBytes, readSmallInt } from './asn1-read.js';
import { PkiError } from './errors.js';
import { readCommonName } from './name.js';

export const MAX_CSR_BYTES = 16 * 1024;

export interface VerifiedCsr {
  publicKeySpkiDer: Buffer;
  publicKey: crypto.KeyObject;
  keyType: 'rsa' | 'ec';
  keyBits: number;
  /** First CN of the subject, trailing NULs stripped; undefined if the subject has no CN. */
  subjectCn?: string;
  signatureAlgorithmOid: string;
  der: Buffer;
}

export interface CsrPolicy {
  /** Minimum RSA modulus size. Default 2048. */
  minRsaBits?: number;
  /** Accept SHA-1 signatures (Windows signs its CSRs with SHA-1). Default true. */
  allowSha1?: boolean;
}

export function parseAndVerifyCsr(der: Buffer, policy: CsrPolicy = {}): VerifiedCsr {
  const what = 'PKCS#10';
  if (!Buffer.isBuffer(der)) throw new PkiError('invalid-input', 'CSR must be a Buffer');
  if (der.length > MAX_CSR_BYTES) throw new PkiError('too-large', `${what}: ${der.length} bytes exceeds ${MAX_CSR_BYTES}`);
  const minRsaBits = policy.minRsaBits ?? 2048;
  const allowSha1 = policy.allowSha1 ?? true;

  // CertificationRequest ::= SEQUENCE { certificationRequestInfo, signatureAlgorithm, signature BIT STRING }
  const root = expectTag(parseDer(der, { what }), TAG.SEQUENCE, what);
  const [cri, sigAlgNode, sigNode] = expectChildren(root, 3, 3, what);
  // CertificationRequestInfo ::= SEQUENCE { version INTEGER(0), subject Name, subjectPKInfo, attributes [0] }
  expectTag(cri, TAG.SEQUENCE, `${what} CertificationRequestInfo`);
  const [versionNode, subjectNode, spkiNode, attributes] = expectChildren(cri, 3, 4, `${what} CertificationRequestInfo`);
  const version = readSmallInt(versionNode, `${what} version`);
  if (version !== 0) throw new PkiError('unsupported-version', `${what}: version ${version + 1} (expected v1)`);
  expectTag(subjectNode, TAG.SEQUENCE, `${what} subject`);
  expectTag(spkiNode, TAG.SEQUENCE, `${what} subjectPKInfo`);
  if (attributes) expectTag(attributes, ctxTag(0, true), `${what} attributes`);

  const { oid: sigOid } = readAlgorithmIdentifier(sigAlgNode, `${what} signatureAlgorithm`);
  const sigAlg = SIGNATURE_ALGORITHMS[sigOid];
  if (!sigAlg) throw new PkiError('unsupported-algorithm', `${what}: unsupported signature algorithm ${sigOid}`);
  if (sigAlg.hash === 'sha1' && !allowSha1) {
    throw new PkiError('unsupported-algorithm', `${what}: SHA-1 signatures are not allowed by policy`);
  }
  const signature = readBitStringBytes(sigNode, `${what} signature`);

  const publicKeySpkiDer = Buffer.from(spkiNode.raw);
  const publicKey = publicKeyFromSpki(publicKeySpkiDer);
  const keyType: KeyType = keyTypeOf(publicKey);
  const keyBits = keyBitsOf(publicKey);
  if (keyType !== sigAlg.keyType) {
    throw new PkiError('algorithm-mismatch', `${what}: ${keyType} key with ${sigAlg.keyType} signature algorithm ${sigOid}`);
  }
  if (keyType === 'rsa' && keyBits < minRsaBits) {
    throw new PkiError('weak-key', `${what}: RSA key of ${keyBits} bits is below the ${minRsaBits}-bit minimum`);
  }

  if (!verifyNative(sigAlg.hash, cri.raw, publicKey, signature)) {
    throw new PkiError('bad-signature', `${what}: self-signature does not verify`);
  }

  const cn = readCommonName(subjectNode, `${what} subject`);
  return {
    publicKeySpkiDer,
    publicKey,
    keyType,
    keyBits,
    subjectCn: cn === undefined ? undefined : cn.replace(/\0+$/, ''),
    signatureAlgorithmOid: sigOid,
    der: Buffer.from(der),
  };
}
