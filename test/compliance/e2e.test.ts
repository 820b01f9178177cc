// Compliance end to end: a simulated Entra-joined device against a real server. A policy (minimum
// OS build and firewall) assigned to it; its inventory Get reads DeviceStatus, the evaluation
// follows at once; the firewall turned off shows as noncompliant with the reason at the next
// session that reads the inventory; the grace period holds a failing device inGracePeriod; each
// change of what Entra should see is queued for it (reportedCompliant).
import t from 'tap';
import { startTestServer } from '../helpers/server.js';
import { entraSimDevice } from '../helpers/sim-device.js';

t.test('a simulated device: compliant, then noncompliant with the reason, grace period respected', async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.close());
  const tid = await s.connectTenant();
  const dev = entraSimDevice(s, tid, { upn: 'alice@contoso.com' });
  await dev.enroll();
  const id = (await s.admin('GET', '/api/v1/devices')).json.devices.find((d: any) => d.deviceId === dev.deviceId).id;
  const compliance = async () => {
    const r = await s.admin('GET', `/api/v1/devices/${id}/compliance`);
    t.equal(r.status, 200);
    return r.json;
  };
  /** The next session reads the inventory again (the admin's sync). */
  const syncedCheckin = async () => {
    t.equal((await s.admin('POST', `/api/v1/devices/${id}/commands`, { action: 'sync' })).status, 201);
    await dev.checkin();
  };

  t.equal((await compliance()).state, 'unknown', 'no policy yet');
  const created = await s.admin('POST', '/api/v1/compliance-policies', { name: 'Baseline', rules: { minOsBuild: '10.0.22000', firewall: true } });
  t.equal(created.status, 201);
  const pid = created.json.id;
  t.equal((await s.admin('POST', `/api/v1/compliance-policies/${pid}/assignments`, { targetType: 'device', targetId: id })).status, 201);

  await dev.checkin();
  t.equal((await s.server.store.compliance.get(id))?.state, 'compliant', 'evaluated when the inventory arrived (before anyone reads it)');
  let c = await compliance();
  t.equal(c.state, 'compliant', 'build 10.0.22631 and the firewall on');
  t.same(c.reasons, []);
  t.same(c.policies, [`${pid}@1`]);
  t.equal(c.reportedCompliant, true, 'isCompliant=true queued for Entra (first evaluation of an Entra device)');
  t.equal(c.reporting?.isCompliant, true, "the device's newest report to Entra is shown with it");

  dev.setHealth({ firewall: '1' });
  await dev.checkin();
  t.equal((await compliance()).state, 'compliant', 'a session that does not read the inventory changes nothing');
  await syncedCheckin();
  t.equal((await s.server.store.compliance.get(id))?.state, 'noncompliant', 'at the end of the session that read it');
  const inventory = (await s.server.store.devices.get(id))?.inventory ?? {};
  t.equal(inventory['./Vendor/MSFT/DeviceStatus/Firewall/Status'], '1', 'DeviceStatus read by the inventory Get');
  const asked = dev.tree.log.filter((e) => e.kind === 'Get').flatMap((e) => e.targets);
  t.ok(asked.includes(`./Device/Vendor/MSFT/PassportForWork/${tid}/Policies/UsePassportForWork`), "the sync asks for the Hello policy of the device's tenant");
  t.ok(
    Object.keys(inventory).every((k) => !k.includes('PassportForWork')),
    'absent on this device (404): left out of the inventory',
  );
  c = await compliance();
  t.equal(c.state, 'noncompliant');
  t.same(c.reasons, [{ policyId: pid, rule: 'firewall', outcome: 'fail', expected: 'firewall on and monitoring', actual: 'disabled (1)' }]);
  t.ok(c.noncompliantSince, 'since when');
  t.equal(c.reportedCompliant, false, 'isCompliant=false queued');
  const listed = async (state: string) => (await s.admin('GET', `/api/v1/devices?compliance=${state}`)).json.devices.map((d: any) => d.id);
  t.same(await listed('noncompliant'), [id], 'the device list filters by compliance');
  t.same(await listed('compliant'), []);
  t.same(await listed('unknown'), []);
  t.equal((await s.admin('GET', '/api/v1/devices?compliance=bad')).status, 400, 'an unknown state is refused');
  t.same((await s.admin('GET', '/api/v1/fleet/summary')).json.byCompliance, { noncompliant: 1 }, 'the fleet summary counts it');

  // A grace period given to the policy: the device failing since a moment ago is in it (re-evaluated on read: the policy changed).
  t.equal((await s.admin('PATCH', `/api/v1/compliance-policies/${pid}`, { graceHours: 48 })).status, 200);
  c = await compliance();
  t.equal(c.state, 'inGracePeriod');
  t.same(c.policies, [`${pid}@2`]);
  t.equal(c.reasons[0].rule, 'firewall', 'the reason is shown during the grace period');
  t.equal(c.reportedCompliant, true, 'inGracePeriod is reported compliant, as Intune does');
  const since = c.noncompliantSince;
  // Grace over (the policy's grace shortened): noncompliant, counted from the first failure.
  t.equal((await s.admin('PATCH', `/api/v1/compliance-policies/${pid}`, { graceHours: 0 })).status, 200);
  c = await compliance();
  t.equal(c.state, 'noncompliant');
  t.equal(c.noncompliantSince, since, 'still failing since the first failure');

  dev.setHealth({ firewall: '0' });
  await syncedCheckin();
  c = await compliance();
  t.equal(c.state, 'compliant', 'firewall back on');
  t.equal(c.noncompliantSince, undefined);
  t.equal(c.reportedCompliant, true);

  const audit = (await s.admin('GET', '/api/v1/audit?action=compliance-policy')).json;
  const actions = (audit.entries ?? audit).map((e: any) => e.action);
  t.ok(actions.includes('compliance-policy.create') && actions.includes('compliance-policy.assign') && actions.includes('compliance-policy.update'), 'audited');
});

t.test('a node the device does not report is unknown, not noncompliant; unassigned: unknown again', async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.close());
  const tid = await s.connectTenant();
  const dev = entraSimDevice(s, tid, { upn: 'bob@contoso.com' }, { inventory: { health: { secureBoot: undefined } } });
  await dev.enroll();
  const id = (await s.admin('GET', '/api/v1/devices')).json.devices.find((d: any) => d.deviceId === dev.deviceId).id;
  const pid = (await s.admin('POST', '/api/v1/compliance-policies', { name: 'Boot', rules: { secureBoot: true, bitLocker: true } })).json.id;
  t.equal((await s.admin('POST', `/api/v1/compliance-policies/${pid}/assignments`, { targetType: 'all' })).status, 201);
  await dev.checkin();
  const c = (await s.admin('GET', `/api/v1/devices/${dev.deviceId}/compliance`)).json;
  t.equal(c.state, 'unknown', 'by DeviceID too');
  t.same(c.reasons, [{ policyId: pid, rule: 'secureBoot', outcome: 'unknown', expected: 'Secure Boot enabled' }]);
  t.equal(c.reportedCompliant, undefined, 'nothing reported for unknown');
  t.same(
    (await s.admin('GET', '/api/v1/devices?compliance=unknown')).json.devices.map((d: any) => d.id),
    [id],
    'listed as unknown',
  );
  t.equal((await s.admin('DELETE', `/api/v1/compliance-policies/${pid}/assignments`, { targetType: 'all' })).status, 204);
  t.same((await s.admin('GET', `/api/v1/devices/${id}/compliance`)).json.policies, [], 'no policy left');
});
