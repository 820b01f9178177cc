// #12: `lock` is not a Windows desktop action. Asked for, it is a 400 on /action that says why
// and what to do instead, nothing is queued, and it is no urgent action (nothing to push for).
import t from 'tap';
import { URGENT_ACTIONS } from '../../src/service/push/service.js';
import { enrollEntraDevice } from '../helpers/enrolled.js';
import { startTestServer } from '../helpers/server.js';

t.test('action lock: 400 naming the field, saying Windows desktop has no remote lock, nothing queued', async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.close());
  const { dev } = await enrollEntraDevice(s, await s.connectTenant());
  const r = await s.admin('POST', `/api/v1/devices/${dev.deviceId}/commands`, { action: 'lock' });
  t.equal(r.status, 400, JSON.stringify(r.json));
  t.equal(r.json.error.pointer, '/action');
  t.match(r.json.error.message, /Windows desktop has no remote lock over MDM/);
  t.match(r.json.error.message, /reboot/, 'suggests what to do instead');
  const list = await s.admin('GET', `/api/v1/devices/${dev.deviceId}/commands`);
  t.notOk(
    (list.json.commands as { action?: string }[]).some((c) => c.action === 'lock'),
    'nothing queued',
  );
  t.notOk(URGENT_ACTIONS.has('lock'));
  t.ok(URGENT_ACTIONS.has('wipe'));
});
