// Server-side revoke (#10 item 7): POST /api/v1/devices/:id/revoke revokes the device's
// certificates at once (management and renewal refused from the next request on), or after a
// wipe/retire it queues is answered or its deadline passes; and what disconnecting a tenant does
// to its devices: they stay managed by certificate, unless revokeDevices=true revokes them.
import crypto from 'node:crypto';
import t from 'tap';
import { buildSyncML } from '../../src/protocol/syncml/build.js';
import { buildCsr } from '../../src/pki/csr-build.js';
import { buildRenewalPkcs7 } from '../../src/pki/pkcs7-build.js';
import { DEFAULT_RETENTION, runMaintenance } from '../../src/service/maintenance.js';
import { rstMessage } from '../../src/sim/enroll-messages.js';
import { readFault } from '../../src/sim/enroll-responses.js';
import { SimDevice } from '../../src/sim/device.js';
import { enrollEntraDevice, type EnrolledDevice } from '../helpers/enrolled.js';
import { AUDIENCE, startTestServer, type TestServer } from '../helpers/server.js';

const M = '/ManagementServer/MDM.svc';
const E = '/EnrollmentServer/Enrollment.svc';

/** Package 1 of a session with the device's certificate: the HTTP status. */
async function checkin(s: TestServer, deviceId: string, tls: { cert: string; key: string }): Promise<number> {
  const body = buildSyncML({
    hdr: { verDTD: '1.2', verProto: 'DM/1.2', sessionId: String(crypto.randomInt(1, 1e6)), msgId: '1', targetUri: s.publicUrl + M, sourceUri: deviceId },
    final: true,
    body: [{ kind: 'Alert', cmdId: '1', data: '1201', items: [] }],
  });
  return (await s.request(M, { method: 'POST', body, headers: { 'content-type': 'application/vnd.syncml.dm+xml' }, ...tls })).status;
}

t.test('revoke at once', async (t) => {
  const s = await startTestServer({ FENESTRA_CERT_VALIDITY_DAYS: '30' });
  t.teardown(() => s.close());
  const tid = await s.connectTenant();
  const d = await enrollEntraDevice(s, tid);
  const tls = { cert: d.certPem, key: d.keyPem };
  t.equal(await checkin(s, d.dev.deviceId, tls), 200);

  t.equal((await s.admin('POST', `/api/v1/devices/${d.dev.deviceId}/revoke`, { after: 'reboot' })).status, 400, 'after is wipe or retire');
  t.equal((await s.admin('POST', `/api/v1/devices/${d.dev.deviceId}/revoke`, { deadlineHours: 2 })).status, 400, 'a deadline needs after');
  t.equal((await s.admin('POST', '/api/v1/devices/nope/revoke', {})).status, 404);
  const r = await s.admin('POST', `/api/v1/devices/${d.dev.deviceId}/revoke`); // no body: revoke now
  t.equal(r.status, 200, JSON.stringify(r.json));
  t.match(r.json, { deviceId: d.dev.deviceId, state: 'unenrolled' });
  t.equal(await checkin(s, d.dev.deviceId, tls), 403, 'management is refused from then on');
  const detail = (await s.admin('GET', `/api/v1/devices/${d.dev.deviceId}`)).json;
  t.equal(detail.state, 'unenrolled');
  t.same(
    detail.certificates.map((c: any) => c.status),
    ['revoked'],
  );

  // Renewal is refused too.
  const nk = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const p7 = buildRenewalPkcs7({
    csrDer: buildCsr({ ...nk, subjectCn: 'renew', windowsQuirks: true }),
    signerCertDer: new crypto.X509Certificate(d.certPem).raw,
    signerKey: crypto.createPrivateKey(d.keyPem),
  }).toString('base64');
  const renewal = await s.soap(
    E,
    rstMessage(s.publicUrl + E, { kind: 'none' }, { requestType: 'Renew', tokenBase64: p7, context: [['DeviceID', d.dev.deviceId]] }),
    tls,
  );
  t.equal(readFault(renewal.text())?.errorType, 'NotEligibleToRenew', 'renewal is refused');

  t.equal((await s.admin('POST', `/api/v1/devices/${d.dev.deviceId}/revoke`, {})).status, 409, 'only an enrolled device');
  const audit = (await s.admin('GET', '/api/v1/audit?limit=10')).json.entries as any[];
  t.match(
    audit.find((e) => e.action === 'device.revoke'),
    { actor: /^break-glass@/, targetId: detail.id, detail: { certificates: 1 } },
  );
});

