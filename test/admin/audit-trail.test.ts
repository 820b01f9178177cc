// The audit log names who did what (#10 item 11): group membership changes (the admin),
// enrollments (the enrolling principal) and unenrollments (the device). Renewals and revocations
// are checked in test/enrollment/renewal-race.test.ts and test/admin/device-revoke.test.ts.
import t from 'tap';
import { startTestServer } from '../helpers/server.js';
import { entraSimDevice } from '../helpers/sim-device.js';

t.test('group membership changes, enrollment and unenrollment are audited with their principal', async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.close());
  const tid = await s.connectTenant();
  const entries = async () => (await s.admin('GET', '/api/v1/audit?limit=50')).json.entries as any[];

  const g = await s.admin('POST', '/api/v1/groups', { name: 'Sales', kind: 'user', members: ['a@contoso.com'] });
  t.equal(g.status, 201);
  t.equal((await s.admin('POST', `/api/v1/groups/${g.json.id}/members`, { members: ['b@contoso.com', 'a@contoso.com'] })).status, 200);
  t.equal((await s.admin('DELETE', `/api/v1/groups/${g.json.id}/members/b@contoso.com`)).status, 204);
  const groupLog = (await entries()).filter((e) => e.targetId === g.json.id && e.action.startsWith('group.members.'));
  t.match(
    groupLog.map((e) => [e.action, e.detail]),
    [
      ['group.members.remove', { member: 'b@contoso.com' }],
      ['group.members.add', { added: ['b@contoso.com'] }],
      ['group.members.add', { added: ['a@contoso.com'] }],
    ],
    'every membership change, with what changed',
  );
  t.ok(groupLog.every((e) => /^break-glass@/.test(e.actor)));

  const dev = entraSimDevice(s, tid, { oid: '0b8e4a3c-5d8b-4d2e-9a51-2f4f1c7a9e10' });
  await dev.enroll();
  const pk = (await s.admin('GET', `/api/v1/devices/${dev.deviceId}`)).json.id;
  t.match(
    (await entries()).find((e) => e.targetId === pk),
    {
      action: 'device.enroll',
      actor: `entra:${tid}/0b8e4a3c-5d8b-4d2e-9a51-2f4f1c7a9e10`,
      detail: { deviceId: dev.deviceId, enrollmentType: 'Device' },
    },
  );
  await dev.unenroll();
  t.match(
    (await entries()).find((e) => e.targetId === pk),
    { action: 'device.unenroll', actor: `device:${dev.deviceId}`, detail: { reason: /user/ } },
  );
});
