// A device's record over its life, on a listening server: typed detail (edition name and number,
// inventory numbers), indented session traces, the fleet summary and a profile's "targeted but not
// yet seen", DELETE /devices/:id (its certificate no longer authenticates, a later enrollment of
// the DeviceID starts afresh, audited with what went), and the stale-device policy applied by a
// maintenance tick on a driven clock.
import crypto from 'node:crypto';
import t from 'tap';
import { buildSyncML } from '../../src/protocol/syncml/build.js';
import { DEFAULT_RETENTION, runMaintenance } from '../../src/service/maintenance.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { entraSimDevice } from '../helpers/sim-device.js';
import { cert, device, turn } from '../store/suite.js';

const M = '/ManagementServer/MDM.svc';
const DAY = 86_400_000;

/** Package 1 of a session with this certificate: the HTTP status. */
async function checkin(s: TestServer, deviceId: string, tls: { cert: string; key: string }): Promise<number> {
  const body = buildSyncML({
    hdr: { verDTD: '1.2', verProto: 'DM/1.2', sessionId: String(crypto.randomInt(1, 1e6)), msgId: '1', targetUri: s.publicUrl + M, sourceUri: deviceId },
    final: true,
    body: [{ kind: 'Alert', cmdId: '1', data: '1201', items: [] }],
  });
  return (await s.request(M, { method: 'POST', body, headers: { 'content-type': 'application/vnd.syncml.dm+xml' }, ...tls })).status;
}

async function enrolledSim(s: TestServer, tid: string) {
  const dev = entraSimDevice(s, tid);
  await dev.enroll();
  const tls = () => ({ cert: dev.enrollment!.certificatePem, key: dev.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() });
  return { dev, tls };
}

const auditOf = async (s: TestServer) => (await s.admin('GET', '/api/v1/audit?limit=50')).json.entries as any[];

t.test('detail, traces, summary, profile status, delete', async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.close());
  const tid = await s.connectTenant();
  const { dev, tls } = await enrolledSim(s, tid);
  t.equal((await dev.checkin()).outcome, 'complete');

  const detail = (await s.admin('GET', `/api/v1/devices/${dev.deviceId}`)).json;
  t.match(detail, { osEdition: 'Enterprise', osEditionCode: 4, osBuild: '10.0.22631.4460' });
  t.type(detail.hostName, 'string');
  t.type(detail.inventory.totalRamMb, 'number', 'inventory integers are numbers');
  t.type(detail.inventory.freeStorageMb, 'number');
  t.type(detail.inventory.processorArchitecture, 'number');
  t.type(detail.inventory.nodes['./DevDetail/Ext/Microsoft/TotalRAM'], 'string', 'the raw nodes stay as the device sent them');

  const raw = (await s.admin('GET', `/api/v1/devices/${dev.deviceId}/sessions?limit=2`)).json.messages;
  const pretty = (await s.admin('GET', `/api/v1/devices/${dev.deviceId}/sessions?limit=2&pretty=true`)).json.messages;
  t.equal(pretty.length, raw.length);
  t.equal(pretty[0].pretty, true);
  t.notMatch(raw[0].body, /\n {2}</, 'stored compact');
  t.match(pretty[0].body, /^<SyncML[^>]*>\n {2}<SyncHdr>\n {4}<VerDTD>1\.2<\/VerDTD>/, 'indented two spaces per level');
  t.equal(pretty[0].body.replace(/\n\s*/g, ''), raw[0].body.replace(/^<\?xml[^>]*\?>/, '').replace(/>\s+</g, '><'), 'the same document, only laid out');

  // Summary.
  const sum = (await s.admin('GET', '/api/v1/fleet/summary')).json;
  t.match(sum, {
    total: 1,
    byEdition: { Enterprise: 1 },
    byEditionCode: { '4': 1 },
    byOsBuild: { '10.0.22631.4460': 1 },
    byEnrollmentType: { Device: 1 },
    byState: { enrolled: 1 },
    lastSeen: { today: 1, last7Days: 0, last30Days: 0, older: 0, never: 0 },
    stale: { count: 0, staleAfterDays: 30, policy: 'none' },
  });

  // A profile assigned to all: targeted but not yet seen until the device checks in.
  const wifi = await s.admin('POST', '/api/v1/profiles', { name: 'Wi-Fi', kind: 'wifi', scope: 'device', settings: { ssid: 'Contoso', security: 'open' } });
  t.equal(wifi.status, 201);
  t.equal((await s.admin('POST', `/api/v1/profiles/${wifi.json.id}/assignments`, { targetType: 'all' })).status, 201);
  const other = await s.server.store.enrollments.recordEnrollment(device({ deviceId: 'NEVER-SEEN' }), cert());
  let status = (await s.admin('GET', `/api/v1/profiles/${wifi.json.id}/status`)).json;
  t.equal(status.targetedNotSeen, 2, 'both devices targeted, neither has checked in since');
  await dev.checkin();
  status = (await s.admin('GET', `/api/v1/profiles/${wifi.json.id}/status`)).json;
  t.equal(status.targetedNotSeen, 1, 'the device that checked in now has a delivery');
  t.ok(
    Object.values(status.counts as Record<string, number>).some((n) => n > 0),
    'and a delivery count',
  );
  t.same(
    (await s.admin('GET', `/api/v1/devices?profileId=${wifi.json.id}`)).json.devices.map((d: any) => d.deviceId),
    [dev.deviceId],
  );
  t.equal((await s.admin('DELETE', `/api/v1/devices/${other.id}`)).status, 200);

  // Delete.
  const oldTls = tls();
  const oldId = detail.id;
  await s.admin('POST', `/api/v1/devices/${dev.deviceId}/commands`, { action: 'reboot' });
  const del = await s.admin('DELETE', `/api/v1/devices/${dev.deviceId}`);
  t.equal(del.status, 200, JSON.stringify(del.json));
  t.match(del.json, {
    id: oldId,
    deviceId: dev.deviceId,
    revokedCertificates: [detail.certificate.serial],
    removed: { commands: Number, profile_deliveries: 1 },
  });
  t.equal(await checkin(s, dev.deviceId, oldTls), 403, 'its certificate no longer authenticates a check-in');
  t.equal((await s.admin('GET', `/api/v1/devices/${dev.deviceId}`)).status, 404);
  t.equal((await s.admin('DELETE', `/api/v1/devices/${dev.deviceId}`)).status, 404, 'twice: not found');
  t.match(
    (await auditOf(s)).find((e) => e.action === 'device.delete' && e.targetId === oldId),
    { actor: /^break-glass@/, detail: { deviceId: dev.deviceId, revokedCertificates: [detail.certificate.serial], removed: { certificates: 1 } } },
  );

  await dev.enroll();
  const fresh = (await s.admin('GET', `/api/v1/devices/${dev.deviceId}`)).json;
  t.not(fresh.id, oldId, 'a later enrollment gets a fresh record');
  t.equal(fresh.pendingCommands, 0, 'nothing of the old record came back');
  t.equal((await s.admin('GET', `/api/v1/devices?deviceId=${dev.deviceId}`)).json.total, 1);
  t.equal(await checkin(s, dev.deviceId, tls()), 200);
});

