// Per-request deadline: a request still unanswered after `ms` (the database went silent, a lock
// never came) is answered 503 + Retry-After instead of holding the device, the load balancer and
// a connection for minutes. The handler's late answer is discarded. Store calls have their own,
// shorter, timeouts; this is the backstop for everything else.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export const DEADLINE_RETRY_AFTER_SECONDS = 5;

const timers = new WeakMap<FastifyRequest, NodeJS.Timeout>();

export function requestDeadline(app: FastifyInstance, ms: number): void {
  const expire = (request: FastifyRequest, reply: FastifyReply) => {
    timers.delete(request);
    if (reply.sent || reply.raw.headersSent || reply.raw.destroyed) return;
    request.log.warn({ url: request.url.split('?')[0], ms }, 'request deadline exceeded');
    reply.code(503).header('retry-after', String(DEADLINE_RETRY_AFTER_SECONDS)).header('x-fenestra-outcome', 'deadline');
    const message = `no answer within ${ms / 1000} s; retry later`;
    if (request.url.startsWith('/api/')) void reply.send({ error: { code: 'unavailable', message } });
    else void reply.type('text/plain; charset=utf-8').send(`${message}\n`);
  };
  const clear = (request: FastifyRequest) => {
    const t = timers.get(request);
    if (t) clearTimeout(t);
    timers.delete(request);
  };
  app.addHook('onRequest', (request, reply, done) => {
    const t = setTimeout(expire, ms, request, reply);
    t.unref();
    timers.set(request, t);
    done();
  });
  app.addHook('onResponse', (request, _reply, done) => {
    clear(request);
    done();
  });
  app.addHook('onRequestAbort', (request, done) => {
    clear(request);
    done();
  });
}
