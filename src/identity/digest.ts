// OMA-DM application-level credentials in SyncHdr/Cred (MS-MDM §1.3.1; OMA DM Security):
// syncml:auth-md5 and syncml:auth-basic. With mutual TLS the engine ignores Cred; these exist
// for OMA compliance and for the device simulator (docs/protocol-notes.md "Digest challenges
// and RespURI").
//
// syncml:auth-md5, with H = MD5 and B64 = base64:
//
//     Cred/Data = B64( H( B64(H(name ":" secret)) ":" nonce ) )
//
// * The inner digest is concatenated as its base64 TEXT (24 ASCII characters), followed by an
//   ASCII ':' — which is why storing only B64(H(name:secret)) (dm-credentials.ts) suffices.
// * The nonce is concatenated as raw BYTES: it travels base64-encoded (NextNonce, AAUTHDATA) and
//   is decoded before hashing.
// Sources (facts only): OMA-TS-DM_Security-V1_2, MD5 digest authentication ("Digest =
// H(B64(H(username:password)):nonce)"); the SyncML Representation Protocol 1.1 worked example
// (user "Bruce2", password "OhBehave", nonce "Nonce" → "Zz6EivR3yeaaENcRN6lpAQ=="), which this
// construction reproduces (see test/identity/device-auth-digest.test.ts); Microsoft Learn,
// "Server requirements for using OMA DM to manage Windows devices": the MD5 binary nonce is sent
// base64-encoded in XML, but the binary form is what is hashed.
//
// Pure functions; nothing here logs, and no secret or digest appears in an error message.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { digestOf } from './dm-credentials.js';

export const AUTH_MD5 = 'syncml:auth-md5';
export const AUTH_BASIC = 'syncml:auth-basic';

/** SyncHdr/Cred: Meta/Format, Meta/Type and Data. */
export interface SyncmlCred {
  format?: string;
  type?: string;
  data: string;
}

/** Longest Cred/Data we look at; an MD5 digest is 24 characters, Basic a few hundred at most. */
const MAX_CRED_DATA_CHARS = 4096;

const B64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Strict base64 (standard alphabet, padded; whitespace ignored) → bytes, or undefined. */
function decodeBase64(s: unknown): Buffer | undefined {
  if (typeof s !== 'string' || s.length > MAX_CRED_DATA_CHARS) return undefined;
  const body = s.replace(/\s+/g, '');
  if (body.length % 4 !== 0 || !B64.test(body)) return undefined;
  return Buffer.from(body, 'base64');
}

/** A stored H: base64 of a 16-byte MD5 digest. */
function isDigestB64(h: unknown): h is string {
  return typeof h === 'string' && h.length === 24 && decodeBase64(h)?.length === 16;
}

const sameToken = (a: string | undefined, b: string) => (a ?? '').trim().toLowerCase() === b;

/** b64 format: Meta/Format "b64" (any case) or absent (Windows always sends b64 digests). */
const isB64Format = (format: string | undefined) => format === undefined || sameToken(format, 'b64');

/** A fresh server nonce: base64 of 16 random bytes. */
export function newNonce(): string {
  return randomBytes(16).toString('base64');
}

function md5Cred(hBase64: string, nonce: Buffer): Buffer {
  return createHash('md5')
    .update(Buffer.from(`${hBase64}:`, 'latin1'))
    .update(nonce)
    .digest();
}

/**
 * The Cred/Data a peer holding H = b64(md5(name:secret)) must send for `nonceBase64`:
 * b64(md5(H + ':' + nonceBytes)). Throws a TypeError if H is not base64 of 16 bytes or the nonce
 * is not base64 (both are our own values, never request input).
 */
export function expectedMd5Cred(hBase64: string, nonceBase64: string): string {
  if (!isDigestB64(hBase64)) throw new TypeError('H must be base64 of a 16-byte MD5 digest');
  const nonce = decodeBase64(nonceBase64);
  if (!nonce) throw new TypeError('nonce must be base64');
  return md5Cred(hBase64, nonce).toString('base64');
}

/** Device side (simulator): the Cred/Data for name/secret and the nonce the peer gave us. */
export function computeMd5Cred(name: string, secret: string, nonceBase64: string): string {
  return expectedMd5Cred(digestOf(name, secret), nonceBase64);
}

/**
 * Checks a syncml:auth-md5 Cred against the stored H and the nonce we issued. Type must be
 * syncml:auth-md5 (case-insensitive), Format b64 or absent, Data base64 of 16 bytes; the
 * comparison is constant-time. Never throws: anything unusable is false.
 */
export function verifyMd5Cred(cred: SyncmlCred, hBase64: string, nonceBase64: string): boolean {
  if (cred === null || typeof cred !== 'object') return false;
  if (!sameToken(cred.type, AUTH_MD5) || !isB64Format(cred.format)) return false;
  if (!isDigestB64(hBase64)) return false;
  const nonce = decodeBase64(nonceBase64);
  const presented = decodeBase64(cred.data);
  if (!nonce || !presented || presented.length !== 16) return false;
  return timingSafeEqual(presented, md5Cred(hBase64, nonce));
}

/**
 * The user and password of a syncml:auth-basic Cred (Data = b64(user ":" password), UTF-8), or
 * undefined when it is not one (other type, not base64, no ':', empty user, invalid UTF-8).
 * The password is split at the first ':'.
 */
export function basicCredUser(cred: SyncmlCred): { user: string; password: string } | undefined {
  if (cred === null || typeof cred !== 'object') return undefined;
  if (!sameToken(cred.type, AUTH_BASIC) || !isB64Format(cred.format)) return undefined;
  const bytes = decodeBase64(cred.data);
  if (!bytes) return undefined;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
  const colon = text.indexOf(':');
  if (colon <= 0) return undefined;
  return { user: text.slice(0, colon), password: text.slice(colon + 1) };
}

/**
 * Checks a syncml:auth-basic Cred against the expected user name and the stored
 * H = b64(md5(name:secret)), in constant time for the digest comparison. Never throws.
 */
export function verifyBasicCred(cred: SyncmlCred, expectedUser: string, hBase64: string): boolean {
  const basic = basicCredUser(cred);
  if (!basic || !isDigestB64(hBase64)) return false;
  const presented = Buffer.from(digestOf(basic.user, basic.password), 'base64');
  const stored = Buffer.from(hBase64, 'base64');
  const digestOk = timingSafeEqual(presented, stored);
  return digestOk && basic.user === expectedUser;
}
