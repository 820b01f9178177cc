// A store conflict (another replica served a concurrent message of the same session first)
// answers 503 with Retry-After, so the device retries, instead of a bare 500.
import Fastify from 'fastify';
import t from 'tap';
import { errorHandler } from '../../src/http/errors.js';
import { CommandClaimConflict } from '../../src/store/postgres/management.js';

t.test('503 with Retry-After on a claim conflict', async (t) => {
  const app = Fastify();
  app.setErrorHandler(errorHandler);
  app.post('/ManagementServer/MDM.svc', async () => {
    throw new CommandClaimConflict(['c1']);
  });
  app.post('/other', async () => {
    throw new Error('boom');
  });
  t.teardown(() => app.close());
  const r = await app.inject({ method: 'POST', url: '/ManagementServer/MDM.svc' });
  t.equal(r.statusCode, 503);
  t.equal(r.headers['retry-after'], '1');
  t.match(r.body, /retry/);
  t.equal((await app.inject({ method: 'POST', url: '/other' })).statusCode, 500, 'other errors stay 500');
});
