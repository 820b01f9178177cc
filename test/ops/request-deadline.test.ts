// The per-request deadline: a request whose handler has not answered in time (a database that
// went silent) gets 503 + Retry-After; the handler's late answer is discarded without harm.
import Fastify from 'fastify';
import t from 'tap';
import { requestDeadline } from '../../src/http/deadline.js';

t.test('503 + Retry-After past the deadline, late answers discarded', async (t) => {
  const app = Fastify();
  requestDeadline(app, 150);
  let release!: () => void;
  const late = new Promise<void>((r) => (release = r));
  let lateAnswered: Promise<unknown> | undefined;
  app.post('/ManagementServer/MDM.svc', async (_request, reply) => {
    await late;
    lateAnswered = Promise.resolve(reply.code(200).send('too late'));
    return reply;
  });
  app.get('/api/v1/devices', () => new Promise(() => undefined));
  app.get('/fast', async () => 'ok');
  await app.listen({ port: 0, host: '127.0.0.1' });
  t.teardown(() => app.close());
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;

  const t0 = Date.now();
  const r = await fetch(`${base}/ManagementServer/MDM.svc`, { method: 'POST', body: '<SyncML/>', headers: { 'content-type': 'text/plain' } });
  t.equal(r.status, 503);
  t.equal(r.headers.get('retry-after'), '5');
  t.match(await r.text(), /no answer within 0.15 s; retry later/);
  t.ok(Date.now() - t0 < 2000, 'answered at the deadline');
  release();
  await late;
  await lateAnswered;

  const api = await fetch(`${base}/api/v1/devices`);
  t.equal(api.status, 503);
  t.same(await api.json(), { error: { code: 'unavailable', message: 'no answer within 0.15 s; retry later' } });
  const fast = await fetch(`${base}/fast`);
  t.equal(fast.status, 200, 'a request answered in time is untouched');
  t.equal(await fast.text(), 'ok');
});
