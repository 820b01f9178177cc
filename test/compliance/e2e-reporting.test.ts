// Compliance reported to Entra end to end: a simulated Entra-joined device of a tenant with its
// application credentials, against the fake Entra ID and Graph. Its evaluation (from its
// inventory) queues isCompliant for Entra, the outbox PATCHes the device object found by its
// Entra device ID; when Graph refuses (not an approved MDM application) the device's compliance
// says so plainly (reporting: refused, and why) instead of failing silently.
import crypto from 'node:crypto';
import t from 'tap';
import { connectAppTenant, startMicrosoftFakes } from '../helpers/microsoft-fakes.js';
import { startTestServer } from '../helpers/server.js';
import { entraSimDevice } from '../helpers/sim-device.js';

t.test('evaluated from the inventory, reported to Graph, the refusal shown on the device', async (t) => {
  const fakes = await startMicrosoftFakes();
  const { entra: entraApp, graph } = fakes;
  const s = await startTestServer(fakes.env, { start: { complianceOutbox: { pollMs: 100 } } });
  t.teardown(async () => {
    await s.close();
    await fakes.close();
  });

  const { tenantId: tid, connect: connected } = await connectAppTenant(s, entraApp, ['Device.ReadWrite.All']);
  t.equal(connected.status, 201, JSON.stringify(connected.json));

  const entraDeviceId = crypto.randomUUID();
  const objectId = graph.addDevice(tid, entraDeviceId);
  const dev = entraSimDevice(s, tid, { upn: 'alice@contoso.com', deviceid: entraDeviceId });
  await dev.enroll();
  const id = (await s.admin('GET', '/api/v1/devices')).json.devices.find((d: any) => d.deviceId === dev.deviceId).id;
  const pid = (await s.admin('POST', '/api/v1/compliance-policies', { name: 'Firewall', rules: { firewall: true } })).json.id;
  t.equal((await s.admin('POST', `/api/v1/compliance-policies/${pid}/assignments`, { targetType: 'all' })).status, 201);

  /** The device's compliance once its newest report is no longer pending (waits on the outcome, no sleep of a fixed length). */
  const settled = async () => {
    for (let i = 0; ; i++) {
      const c = (await s.admin('GET', `/api/v1/devices/${id}/compliance`)).json;
      if (c.reporting && c.reporting.state !== 'pending') return c;
      if (i > 400) throw new Error(`still pending: ${JSON.stringify(c)}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };

  await dev.checkin();
  let c = await settled();
  t.equal(c.state, 'compliant');
  t.match(c.reporting, { state: 'sent', isCompliant: true });
  t.same(
    graph.devicePatches.filter((p) => p.objectId === objectId).map((p) => p.body),
    [{ isCompliant: true, isManaged: true }],
    'the device object PATCHed once',
  );

  graph.deviceWrites('forbidden');
  dev.setHealth({ firewall: '1' });
  t.equal((await s.admin('POST', `/api/v1/devices/${id}/commands`, { action: 'sync' })).status, 201);
  await dev.checkin();
  c = await settled();
  t.equal(c.state, 'noncompliant');
  t.equal(c.reasons[0].rule, 'firewall');
  t.match(c.reporting, { state: 'refused', isCompliant: false, error: /Authorization_RequestDenied/ }, 'Graph refused: said on the device');
  t.equal(graph.devicePatches.filter((p) => p.objectId === objectId).length, 1, 'nothing more written');
});
