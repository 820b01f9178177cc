// The device simulator against a real server: enrollment (Entra device join, on-premises
// user) over HTTPS, then one OMA-DM check-in per authentication method when the server's
// management endpoint is there.
import crypto from 'node:crypto';
import t from 'tap';
import { SimDevice, SimError } from '../../src/sim/device.js';
import { AUDIENCE, startTestServer } from '../helpers/server.js';

t.test('SimDevice against a real server', async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.close());
  const tid = await s.connectTenant();
  const connectTo = { host: '127.0.0.1', port: s.server.port };
  const base = { url: s.publicUrl, ca: s.caPem, connectTo };
  const oid = crypto.randomUUID();
  const aadDeviceId = crypto.randomUUID();
  const mint = () => s.entra.mintToken({ tid, aud: AUDIENCE, upn: 'alice@contoso.com', oid, deviceid: aadDeviceId });

  // Is the OMA-DM endpoint served yet? (The session engine is being wired in parallel.)
  const probe = await s.request('/ManagementServer/MDM.svc', {
    method: 'POST',
    body: '<SyncML/>',
    headers: { 'content-type': 'application/vnd.syncml.dm+xml' },
  });
  const managementReady = probe.status !== 404;
  const todo = managementReady ? false : 'the management endpoint is not served yet';

  // An Entra join's DeviceID is the device the token names.
  const dev = new SimDevice({ ...base, deviceId: aadDeviceId.replace(/-/g, '').toUpperCase(), credential: { kind: 'entra', token: mint } });
  const e = await dev.enroll();

  t.test('Entra device enrollment: certificate, provisioning doc, DMClient nodes', async (t) => {
    t.equal(e.enrollmentType, 'Device');
    t.equal(e.authPolicy, 'Federated');
    t.equal(e.certificateSubject, `CN=${aadDeviceId}`);
    t.equal(e.managementUrl, `${s.publicUrl}/ManagementServer/MDM.svc`);
    t.ok(e.providerId);
    t.ok(e.rootPem?.includes('BEGIN CERTIFICATE'));
    t.ok(e.digest?.name && e.digest.secret && e.digest.nonce, 'APPSRV credentials kept');
    t.equal(e.dmClient.AADResourceID, AUDIENCE);
    t.equal(dev.state, 'enrolled');
    const dmc = `./Vendor/MSFT/DMClient/Provider/${encodeURIComponent(e.providerId)}`;
    t.equal(dev.tree.read(`${dmc}/AADDeviceID`)?.data, aadDeviceId);
    t.equal(dev.tree.read(`${dmc}/EnrollmentType`)?.data, 'Device');
    t.equal(dev.tree.read(`${dmc}/EntDMID`)?.data, e.entDmId);
    t.ok(dev.tree.has(`./Vendor/MSFT/CertificateStore/My/System/${e.certificateThumbprint}/EncodedCertificate`));
    const list = await s.admin('GET', '/api/v1/devices?limit=1000');
    t.ok(
      list.json.devices.find((d: any) => d.deviceId === dev.deviceId),
      'the server knows the device',
    );
  });

  t.test('on-premises Full enrollment', async (t) => {
    t.equal((await s.admin('POST', '/api/v1/enrollment-accounts', { username: 'bob', password: 'bob-password-1' })).status, 201);
    const full = new SimDevice({ ...base, credential: { kind: 'password', username: 'bob', password: 'bob-password-1' } });
    const fe = await full.enroll();
    t.equal(fe.enrollmentType, 'Full');
    t.equal(fe.authPolicy, 'OnPremise');
    t.equal(fe.certificateSubject, 'CN=bob');
    t.equal(fe.provisioning.client?.store, 'User');
    const bad = new SimDevice({ ...base, credential: { kind: 'password', username: 'bob', password: 'wrong-password' } });
    const err = await bad.enroll().catch((x) => x);
    t.type(err, SimError);
    t.equal(err.step, 'policy');
    t.equal(err.fault?.subcode, 's:Authentication');
  });

  t.test('one check-in over mutual TLS', { todo }, async (t) => {
    const r = await dev.checkin();
    t.equal(r.outcome, 'complete', r.error ?? 'session complete');
    t.ok(r.httpStatuses.every((x) => x === 200));
    const first = r.messages.find((m) => m.direction === 'in')?.msg;
    t.equal(first?.body[0]?.kind, 'Status');
    t.ok(r.commands.length > 0, 'the server sent commands (inventory)');
    const inv = r.commands.find((c) => c.kind === 'Get' && c.targets.includes('./DevDetail/SwV'));
    t.ok(inv, 'inventory Get executed');
  });

  t.test('a signed-in Entra user and a digest session', { todo }, async (t) => {
    const userToken = await s.entra.mintToken({ tid, aud: AUDIENCE, upn: 'alice@contoso.com', oid });
    const r = await dev.checkin({ user: { token: userToken } });
    t.equal(r.outcome, 'complete', r.error ?? 'session complete');
    const digestDev: SimDevice = new SimDevice({
      ...base,
      auth: 'digest',
      credential: { kind: 'entra', token: () => s.entra.mintToken({ tid, aud: AUDIENCE, deviceid: digestDev.deviceId }) },
    });
    const de = await digestDev.enroll();
    const nonce0 = de.digest!.nonce;
    const d = await digestDev.checkin();
    t.equal(d.outcome, 'complete', d.error ?? 'digest session complete');
    t.equal(d.digestAccepted, true);
    t.not(de.digest!.nonce, nonce0, 'the NextNonce is kept for the next session');
    t.equal((await digestDev.checkin()).outcome, 'complete', 'second digest session with the new nonce');
  });

  t.test('queued commands: Atomic rollback, split Results, server-initiated unenroll', { todo }, async (t) => {
    const d2: SimDevice = new SimDevice({
      ...base,
      splitResultsOver: 1200,
      credential: { kind: 'entra', token: () => s.entra.mintToken({ tid, aud: AUDIENCE, deviceid: d2.deviceId }) },
    });
    await d2.enroll();
    const first = await d2.checkin();
    t.equal(first.outcome, 'complete', first.error ?? 'first session (inventory, Results split over messages)');
    const outs = first.messages.filter((m) => m.direction === 'out').map((m) => m.msg!);
    t.ok(outs.length >= 3, 'package 1, then the Results in at least two messages');
    t.equal(outs[1].final, false, 'first part without Final');
    t.ok(
      first.messages.some((m) => m.direction === 'in' && m.msg?.body.some((c) => c.kind === 'Alert' && c.data === '1222')),
      'the server asked for the rest (1222)',
    );
    const list = await s.admin('GET', '/api/v1/devices?limit=1000');
    const id = list.json.devices.find((x: any) => x.deviceId === d2.deviceId).id;
    const q = await s.admin('POST', `/api/v1/devices/${id}/commands`, {
      verb: 'Atomic',
      commands: [
        { verb: 'Add', items: [{ target: './Vendor/MSFT/WiFi/Profile/Corp/WlanXml', data: '<WLANProfile/>' }] },
        { verb: 'Replace', items: [{ target: './Vendor/MSFT/Policy/Config/Nope/Missing', format: 'int', data: '1' }] },
      ],
    });
    t.equal(q.status, 201, 'Atomic queued');
    const r = await d2.checkin();
    t.equal(r.outcome, 'complete', r.error ?? 'complete');
    const atomicEntry = r.commands.find((c) => c.kind === 'Atomic');
    t.equal(atomicEntry?.status, '507');
    t.same(
      r.commands.filter((c) => c.parents.length).map((c) => c.status),
      ['216', '404'],
    );
    t.notOk(d2.tree.has('./Vendor/MSFT/WiFi/Profile/Corp'), 'rolled back on the device');

    t.equal((await s.admin('POST', `/api/v1/devices/${id}/commands`, { action: 'retire' })).status, 201, 'retire queued');
    const u = await d2.checkin();
    t.ok(
      u.execs.some((x) => x.target.endsWith('/Unenroll')),
      'the server Exec-ed Unenroll',
    );
    t.equal(u.unenrollSession?.outcome, 'complete', 'followed by the 1226 session');
    t.equal(d2.state, 'unenrolled');
    const after = await s.admin('GET', `/api/v1/devices/${id}`);
    t.not(after.json.state, 'enrolled', 'the server no longer considers it enrolled');
  });

  t.test('unenrollment (1226)', { todo }, async (t) => {
    const u = await dev.unenroll();
    t.equal(u.outcome, 'complete', u.error ?? 'unenroll session complete');
    t.equal(dev.state, 'unenrolled');
    const list = await s.admin('GET', '/api/v1/devices?limit=1000');
    const d = list.json.devices.find((x: any) => x.deviceId === dev.deviceId);
    t.not(d?.state, 'enrolled');
  });
});
