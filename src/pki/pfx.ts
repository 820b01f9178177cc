/**
 * Whether a password opens a PKCS#12 (PFX) file, by its integrity MAC (RFC 7292 §4, key from the
 * PKCS#12 KDF of appendix B.2): the MAC is keyed by the password, so a wrong one fails it the
 * way Windows' PFXImportCertStore would, on the device, after the profile was accepted.
 *
 * Why our own: node:crypto has no PKCS#12 reader; node-forge left in #11 with our own DER code;
 * pkijs verifies the MAC but brings a second ASN.1 stack (asn1js) for this one check;
 * @peculiar/asn1-pfx only maps the ASN.1 (we already read DER/BER, asn1-read.ts) and verifies
 * nothing; the openssl CLI is not a run-time dependency. What is left is a KDF of a few lines
 * over node:crypto hashes and one HMAC.
 */
import crypto from 'node:crypto';
import { TAG, ctxTag, expectTag, parseDer, readAlgorithmIdentifier, readOctetString, readOid, readIntegerBytes } from './asn1-read.js';
import { PkiError } from './errors.js';

const ID_DATA = '1.2.840.113549.1.7.1';
/** Hash OID → node name and block size (the KDF's v, bytes). */
const HASHES: Record<string, { name: string; block: number }> = {
  '1.3.14.3.2.26': { name: 'sha1', block: 64 },
  '2.16.840.1.101.3.4.2.4': { name: 'sha224', block: 64 },
  '2.16.840.1.101.3.4.2.1': { name: 'sha256', block: 64 },
  '2.16.840.1.101.3.4.2.2': { name: 'sha384', block: 128 },
  '2.16.840.1.101.3.4.2.3': { name: 'sha512', block: 128 },
};
/** Windows writes 2000, OpenSSL 2048; a file asking for more is not checked (it would hold the event loop at every compile). */
const MAX_ITERATIONS = 100_000;

/**
 * The password as the KDF takes it: BMPString (UTF-16BE) with a two-byte terminator. An empty
 * password is written either as the terminator alone or as no bytes at all, by different tools.
 */
function bmpPasswords(password: string): Buffer[] {
  const bmp = Buffer.from(`${password}\0`, 'utf16le').swap16();
  return password === '' ? [bmp, Buffer.alloc(0)] : [bmp];
}

/** RFC 7292 appendix B.2, ID 3 (MAC key). */
function pkcs12Kdf(hash: { name: string; block: number }, password: Buffer, salt: Buffer, iterations: number, length: number): Buffer {
  const v = hash.block;
  const fill = (b: Buffer) => {
    if (b.length === 0) return b;
    const out = Buffer.alloc(v * Math.ceil(b.length / v));
    for (let i = 0; i < out.length; i++) out[i] = b[i % b.length];
    return out;
  };
  const D = Buffer.alloc(v, 3);
  const I = Buffer.concat([fill(salt), fill(password)]);
  const out: Buffer[] = [];
  let got = 0;
  while (got < length) {
    let A = crypto.createHash(hash.name).update(D).update(I).digest();
    for (let r = 1; r < iterations; r++) A = crypto.createHash(hash.name).update(A).digest();
    out.push(A);
    got += A.length;
    if (got >= length) break;
    // I_j = (I_j + B + 1) mod 2^(8v), B = A repeated to v bytes.
    const B = fill(A).subarray(0, v);
    for (let j = 0; j < I.length; j += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const x = I[j + k] + B[k] + carry;
        I[j + k] = x & 0xff;
        carry = x >> 8;
      }
    }
  }
  return Buffer.concat(out).subarray(0, length);
}

export type PfxPasswordCheck = 'ok' | 'wrong-password' | 'unchecked';

/**
 * 'ok' when the MAC verifies with `password`, 'wrong-password' when it does not, 'unchecked' when
 * the file carries no password MAC, another MAC (PBMAC1) or too many iterations. Throws PkiError for what is not a PFX.
 */
export function checkPfxPassword(pfx: Buffer, password: string): PfxPasswordCheck {
  const what = 'PFX';
  const root = expectTag(parseDer(pfx, { what, ber: true }), TAG.SEQUENCE, what);
  const [version, authSafe, macData] = root.children;
  if (readIntegerBytes(version, 'PFX version').toString('hex') !== '03') throw new PkiError('unsupported-version', 'PFX version is not 3');
  const ci = expectTag(authSafe, TAG.SEQUENCE, 'PFX authSafe');
  if (readOid(ci.children[0], 'PFX authSafe contentType') !== ID_DATA) return 'unchecked'; // public-key integrity mode: no password MAC
  const wrapped = expectTag(ci.children[1], ctxTag(0, true), 'PFX authSafe content');
  const data = readOctetString(wrapped.children[0], 'PFX authSafe data');
  if (!macData) return 'unchecked';
  const md = expectTag(macData, TAG.SEQUENCE, 'PFX macData');
  const digestInfo = expectTag(md.children[0], TAG.SEQUENCE, 'PFX mac');
  const alg = readAlgorithmIdentifier(digestInfo.children[0], 'PFX mac algorithm');
  const expected = readOctetString(digestInfo.children[1], 'PFX mac digest');
  const salt = readOctetString(md.children[1], 'PFX mac salt');
  const iterBytes = md.children[2] ? readIntegerBytes(md.children[2], 'PFX mac iterations') : Buffer.from([1]);
  if (iterBytes.length > 4 || (iterBytes[0] & 0x80) !== 0) throw new PkiError('malformed', 'PFX mac iterations out of range');
  const iterations = iterBytes.readUIntBE(0, iterBytes.length);
  if (iterations < 1) throw new PkiError('malformed', 'PFX mac iterations is 0');
  if (iterations > MAX_ITERATIONS) return 'unchecked';
  const hash = HASHES[alg.oid];
  // PBMAC1 (RFC 9579) and other MACs: not checked here; Windows reports them itself.
  if (!hash) return 'unchecked';
  const len = crypto.createHash(hash.name).digest().length;
  for (const pw of bmpPasswords(password)) {
    const mac = crypto
      .createHmac(hash.name, pkcs12Kdf(hash, pw, salt, iterations, len))
      .update(data)
      .digest();
    if (mac.length === expected.length && crypto.timingSafeEqual(mac, expected)) return 'ok';
  }
  return 'wrong-password';
}
