// What binds the later messages of a digest-authenticated OMA-DM session to its first one: every
// reply of such a session names, in SyncHdr/RespURI, the management URL with a fresh random
// token (`?s=`), which Windows uses for its next message. Only the token's hash is stored with the
// session state; a message without credentials continues the session only with the token of the
// session's last reply. Session state not touched for SESSION_IDLE_MS is expired.
import crypto from 'node:crypto';

/** An unfinished session is forgotten after this long without a message. */
export const SESSION_IDLE_MS = 15 * 60_000;

/** The query parameter that carries the token. */
export const TOKEN_PARAM = 's';

export const newSessionToken = (): string => crypto.randomBytes(18).toString('base64url');

export const hashSessionToken = (token: string): string => crypto.createHash('sha256').update(token).digest('base64url');

/** Constant-time: does `token` hash to `hash`? */
export function sessionTokenMatches(hash: string | undefined, token: string | undefined): boolean {
  if (!hash || !token || token.length > 128) return false;
  const a = Buffer.from(hashSessionToken(token));
  const b = Buffer.from(hash);
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}

/** The URL for the device's next message: `base` with the token, keeping the session's mode. */
export function respUri(base: string, token: string, mode: string | undefined): string {
  const q = new URLSearchParams();
  if (mode) q.set('mode', mode);
  q.set(TOKEN_PARAM, token);
  return `${base}?${q.toString()}`;
}
