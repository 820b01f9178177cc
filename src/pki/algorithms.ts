/**
 * Signature / digest algorithm tables and native (node:crypto) sign/verify.
 * All signing, verifying and hashing in the PKI code goes through here, natively.
 */
import * as crypto from 'node:crypto';
import { PkiError } from './errors.js';
import { OID } from './oids.js';

export type HashName = 'sha1' | 'sha256' | 'sha384' | 'sha512';
export type KeyType = 'rsa' | 'ec';

export interface SignatureAlgorithm {
  hash: HashName;
  keyType: KeyType;
}

/** Signature algorithms we accept on CSRs and CMS SignerInfos. */
export const SIGNATURE_ALGORITHMS: Readonly<Record<string, SignatureAlgorithm>> = {
  [OID.oiwSha1WithRSASignature]: { hash: 'sha1', keyType: 'rsa' },
  [OID.sha1WithRSAEncryption]: { hash: 'sha1', keyType: 'rsa' },
  [OID.sha256WithRSAEncryption]: { hash: 'sha256', keyType: 'rsa' },
  [OID.sha384WithRSAEncryption]: { hash: 'sha384', keyType: 'rsa' },
  [OID.sha512WithRSAEncryption]: { hash: 'sha512', keyType: 'rsa' },
  [OID.ecdsaWithSHA256]: { hash: 'sha256', keyType: 'ec' },
  [OID.ecdsaWithSHA384]: { hash: 'sha384', keyType: 'ec' },
};

export const DIGEST_ALGORITHMS: Readonly<Record<string, HashName>> = {
  [OID.sha1]: 'sha1',
  [OID.sha256]: 'sha256',
  [OID.sha384]: 'sha384',
  [OID.sha512]: 'sha512',
};

export const DIGEST_OIDS: Readonly<Record<HashName, string>> = {
  sha1: OID.sha1,
  sha256: OID.sha256,
  sha384: OID.sha384,
  sha512: OID.sha512,
};

const RSA_SIGNATURE_OIDS: Readonly<Record<HashName, string>> = {
  sha1: OID.sha1WithRSAEncryption,
  sha256: OID.sha256WithRSAEncryption,
  sha384: OID.sha384WithRSAEncryption,
  sha512: OID.sha512WithRSAEncryption,
};

const ECDSA_SIGNATURE_OIDS: Readonly<Record<HashName, string>> = {
  sha1: OID.ecdsaWithSHA1,
  sha256: OID.ecdsaWithSHA256,
  sha384: OID.ecdsaWithSHA384,
  sha512: OID.ecdsaWithSHA512,
};

/** 'rsa' | 'ec' for keys we can use; PkiError('unsupported-key') otherwise. */
export function keyTypeOf(key: crypto.KeyObject): KeyType {
  const t = key.asymmetricKeyType;
  if (t === 'rsa' || t === 'ec') return t;
  throw new PkiError('unsupported-key', `unsupported key type ${t ?? key.type}`);
}

/**
 * AlgorithmIdentifier for signing with `key`: RSA => sha*WithRSAEncryption
 * (parameters NULL), EC => ecdsa-with-SHA* (parameters absent, RFC 5758).
 */
export function signatureAlgorithmFor(key: crypto.KeyObject, hash: HashName): { oid: string; nullParams: boolean } {
  return keyTypeOf(key) === 'rsa' ? { oid: RSA_SIGNATURE_OIDS[hash], nullParams: true } : { oid: ECDSA_SIGNATURE_OIDS[hash], nullParams: false };
}

/** Native signature (PKCS#1 v1.5 for RSA, DER-encoded ECDSA). */
export function signNative(hash: HashName, data: Buffer, key: crypto.KeyObject): Buffer {
  return crypto.sign(hash, data, key);
}

/**
 * The same signature computed on libuv's thread pool: an RSA-2048 signature is ~0.3 ms of CPU
 * that the event loop does not wait for, so one process serves other requests meanwhile and
 * uses a second core under load.
 */
export function signNativeOffThread(hash: HashName, data: Buffer, key: crypto.KeyObject): Promise<Buffer> {
  return new Promise((resolve, reject) => crypto.sign(hash, data, key, (err, sig) => (err ? reject(err) : resolve(sig))));
}

/** Native verification; never throws (malformed signatures just fail). */
export function verifyNative(hash: HashName, data: Buffer, key: crypto.KeyObject, signature: Buffer): boolean {
  try {
    return crypto.verify(hash, data, key, signature);
  } catch {
    return false;
  }
}

