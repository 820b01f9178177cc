// Verify a certificate a device presented (TLS peer certificate, or forwarded by a trusted
// proxy): docs/architecture.md "Device identity", step 2.
//
// Here: issued by our CA (signature), a device certificate (clientAuth EKU, not a CA — so neither
// our CA certificate nor our TLS server certificate passes), within its validity period.
// Not here: revocation and the device binding — the session engine looks the thumbprint up in
// the store (status active, device enrolled) and compares the device with SyncHdr Source.
//
// Every session of a device presents the same certificate, so the time-independent part of the
// verdict is cached per certificate in a bounded LRU (keyed by SHA-1 thumbprint, confirmed by
// SHA-256 so that a thumbprint collision can never borrow another certificate's verdict). The
// validity window is checked against `now` on every call. No I/O, no logging.
import { X509Certificate, createHash } from 'node:crypto';
import type { CertificateAuthority } from '../pki/ca.js';
import { sha1Thumbprint } from '../pki/der.js';
import { OID } from '../pki/oids.js';

export type CertCheck = { ok: true; thumbprint: string } | { ok: false; reason: 'not_ours' | 'expired' | 'not_yet_valid' | 'malformed' };

/** Default bound of the per-CA verdict cache. */
export const DEVICE_CERT_CACHE_MAX_ENTRIES = 50_000;

/** Certificates larger than this are refused as malformed before any parsing (ours are ~1 KiB). */
export const MAX_DEVICE_CERT_BYTES = 16 * 1024;

interface Verdict {
  /** SHA-256 of the DER, to confirm a thumbprint hit. */
  sha256: Buffer;
  result: 'ours' | 'not_ours' | 'malformed';
  notBefore: number;
  notAfter: number;
}

/** The time-independent part of the check (the costly part: parse + signature). */
function analyse(der: Buffer, ca: CertificateAuthority, sha256: Buffer): Verdict {
  const verdict = (result: Verdict['result'], notBefore = NaN, notAfter = NaN): Verdict => ({ sha256, result, notBefore, notAfter });
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(der);
  } catch {
    return verdict('malformed');
  }
  // Exactly one DER certificate: rejects PEM text, BER, trailing bytes.
  if (!x509.raw.equals(der)) return verdict('malformed');
  const notBefore = Date.parse(x509.validFrom);
  const notAfter = Date.parse(x509.validTo);
  if (Number.isNaN(notBefore) || Number.isNaN(notAfter)) return verdict('malformed');
  // Our CA certificate is "issued by us" too (self-signed), as is any CA certificate we might sign.
  if (x509.ca || der.equals(ca.certDer)) return verdict('not_ours', notBefore, notAfter);
  if (!ca.isIssuedByUs(der)) return verdict('not_ours', notBefore, notAfter);
  // Node 20: `keyUsage` is the extendedKeyUsage OID list (undefined without the extension).
  const eku = x509.keyUsage as string[] | undefined;
  if (!Array.isArray(eku) || !eku.includes(OID.clientAuth)) return verdict('not_ours', notBefore, notAfter);
  return verdict('ours', notBefore, notAfter);
}

/**
 * Digests of DER buffers seen before, by buffer object: a kept-alive connection hands the same
 * Buffer (cached per TLS socket) to every request, so its SHA-1 and SHA-256 are computed once.
 * A private copy is kept and compared, so a buffer changed in place is digested afresh.
 */
const digests = new WeakMap<Buffer, { copy: Buffer; thumbprint: string; sha256: Buffer }>();

function digestsOf(der: Buffer): { thumbprint: string; sha256: Buffer } {
  const known = digests.get(der);
  if (known && known.copy.equals(der)) return known;
  const d = { copy: Buffer.from(der), thumbprint: sha1Thumbprint(der), sha256: createHash('sha256').update(der).digest() };
  digests.set(der, d);
  return d;
}

/** Device certificate checks against one CA, with a bounded LRU of verdicts. */
export class DeviceCertificateVerifier {
  readonly ca: CertificateAuthority;
  readonly maxEntries: number;
  readonly #cache = new Map<string, Verdict>();

  constructor(ca: CertificateAuthority, opts: { maxEntries?: number } = {}) {
    const max = opts.maxEntries ?? DEVICE_CERT_CACHE_MAX_ENTRIES;
    if (!Number.isInteger(max) || max < 0) throw new TypeError('maxEntries must be a non-negative integer');
    this.ca = ca;
    this.maxEntries = max;
  }

  /** Number of cached verdicts. */
  get size(): number {
    return this.#cache.size;
  }

  clear(): void {
    this.#cache.clear();
  }

  /**
   * Verifies `der` at time `now`. Order: malformed, then not_ours, then not_yet_valid / expired
   * (notBefore and notAfter inclusive). Throws a TypeError only for an invalid `now`.
   */
  check(der: Buffer, now: Date): CertCheck {
    const t = now instanceof Date ? now.getTime() : NaN;
    if (Number.isNaN(t)) throw new TypeError('now must be a valid Date');
    if (!Buffer.isBuffer(der) || der.length === 0 || der.length > MAX_DEVICE_CERT_BYTES) {
      return { ok: false, reason: 'malformed' };
    }
    const { thumbprint, sha256 } = digestsOf(der);
    let v = this.#cache.get(thumbprint);
    if (v && v.sha256.equals(sha256)) {
      this.#cache.delete(thumbprint); // refresh recency
      this.#cache.set(thumbprint, v);
    } else {
      v = analyse(der, this.ca, sha256);
      this.#remember(thumbprint, v);
    }
    if (v.result !== 'ours') return { ok: false, reason: v.result };
    if (t < v.notBefore) return { ok: false, reason: 'not_yet_valid' };
    if (t > v.notAfter) return { ok: false, reason: 'expired' };
    return { ok: true, thumbprint };
  }

  #remember(thumbprint: string, v: Verdict): void {
    if (this.maxEntries === 0) return;
    this.#cache.delete(thumbprint);
    while (this.#cache.size >= this.maxEntries) {
      const oldest = this.#cache.keys().next().value as string;
      this.#cache.delete(oldest);
    }
    this.#cache.set(thumbprint, v);
  }
}

const verifiers = new WeakMap<CertificateAuthority, DeviceCertificateVerifier>();

/** The shared verifier (and cache) for `ca`. */
export function deviceCertificateVerifier(ca: CertificateAuthority): DeviceCertificateVerifier {
  let v = verifiers.get(ca);
  if (!v) {
    v = new DeviceCertificateVerifier(ca);
    verifiers.set(ca, v);
  }
  return v;
}

/**
 * Is `der` a device certificate issued by `ca` and valid at `now`? On success returns its SHA-1
 * thumbprint (40 upper-case hex characters, as stored in IssuedCertificateRecord.thumbprint).
 * Uses a per-CA cache of DEVICE_CERT_CACHE_MAX_ENTRIES verdicts.
 */
export function checkDeviceCertificate(der: Buffer, ca: CertificateAuthority, now: Date): CertCheck {
  return deviceCertificateVerifier(ca).check(der, now);
}
