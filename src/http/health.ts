// Liveness (process up) and readiness: the store answers within its ping budget and its writes
// succeed (SQLite: a full disk or a failing write-behind makes the process not ready).
import type { FastifyInstance } from 'fastify';
import type { Store } from '../store/types.js';

export async function healthRoutes(app: FastifyInstance, opts: { store: Store }): Promise<void> {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (request, reply) => {
    try {
      await opts.store.ping();
      return { status: 'ready' };
    } catch (err) {
      request.log.warn({ reason: (err as Error).message }, 'store not ready');
      return reply.code(503).header('retry-after', '5').send({ status: 'unavailable', reason: 'store not reachable or not writable' });
    }
  });
}
