// Admin API authentication: Authorization: Bearer <FENESTRA_ADMIN_TOKEN>, compared in constant time.
import crypto from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

export function adminAuthHook(adminToken: string) {
  const expected = crypto.createHash('sha256').update(adminToken).digest();
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const h = request.headers.authorization ?? '';
    const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
    const got = crypto
      .createHash('sha256')
      .update(m ? m[1] : '')
      .digest();
    if (!m || !crypto.timingSafeEqual(got, expected)) {
      // At warn: a wrong or missing admin token is someone probing the admin API (or a script with
      // a stale token). The client address says who; the presented value is never logged.
      request.log.warn({ client: request.ip, reason: m ? 'wrong token' : h ? 'not a bearer token' : 'no authorization header' }, 'admin authentication failed');
      reply
        .code(401)
        .header('www-authenticate', 'Bearer realm="fenestra-admin"')
        .send({ error: { code: 'unauthorized', message: 'a valid admin bearer token is required' } });
      return reply;
    }
  };
}

/** Who did it, for the audit log. One admin token today; per-admin identities can slot in here. */
export function actorOf(request: FastifyRequest): string {
  return `admin-token@${request.ip}`;
}
