// Liveness (process up) and readiness (store reachable).
import type { FastifyInstance } from 'fastify';
import type { Store } from '../store/types.js';

export async function healthRoutes(app: FastifyInstance, opts: { store: Store }): Promise<void> {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (request, reply) => {
    try {
      await opts.store.ping();
      return { status: 'ready' };
    } catch (err) {
      request.log.warn({ err }, 'store not reachable');
      return reply.code(503).send({ status: 'unavailable', reason: 'store not reachable' });
    }
  });
}
