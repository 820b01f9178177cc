// MSIX/APPX package identity strings, as Windows derives them from the manifest's Identity.
import { createHash } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/**
 * The 13-character publisher id: the first 8 bytes of SHA-256 over the publisher's distinguished
 * name in UTF-16LE, padded with one zero bit to 65 bits, in 5-bit groups from the most
 * significant (Crockford-like base32 without i, l, o, u). "CN=Microsoft Corporation, O=Microsoft
 * Corporation, L=Redmond, S=Washington, C=US" gives 8wekyb3d8bbwe.
 */
export function publisherId(publisher: string): string {
  const digest = createHash('sha256').update(Buffer.from(publisher, 'utf16le')).digest();
  let bits = (digest.readBigUInt64BE(0) << 1n) & ((1n << 65n) - 1n);
  let out = '';
  for (let i = 0; i < 13; i++) {
    out = ALPHABET[Number(bits & 31n)] + out;
    bits >>= 5n;
  }
  return out;
}

/** `${name}_${publisherId}`. */
export function packageFamilyName(name: string, publisher: string): string {
  return `${name}_${publisherId(publisher)}`;
}

/**
 * `${name}_${version}_${architecture}_${resourceId}_${publisherId}`: a package with no resource
 * id has two underscores there (Name_1.0.0.0_x64__8wekyb3d8bbwe); a bundle is neutral with the
 * resource id '~' (Name_1.0.0.0_neutral_~_8wekyb3d8bbwe).
 */
export function packageFullName(id: { name: string; version: string; architecture: string; resourceId?: string; publisher: string }): string {
  return `${id.name}_${id.version}_${id.architecture}_${id.resourceId ?? ''}_${publisherId(id.publisher)}`;
}
