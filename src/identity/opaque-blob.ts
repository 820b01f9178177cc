// HMAC-SHA256 sealed values (docs/protocol-notes.md "Terms of use").
//
// The Terms-of-Use OpaqueBlob travels Accept → Windows → our enrollment endpoint (RST
// AdditionalContext `EnrollmentData`), unchanged. It is a short-lived, signed statement
// "user {oid} of tenant {tid} accepted the terms at {acceptedAt}"; the enrollment endpoint verifies
// it and checks that its oid/tid equal the enrollment token's.
//
// Wire format: base64url(JSON) "." base64url(HMAC-SHA256(secret, "fenestra/<purpose>/v1." + base64url(JSON)))
// The purpose string separates uses of the same secret (a ToU page state can never be replayed as
// an OpaqueBlob and vice versa). All times are milliseconds since the Unix epoch (Date.now()).
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface OpaqueBlobPayload {
  tid: string;
  oid: string;
  upn?: string;
  /** ms since epoch */
  acceptedAt: number;
  /** ms since epoch; the blob is refused from this instant on */
  exp: number;
}

export type OpaqueBlobErrorCode = 'malformed' | 'bad_mac' | 'expired';

export class OpaqueBlobError extends Error {
  public code: OpaqueBlobErrorCode;
  constructor(code: OpaqueBlobErrorCode, message: string) {
    super(message);
    this.code = code;
    this.name = 'OpaqueBlobError';
  }
}

/** Suggested lifetime of an OpaqueBlob: long enough for OOBE to go from ToU to enrollment. */
export const OPAQUE_BLOB_TTL_MS = 30 * 60 * 1000;

const MIN_SECRET_BYTES = 16;
const MAX_SEALED_CHARS = 8 * 1024;
const B64URL = /^[A-Za-z0-9_-]+$/;
const MAC_BYTES = 32;

function checkSecret(secret: Buffer): void {
  if (!Buffer.isBuffer(secret) || secret.length < MIN_SECRET_BYTES) {
    throw new TypeError(`HMAC secret must be a Buffer of at least ${MIN_SECRET_BYTES} bytes`);
  }
}

function mac(purpose: string, body: string, secret: Buffer): Buffer {
  return createHmac('sha256', secret).update(`fenestra/${purpose}/v1.`).update(body).digest();
}

/** Seal a JSON-serialisable value under `purpose`. */
export function sealHmac(purpose: string, value: unknown, secret: Buffer): string {
  checkSecret(secret);
  const body = Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
  return `${body}.${mac(purpose, body, secret).toString('base64url')}`;
}

/** Open a value sealed with sealHmac under the same purpose. Throws OpaqueBlobError (malformed / bad_mac). */
export function openHmac(purpose: string, sealed: string, secret: Buffer): unknown {
  checkSecret(secret);
  if (typeof sealed !== 'string' || sealed.length === 0 || sealed.length > MAX_SEALED_CHARS) {
    throw new OpaqueBlobError('malformed', 'sealed value is empty or too large');
  }
  const dot = sealed.indexOf('.');
  if (dot <= 0 || dot !== sealed.lastIndexOf('.')) throw new OpaqueBlobError('malformed', 'sealed value is not body.mac');
  const body = sealed.slice(0, dot);
  const macText = sealed.slice(dot + 1);
  if (!B64URL.test(body) || !B64URL.test(macText)) throw new OpaqueBlobError('malformed', 'sealed value is not base64url');
  const given = Buffer.from(macText, 'base64url');
  // Canonical encoding only: no alternative spellings of the same MAC.
  if (given.length !== MAC_BYTES || given.toString('base64url') !== macText) throw new OpaqueBlobError('bad_mac', 'MAC does not match');
  const expected = mac(purpose, body, secret);
  if (!timingSafeEqual(given, expected)) throw new OpaqueBlobError('bad_mac', 'MAC does not match');
  try {
    return JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    throw new OpaqueBlobError('malformed', 'sealed body is not JSON');
  }
}

const BLOB_PURPOSE = 'tou-opaque-blob';

function isFiniteNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function checkPayload(p: unknown): OpaqueBlobPayload | undefined {
  if (!p || typeof p !== 'object' || Array.isArray(p)) return undefined;
  const o = p as Record<string, unknown>;
  if (typeof o.tid !== 'string' || o.tid.length === 0) return undefined;
  if (typeof o.oid !== 'string' || o.oid.length === 0) return undefined;
  if (o.upn !== undefined && typeof o.upn !== 'string') return undefined;
  if (!isFiniteNumber(o.acceptedAt) || !isFiniteNumber(o.exp) || o.exp < o.acceptedAt) return undefined;
  const out: OpaqueBlobPayload = { tid: o.tid, oid: o.oid, acceptedAt: o.acceptedAt, exp: o.exp };
  if (typeof o.upn === 'string') out.upn = o.upn;
  return out;
}

export function signOpaqueBlob(payload: OpaqueBlobPayload, secret: Buffer): string {
  const p = checkPayload(payload);
  if (!p) throw new TypeError('signOpaqueBlob: payload needs tid, oid, numeric acceptedAt <= exp, optional string upn');
  return sealHmac(BLOB_PURPOSE, p, secret);
}

/**
 * Verify an OpaqueBlob and return its payload. Throws OpaqueBlobError: `malformed` (garbage),
 * `bad_mac` (tampered / other secret), `expired` (now >= exp). `now` is ms since epoch.
 */
export function verifyOpaqueBlob(blob: string, secret: Buffer, now: number = Date.now()): OpaqueBlobPayload {
  const p = checkPayload(openHmac(BLOB_PURPOSE, blob, secret));
  if (!p) throw new OpaqueBlobError('malformed', 'opaque blob payload is invalid');
  if (now >= p.exp) throw new OpaqueBlobError('expired', 'opaque blob has expired');
  return p;
}
