// Device responses are sent whole with an explicit Content-Length: Windows' enrollment and
// OMA-DM clients do not accept chunked bodies.
import type { FastifyReply } from 'fastify';

export function sendWhole(reply: FastifyReply, status: number, contentType: string, body: string | Buffer): FastifyReply {
  const buf = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  return reply.code(status).header('content-type', contentType).header('content-length', buf.length).send(buf);
}
