// The console's session cookie: the session token only (the server keeps its hash). __Host-
// prefix: Secure, Path=/, no Domain, so no other host or path can set or shadow it. HttpOnly
// (no script reads it), SameSite=Strict (no other site's page sends it). No Max-Age: it goes with
// the browser session, and the server ends it after the idle or absolute timeout anyway.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SignedIn } from '../../service/admins/service.js';

export const SESSION_COOKIE = '__Host-fenestra-session';

const ATTRIBUTES = 'Path=/; Secure; HttpOnly; SameSite=Strict';

export function setSessionCookie(reply: FastifyReply, signedIn: Pick<SignedIn, 'sessionToken'>): void {
  // Fastify appends set-cookie headers: other cookies of the same reply stay.
  reply.header('set-cookie', `${SESSION_COOKIE}=${signedIn.sessionToken}; ${ATTRIBUTES}`);
}

export function clearSessionCookie(reply: FastifyReply): void {
  reply.header('set-cookie', `${SESSION_COOKIE}=; ${ATTRIBUTES}; Max-Age=0`);
}

/** The session token the request's Cookie header carries, if any. */
export function sessionTokenOf(request: FastifyRequest): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) return part.slice(eq + 1).trim() || undefined;
  }
  return undefined;
}