t.test('revoke after a wipe, or at the deadline', async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.close());
  const tid = await s.connectTenant();
  const base = { url: s.publicUrl, ca: s.caPem, connectTo: { host: '127.0.0.1', port: s.server.port } };
  const dev: SimDevice = new SimDevice({
    ...base,
    credential: { kind: 'entra', token: () => s.entra.mintToken({ tid, aud: AUDIENCE, deviceid: dev.deviceId }) },
  });
  await dev.enroll();
  const tls = { cert: dev.enrollment!.certificatePem, key: dev.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };

  const r = await s.admin('POST', `/api/v1/devices/${dev.deviceId}/revoke`, { after: 'wipe', deadlineHours: 24 });
  t.equal(r.status, 202, JSON.stringify(r.json));
  t.match(r.json, { state: 'enrolled', revokeAfter: { action: 'wipe' } });
  t.match((await s.admin('GET', `/api/v1/devices/${dev.deviceId}`)).json, { state: 'enrolled', revokeAfter: { command: r.json.revokeAfter.command } });
  t.equal((await runMaintenance(s.server.store, DEFAULT_RETENTION, new Date())).revoked, 0, 'not before the wipe is answered');

  const session = await dev.checkin();
  t.equal(session.outcome, 'complete');
  t.ok(dev.wiped, 'the wipe was delivered');
  t.equal((await runMaintenance(s.server.store, DEFAULT_RETENTION, new Date())).revoked, 1, 'revoked once the wipe was acknowledged');
  t.equal((await s.admin('GET', `/api/v1/devices/${dev.deviceId}`)).json.state, 'unenrolled');
  t.equal(await checkin(s, dev.deviceId, tls), 403);

  // Another device never answers its retire: revoked at the deadline.
  const e = await enrollEntraDevice(s, tid);
  const r2 = await s.admin('POST', `/api/v1/devices/${e.dev.deviceId}/revoke`, { after: 'retire', deadlineHours: 1 });
  t.equal(r2.status, 202);
  t.equal((await runMaintenance(s.server.store, DEFAULT_RETENTION, new Date())).revoked, 0, 'before the deadline');
  t.equal(await checkin(s, e.dev.deviceId, { cert: e.certPem, key: e.keyPem }), 200, 'still managed meanwhile');
  const later = new Date(Date.now() + 2 * 3_600_000);
  t.equal((await runMaintenance(s.server.store, DEFAULT_RETENTION, later)).revoked, 1, 'at the deadline');
  t.equal(await checkin(s, e.dev.deviceId, { cert: e.certPem, key: e.keyPem }), 403);
  const audit = (await s.admin('GET', '/api/v1/audit?limit=20')).json.entries as any[];
  t.equal(audit.filter((x) => x.action === 'device.revoke.pending').length, 2);
  t.equal(audit.filter((x) => x.action === 'device.revoke' && x.actor === 'system').length, 2);
});

t.test('disconnecting a tenant: its devices stay managed, unless revokeDevices=true', async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.close());
  const keep = await s.connectTenant();
  const drop = await s.connectTenant();
  const a: EnrolledDevice = await enrollEntraDevice(s, keep);
  const b: EnrolledDevice = await enrollEntraDevice(s, drop);

  t.equal((await s.admin('DELETE', `/api/v1/tenants/${keep}`)).status, 204);
  t.equal(await checkin(s, a.dev.deviceId, { cert: a.certPem, key: a.keyPem }), 200, 'an enrolled device stays managed by certificate');
  const jwt = await s.entra.mintToken({ tid: keep, aud: AUDIENCE, deviceid: a.dev.entraDeviceId });
  const again = await s.soap(
    E,
    rstMessage(
      s.publicUrl + E,
      { kind: 'entra', jwt },
      { requestType: 'Issue', tokenBase64: a.dev.csrBase64(), context: a.dev.context([['EnrollmentType', 'Device']]) },
    ),
  );
  t.equal(readFault(again.text())?.subcode, 's:Authorization', 'no enrollment (nor re-enrollment) from a disconnected tenant');

  const bad = await s.admin('DELETE', `/api/v1/tenants/${drop}?revokeDevices=maybe`);
  t.equal(bad.status, 400, 'revokeDevices is true or false');
  t.match(bad.json, { error: { message: /revokeDevices/ } }, 'the error names the parameter');
  t.equal((await s.admin('DELETE', `/api/v1/tenants/${drop}?revokeDevices=true`)).status, 204);
  t.equal(await checkin(s, b.dev.deviceId, { cert: b.certPem, key: b.keyPem }), 403, 'its devices are revoked');
  t.equal((await s.admin('GET', `/api/v1/devices/${b.dev.deviceId}`)).json.state, 'unenrolled');
  t.equal((await s.admin('GET', `/api/v1/devices/${a.dev.deviceId}`)).json.state, 'enrolled', "other tenants' devices untouched");
  const audit = (await s.admin('GET', '/api/v1/audit?limit=20')).json.entries as any[];
  t.ok(audit.some((x) => x.action === 'device.revoke' && x.detail?.tenantDisconnected === drop));
});
