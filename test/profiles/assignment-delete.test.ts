// DELETE /api/v1/profiles/:id/assignments accepts exactly what the POST accepts: the same body
// (a device by its Windows DeviceID, an id with surrounding spaces, a UPN in another letter
// case) removes the same assignment.
import t from 'tap';
import { enrollEntraDevice } from '../helpers/enrolled.js';
import { startTestServer } from '../helpers/server.js';

t.test('the body that assigned removes the assignment', async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.close());
  const tid = await s.connectTenant();
  const { dev } = await enrollEntraDevice(s, tid);
  const p = await s.admin('POST', '/api/v1/profiles', { name: 'Wi-Fi', kind: 'wifi', scope: 'device', settings: { ssid: 'Contoso', security: 'open' } });
  t.equal(p.status, 201, JSON.stringify(p.json));
  const g = await s.admin('POST', '/api/v1/groups', { name: 'Kiosks', kind: 'device' });
  t.equal(g.status, 201);
  const A = `/api/v1/profiles/${p.json.id}/assignments`;
  const bodies = [
    { targetType: 'device', targetId: dev.deviceId },
    { targetType: 'device', targetId: `  ${dev.deviceId} ` },
    { targetType: 'group', targetId: ` ${g.json.id}  ` },
    { targetType: 'user', targetId: ' Carol@Contoso.COM ' },
    { targetType: 'all' }, // a targetId with "all" is refused (test/admin/refusals.test.ts)
  ];
  for (const body of bodies) {
    const added = await s.admin('POST', A, body);
    t.equal(added.status, 201, `assign ${JSON.stringify(body)}: ${JSON.stringify(added.json)}`);
    t.equal((await s.admin('GET', `/api/v1/profiles/${p.json.id}`)).json.assignments.length, 1);
    t.equal((await s.admin('DELETE', A, body)).status, 204, `unassign ${JSON.stringify(body)}`);
    t.equal((await s.admin('GET', `/api/v1/profiles/${p.json.id}`)).json.assignments.length, 0, 'removed');
    t.equal((await s.admin('DELETE', A, body)).status, 404, 'a second delete finds nothing');
  }
  t.equal((await s.admin('DELETE', A, { targetType: 'device', targetId: 'nope' })).status, 404);
  t.equal((await s.admin('DELETE', A, { targetType: 'fax', targetId: 'x' })).status, 400);
  const audit = (await s.admin('GET', '/api/v1/audit')).json;
  const un = (Array.isArray(audit) ? audit : (audit.items ?? audit.entries ?? [])).filter((e: any) => e.action === 'profile.unassign');
  t.equal(un.length, bodies.length, 'each removal audited');
});