export function digest(hash: HashName, data: Buffer): Buffer {
  return crypto.createHash(hash).update(data).digest();
}

/** Bits of an RSA modulus or EC field; PkiError('unsupported-key') for other curves. */
export function keyBitsOf(key: crypto.KeyObject): number {
  const d = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa') {
    if (typeof d.modulusLength !== 'number') throw new PkiError('unsupported-key', 'RSA key without modulus length');
    return d.modulusLength;
  }
  if (key.asymmetricKeyType === 'ec') {
    const bits = EC_CURVE_BITS[d.namedCurve ?? ''];
    if (bits === undefined) throw new PkiError('unsupported-key', `unsupported EC curve ${d.namedCurve ?? '(unknown)'}`);
    return bits;
  }
  throw new PkiError('unsupported-key', `unsupported key type ${key.asymmetricKeyType ?? key.type}`);
}

const EC_CURVE_BITS: Readonly<Record<string, number>> = {
  prime256v1: 256,
  secp384r1: 384,
  secp521r1: 521,
};

// DER of AlgorithmIdentifier { rsaEncryption, NULL }: the only form RSA SubjectPublicKeyInfos take.
const RSA_ALGORITHM_ID = Buffer.from('300d06092a864886f70d0101010500', 'hex');

/** Header length of the DER TLV at `off` if its length is definite and ends exactly at `end`; else -1. */
function tlvHeaderSpanning(der: Buffer, off: number, end: number): number {
  if (end - off < 2) return -1;
  const lb = der[off + 1];
  let len: number;
  let hdr: number;
  if (lb < 0x80) {
    len = lb;
    hdr = 2;
  } else if (lb === 0x81 && end - off >= 3 && der[off + 2] >= 0x80) {
    len = der[off + 2];
    hdr = 3;
  } else if (lb === 0x82 && end - off >= 4 && der[off + 2] !== 0) {
    len = der.readUInt16BE(off + 2);
    hdr = 4;
  } else {
    return -1;
  }
  return off + hdr + len === end ? hdr : -1;
}

/**
 * The RSAPublicKey (PKCS#1) inside an RSA SubjectPublicKeyInfo, or undefined if `spkiDer` is not
 * exactly SEQUENCE { {rsaEncryption, NULL}, BIT STRING (0 unused bits) { SEQUENCE ... } } in DER.
 */
function rsaPublicKeyOf(spkiDer: Buffer): Buffer | undefined {
  if (spkiDer[0] !== 0x30) return undefined;
  const outer = tlvHeaderSpanning(spkiDer, 0, spkiDer.length);
  if (outer < 0) return undefined;
  const alg = outer;
  if (!spkiDer.subarray(alg, alg + RSA_ALGORITHM_ID.length).equals(RSA_ALGORITHM_ID)) return undefined;
  const bits = alg + RSA_ALGORITHM_ID.length;
  if (spkiDer[bits] !== 0x03) return undefined;
  const bitsHdr = tlvHeaderSpanning(spkiDer, bits, spkiDer.length);
  if (bitsHdr < 0 || spkiDer[bits + bitsHdr] !== 0x00) return undefined;
  const key = bits + bitsHdr + 1;
  if (spkiDer[key] !== 0x30 || tlvHeaderSpanning(spkiDer, key, spkiDer.length) < 0) return undefined;
  return spkiDer.subarray(key);
}

/**
 * Parses SubjectPublicKeyInfo DER natively; PkiError('malformed' | 'unsupported-key') if unusable.
 * An RSA key in the usual DER form is imported from its PKCS#1 part: OpenSSL 3's SPKI decoder
 * tries every key format in turn and costs ~25x more for the same key. Anything else takes
 * the general SPKI decoder.
 */
export function publicKeyFromSpki(spkiDer: Buffer): crypto.KeyObject {
  let key: crypto.KeyObject;
  try {
    const rsa = rsaPublicKeyOf(spkiDer);
    key = rsa ? crypto.createPublicKey({ key: rsa, format: 'der', type: 'pkcs1' }) : crypto.createPublicKey({ key: spkiDer, format: 'der', type: 'spki' });
  } catch (e) {
    throw new PkiError('malformed', `cannot parse public key: ${(e as Error).message}`, { cause: e });
  }
  keyTypeOf(key);
  keyBitsOf(key);
  return key;
}
