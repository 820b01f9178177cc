// Admin API authentication: the break-glass token, a personal API token or a console session
// (principal.ts decides which), the CSRF token of cookie-authenticated changes, and who the audit
// log names.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { authenticate, clientOf, csrfOk, principalOf } from './principal.js';

export function adminAuthHook() {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (await authenticate(request)) return;
    // At warn (principal.ts logs refused credentials with their reason): a request with none at
    // all is someone probing the admin API, or a script that lost its token.
    if (!request.headers.authorization && !request.headers.cookie) {
      request.log.warn({ client: clientOf(request), reason: 'no authorization header' }, 'admin authentication failed');
    }
    reply
      .code(401)
      .header('www-authenticate', 'Bearer realm="fenestra-admin"')
      .send({ error: { code: 'unauthorized', message: 'a valid admin bearer token is required' } });
    return reply;
  };
}

/**
 * preValidation: a change made with a session cookie carries the session's CSRF token in the
 * x-csrf-token header (or a `_csrf` member of the JSON body, removed before the body is validated).
 */
export function csrfHook() {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const principal = principalOf(request);
    if (principal.via !== 'session') return;
    const body = request.body as Record<string, unknown> | undefined;
    const fromBody = body && typeof body === 'object' && !Array.isArray(body) ? body._csrf : undefined;
    if (fromBody !== undefined) delete body!._csrf;
    if (csrfOk(request, principal, fromBody)) return;
    request.log.warn({ client: clientOf(request), admin: principal.name }, 'CSRF token missing or wrong');
    reply.code(403).send({ error: { code: 'csrf', message: "missing or wrong CSRF token: send this session's token in the x-csrf-token header" } });
    return reply;
  };
}

/**
 * Who did it, for the audit log: the administrator's user name (with the API token's name when
 * one was used), or `break-glass@<address>` for FENESTRA_ADMIN_TOKEN (the client's address, as a trusted
 * proxy forwards it).
 */
export function actorOf(request: FastifyRequest): string {
  const p = principalOf(request);
  if (p.via === 'break-glass') return `break-glass@${clientOf(request)}`;
  if (p.via === 'api-token') return `${p.name} (token ${p.tokenName ?? p.tokenId ?? '?'})`;
  return p.name;
}
