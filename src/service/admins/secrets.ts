// The secrets administrators hold, and what the server keeps of them: random session tokens and
// API tokens (stored as SHA-256 only: they are 256-bit random, so a fast hash is enough), the
// CSRF token of a session (an HMAC of its token, so it needs no storage), the setup code.
import crypto from 'node:crypto';

/** 32 random bytes, base64url (43 characters). */
export const randomSecret = (): string => crypto.randomBytes(32).toString('base64url');

export const sha256Hex = (s: string): string => crypto.createHash('sha256').update(s).digest('hex');

/** Constant-time equality of two strings of any length (compares their SHA-256). */
export function sameSecret(a: string, b: string): boolean {
  return crypto.timingSafeEqual(crypto.createHash('sha256').update(a).digest(), crypto.createHash('sha256').update(b).digest());
}

/** The CSRF token of a browser session: HMAC-SHA256 of the session token under the server's CSRF key. */
export const csrfTokenOf = (key: Buffer, sessionToken: string): string => crypto.createHmac('sha256', key).update(sessionToken).digest('base64url');

/**
 * API tokens: `fen_<prefix>_<secret>`. The prefix (8 hex digits) is public — shown in lists and
 * used to find the row; the whole token is what is hashed and compared.
 */
const API_TOKEN = /^fen_([0-9a-f]{8})_([A-Za-z0-9_-]{43})$/;

export function newApiToken(): { token: string; prefix: string; tokenHash: string } {
  const prefix = crypto.randomBytes(4).toString('hex');
  const token = `fen_${prefix}_${randomSecret()}`;
  return { token, prefix, tokenHash: sha256Hex(token) };
}

/** The prefix of a well-formed API token; undefined for anything else. */
export const apiTokenPrefix = (token: string): string | undefined => API_TOKEN.exec(token)?.[1];

/** Looks like a personal API token (used to tell it from the break-glass token in logs). */
export const isApiTokenShaped = (token: string): boolean => token.startsWith('fen_');
