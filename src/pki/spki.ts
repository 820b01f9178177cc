/** Structural reading of SubjectPublicKeyInfo (cheap; no native key parse). */
import { digest, type KeyType } from './algorithms.js';
import { TAG, expectChildren, expectTag, parseDer, readAlgorithmIdentifier, readBitStringBytes } from './asn1-read.js';
import { PkiError } from './errors.js';
import { OID } from './oids.js';

export interface SpkiInfo {
  keyType: KeyType;
  /** The subjectPublicKey BIT STRING value (without the unused-bits octet). */
  subjectPublicKey: Buffer;
}

/**
 * Checks that `spkiDer` is one SubjectPublicKeyInfo for an RSA or EC key and
 * returns its parts. OpenSSL 3's key decoder costs ~0.2 ms, so the issuance
 * hot path uses this instead; keys from a CSR were already parsed natively.
 */
export function readSpki(spkiDer: Buffer): SpkiInfo {
  const what = 'SubjectPublicKeyInfo';
  const spki = expectTag(parseDer(spkiDer, { what }), TAG.SEQUENCE, what);
  const [alg, bits] = expectChildren(spki, 2, 2, what);
  const { oid } = readAlgorithmIdentifier(alg, what);
  let keyType: KeyType;
  if (oid === OID.rsaEncryption) keyType = 'rsa';
  else if (oid === OID.ecPublicKey) keyType = 'ec';
  else throw new PkiError('unsupported-key', `unsupported public key algorithm ${oid}`);
  const subjectPublicKey = readBitStringBytes(bits, `${what}.subjectPublicKey`);
  if (subjectPublicKey.length === 0) throw new PkiError('malformed', `${what}: empty public key`);
  return { keyType, subjectPublicKey };
}

/** RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING value. */
export function keyIdentifierFromSpki(spkiDer: Buffer): Buffer {
  return digest('sha1', readSpki(spkiDer).subjectPublicKey);
}