t.test('stale-device policy', async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.close());
  const tid = await s.connectTenant();

  t.same((await s.admin('GET', '/api/v1/settings/stale-devices')).json, { staleAfterDays: 30, action: 'none', afterDays: 90 }, 'the default');
  for (const [body, pointer] of [
    [{ staleAfterDays: 30, action: 'delete', afterDays: 10 }, '/afterDays'],
    [{ staleAfterDays: 30, action: 'archive' }, '/action'],
    [{ staleAfterDays: 0, action: 'none' }, '/staleAfterDays'],
    [{ staleAfterDays: 30, action: 'none', after: 5 }, '/after'],
    [{ action: 'none' }, '/staleAfterDays'],
  ] as const) {
    const r = await s.admin('PUT', '/api/v1/settings/stale-devices', body);
    t.equal(r.status, 400, JSON.stringify(body));
    t.equal(r.json.error.pointer, pointer, r.json.error.message);
  }

  const a = await enrolledSim(s, tid);
  const b = await enrolledSim(s, tid);
  await a.dev.checkin();
  await b.dev.checkin();
  // b is seen again 25 days later; a is not.
  const bRec = (await s.admin('GET', `/api/v1/devices/${b.dev.deviceId}`)).json;
  const now = Date.now();
  await s.server.store.management.commitTurn(turn(bRec.id, 'later', { at: new Date(now + 25 * DAY).toISOString() }));
  await s.server.store.flush();

  const put = await s.admin('PUT', '/api/v1/settings/stale-devices', { staleAfterDays: 10, action: 'retire', afterDays: 20 });
  t.equal(put.status, 200);
  t.match(put.json, { staleAfterDays: 10, action: 'retire', afterDays: 20 });
  t.match((await s.admin('GET', '/api/v1/settings/stale-devices')).json, { staleAfterDays: 10, action: 'retire', afterDays: 20 });
  t.match(
    (await auditOf(s)).find((e) => e.action === 'settings.stale-devices'),
    { actor: /^break-glass@/, detail: { action: 'retire', before: null } },
  );

  let n = await runMaintenance(s.server.store, DEFAULT_RETENTION, new Date(now + 15 * DAY));
  t.equal(n.staleRetired, 0, 'stale (10 days) but not yet for afterDays (20)');
  n = await runMaintenance(s.server.store, DEFAULT_RETENTION, new Date(now + 21 * DAY));
  t.equal(n.staleRetired, 1, 'a, unseen for 21 days, is retired; b, seen 4 days ago, is not');
  t.equal((await s.admin('GET', `/api/v1/devices/${a.dev.deviceId}`)).json.state, 'unenrolled');
  t.equal((await s.admin('GET', `/api/v1/devices/${b.dev.deviceId}`)).json.state, 'enrolled');
  t.equal(await checkin(s, a.dev.deviceId, a.tls()), 403, 'its certificate is revoked');
  const aId = (await s.admin('GET', `/api/v1/devices/${a.dev.deviceId}`)).json.id;
  t.match(
    (await auditOf(s)).find((e) => e.action === 'device.revoke' && e.targetId === aId),
    {
      actor: 'system:stale-policy',
      detail: { policy: { action: 'retire', afterDays: 20 } },
    },
  );

  t.equal((await s.admin('PUT', '/api/v1/settings/stale-devices', { staleAfterDays: 10, action: 'delete', afterDays: 20 })).status, 200);
  n = await runMaintenance(s.server.store, DEFAULT_RETENTION, new Date(now + 21 * DAY));
  t.equal(n.staleDeleted, 1, 'the retired record, still unseen, is deleted');
  t.equal((await s.admin('GET', `/api/v1/devices/${a.dev.deviceId}`)).status, 404);
  t.equal((await s.admin('GET', `/api/v1/devices/${b.dev.deviceId}`)).status, 200, 'b stays');
  t.match(
    (await auditOf(s)).find((e) => e.action === 'device.delete' && e.targetId === aId),
    { actor: 'system:stale-policy' },
  );
  n = await runMaintenance(s.server.store, DEFAULT_RETENTION, new Date(now + 21 * DAY));
  t.equal(n.staleDeleted, 0, 'nothing left to do');
});
