// A start prints no deprecation warning (an operator learns to ignore warnings printed at every
// start, and then misses the one that matters).
import t from 'tap';
import { startTestServer } from '../helpers/server.js';

t.test('starting a server emits no deprecation warning', async (t) => {
  const warnings: string[] = [];
  const onWarning = (w: Error & { code?: string }) => {
    // The test runner's TypeScript loader has warnings of its own (module.register() on Node 26): not the server's.
    if (/node_modules\/(@tapjs|@isaacs\/ts-node)/.test(w.stack ?? '')) return;
    if (w.name === 'DeprecationWarning' || /deprecat/i.test(w.name) || w.code?.startsWith('FSTDEP')) warnings.push(`${w.name} ${w.code ?? ''}: ${w.message}`);
  };
  process.on('warning', onWarning);
  t.teardown(() => void process.off('warning', onWarning));
  const s = await startTestServer({ FENESTRA_ADMIN_LISTEN: '127.0.0.1:0' });
  t.teardown(() => s.close());
  t.equal((await s.request('/healthz')).status, 200);
  await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
  t.same(warnings, []);
});
