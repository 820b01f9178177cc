// Compliance reported to Entra end to end: a simulated Entra-joined device of a tenant with its
// application credentials, against the fake Entra ID and Graph. Its evaluation (from its
// inventory) queues isCompliant for Entra, the outbox PATCHes the device object found by its
// Entra device ID; when Graph refuses (not an approved MDM application) the device's compliance
// says so plainly (reporting: refused, and why) instead of failing silently.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { CertificateAuthority, generateCa, generateServerCertificate } from '../../src/pki/ca.js';
import { startFakeEntraApp } from '../helpers/fake-entra-app.js';
import { outboundEnv, startFakeGraph } from '../helpers/fake-graph.js';
import { AUDIENCE, startTestServer } from '../helpers/server.js';
import { entraSimDevice } from '../helpers/sim-device.js';

t.test('evaluated from the inventory, reported to Graph, the refusal shown on the device', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-compliance-'));
  const ca = generateCa({ commonName: 'Fake Microsoft CA' });
  const tls = generateServerCertificate(CertificateAuthority.fromPem(ca.certPem, ca.keyPem), {
    hostnames: ['login.microsoftonline.com', 'login.microsoftonline.us', 'graph.microsoft.com', 'graph.microsoft.us'],
  });
  fs.writeFileSync(path.join(dir, 'ca.pem'), ca.certPem);
  const entraApp = await startFakeEntraApp(tls);
  const graph = await startFakeGraph(tls, entraApp);
  const s = await startTestServer(outboundEnv(entraApp.port, graph.port, path.join(dir, 'ca.pem')), { start: { complianceOutbox: { pollMs: 100 } } });
  t.teardown(async () => {
    await s.close();
    await graph.close();
    await entraApp.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const tid = crypto.randomUUID();
  const clientId = crypto.randomUUID();
  const secret = 'S3cret~' + crypto.randomBytes(12).toString('base64url');
  entraApp.addTenant({ tenantId: tid, cloud: 'standard', displayName: 'Contoso Ltd' });
  entraApp.addApplication({ clientId, displayName: 'Fenestra MDM', secret });
  entraApp.consent(tid, clientId, ['Device.ReadWrite.All']);
  const connected = await s.admin('POST', '/api/v1/tenants', {
    tenantId: tid,
    cloud: 'standard',
    audiences: [AUDIENCE],
    appClientId: clientId,
    credential: { secret },
  });
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
