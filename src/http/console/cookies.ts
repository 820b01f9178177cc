// The few cookies the console reads and writes itself (the session cookie is session-cookie.ts's):
// the language, and the one-shot flash message a redirect carries to the next page. Both are
// __Host- prefixed like the session cookie (Secure, Path=/, no Domain), so another host of the
// domain or a plain-HTTP page cannot set or shadow them (a planted flash is text on our page).
import type { FastifyReply, FastifyRequest } from 'fastify';

/** The request's cookies by name (the first of a repeated name wins; undecodable values are skipped). */
export function cookiesOf(request: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    if (!name || name in out) continue;
    try {
      out[name] = decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      /* not ours */
    }
  }
  return out;
}

// Fastify appends to set-cookie rather than replacing it, so each cookie is one header line.
const appendCookie = (reply: FastifyReply, cookie: string) => reply.header('set-cookie', cookie);

export const LANG_COOKIE = '__Host-fenestra-lang';
const FLASH_COOKIE = '__Host-fenestra-flash';

export function setLangCookie(reply: FastifyReply, lang: string) {
  appendCookie(reply, `${LANG_COOKIE}=${lang}; Path=/; Max-Age=31536000; Secure; SameSite=Lax`);
}

/** A message for the page the redirect leads to (shown once). */
export function setFlash(reply: FastifyReply, message: string) {
  appendCookie(reply, `${FLASH_COOKIE}=${encodeURIComponent(message.slice(0, 500))}; Path=/; Max-Age=60; HttpOnly; Secure; SameSite=Strict`);
}

/** The flash message the request brings, cleared from the browser by this reply. */
export function takeFlash(request: FastifyRequest, reply: FastifyReply): string | undefined {
  const v = cookiesOf(request)[FLASH_COOKIE];
  if (v === undefined) return undefined;
  appendCookie(reply, `${FLASH_COOKIE}=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict`);
  return v || undefined;
}
