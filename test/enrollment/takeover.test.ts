// A DeviceID belongs to the principal that enrolled it (#10 item 1): another on-premises account,
// another tenant's user, or an Entra join of another device is refused with an Authorization
// fault and the holder keeps working; the same principal, or whoever presents the record's
// active certificate, enrolls it again; once an admin revokes (releases) it, the next enrollment
// gets a fresh record that inherits nothing. Every enroll, re-enroll and refusal is audited.
import crypto from 'node:crypto';
import t from 'tap';
import { rstMessage, type Credential } from '../../src/sim/enroll-messages.js';
import { readFault, readRstrProvisioning } from '../../src/sim/enroll-responses.js';
import { SimDevice } from '../../src/sim/device.js';
import { newTestDevice } from '../helpers/device.js';
import { AUDIENCE, startTestServer } from '../helpers/server.js';

const E = '/EnrollmentServer/Enrollment.svc';

t.test('no device takeover by DeviceID reuse', async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.close());
  const tidA = await s.connectTenant();
  const tidB = await s.connectTenant();
  for (const username of ['alice@contoso.com', 'mallory@contoso.com']) {
    t.equal((await s.admin('POST', '/api/v1/enrollment-accounts', { username, password: `pw-${username}-123456` })).status, 201);
  }
  const base = { url: s.publicUrl, ca: s.caPem, connectTo: { host: '127.0.0.1', port: s.server.port } };
  const victim = new SimDevice({ ...base, credential: { kind: 'password', username: 'alice@contoso.com', password: 'pw-alice@contoso.com-123456' } });
  const e = await victim.enroll();
  const X = victim.deviceId;
  const rec = (await s.admin('GET', `/api/v1/devices/${X}`)).json;

  // What a takeover would inherit: a group membership, a device-targeted profile, a queued command.
  const group = await s.admin('POST', '/api/v1/groups', { name: 'Finance PCs', kind: 'device', members: [rec.id] });
  t.equal(group.status, 201);
  const wifi = await s.admin('POST', '/api/v1/profiles', {
    name: 'Wi-Fi',
    kind: 'wifi',
    scope: 'device',
    settings: { ssid: 'Finance', security: 'WPA2PSK', passphrase: 'secret-passphrase-1' },
  });
  t.equal(wifi.status, 201, JSON.stringify(wifi.json));
  t.equal((await s.admin('POST', `/api/v1/profiles/${wifi.json.id}/assignments`, { targetType: 'group', targetId: group.json.id })).status, 201);
  t.equal((await s.admin('POST', `/api/v1/devices/${rec.id}/commands`, { action: 'reboot' })).status, 201);
  const planOf = async (id: string) => (await s.admin('GET', `/api/v1/devices/${id}/plan`)).json;
  const before = await planOf(rec.id);
  t.ok(before.queued === 1 && before.profiles.some((p: any) => p.profileId === wifi.json.id), 'the record has a command and the profile');

  const attacker = newTestDevice();
  const enrollAs = (cred: Credential, type: 'Full' | 'Device', tls: { cert?: string; key?: string } = {}) =>
    s.soap(
      E,
      rstMessage(s.publicUrl + E, cred, {
        requestType: 'Issue',
        tokenBase64: attacker.csrBase64(),
        context: attacker.context([['EnrollmentType', type]]).map(([k, v]) => [k, k === 'DeviceID' ? X : v] as [string, string]),
      }),
      tls,
    );
  const mallory: Credential = { kind: 'password', username: 'mallory@contoso.com', password: 'pw-mallory@contoso.com-123456' };
  const entraUser = async (tid: string) => ({
    kind: 'entra' as const,
    jwt: await s.entra.mintToken({ tid, aud: AUDIENCE, oid: crypto.randomUUID(), upn: 'eve@fabrikam.com' }),
  });
  const entraJoin = async (tid: string, deviceid: string) => ({
    kind: 'entra' as const,
    jwt: await s.entra.mintToken({ tid, aud: AUDIENCE, oid: crypto.randomUUID(), deviceid }),
  });

  const refusals: [string, () => Promise<Credential>, 'Full' | 'Device', RegExp][] = [
    ['another on-premises account', async () => mallory, 'Full', /enrolled to another account.*administrator must release/],
    ['a user of another connected tenant', () => entraUser(tidB), 'Full', /enrolled to another account/],
    ['another user of the same tenant', () => entraUser(tidA), 'Full', /enrolled to another account/],
    ['an Entra join whose token names this DeviceID, from another tenant', () => entraJoin(tidB, X), 'Device', /enrolled to another account/],
    ["an Entra join of another device of the holder's tenant", () => entraJoin(tidA, crypto.randomUUID()), 'Device', /enrolled to another account/],
  ];
  for (const [name, cred, type, reason] of refusals) {
    const r = await enrollAs(await cred(), type);
    const f = readFault(r.text());
    t.equal(r.status, 500, `${name}: refused`);
    t.equal(f?.subcode, 's:Authorization', `${name}: Authorization fault`);
    t.match(f?.reason, reason, `${name}: ${f?.reason}`);
  }

  // The holder keeps everything and keeps working.
  const after = (await s.admin('GET', `/api/v1/devices/${X}`)).json;
  t.equal(after.id, rec.id);
  t.match(after, { user: { upn: 'alice@contoso.com' }, certificate: { thumbprint: e.certificateThumbprint, status: 'active' }, pendingCommands: 1 });
  t.equal(after.certificates.length, 1, 'no certificate was revoked or added');
  t.equal((await victim.checkin()).outcome, 'complete', 'the holder still checks in');
  const audit = (await s.admin('GET', '/api/v1/audit?limit=100')).json.entries as any[];
  const refused = audit.filter((x) => x.action === 'device.enroll.refused');
  t.equal(refused.length, 5, 'each refusal by another principal is audited');
  t.ok(refused.some((x) => x.actor === 'onprem:mallory@contoso.com' && x.targetId === rec.id));
  t.ok(refused.some((x) => x.actor.startsWith(`entra:${tidB}/`)));
  t.ok(
    audit.some((x) => x.action === 'device.enroll' && x.actor === 'onprem:alice@contoso.com' && x.targetId === rec.id),
    'the enrollment is audited with its principal',
  );

  // The same principal enrolls it again: same record, its old certificate revoked.
  const again = await enrollAs({ kind: 'password', username: 'alice@contoso.com', password: 'pw-alice@contoso.com-123456' }, 'Full');
  t.equal(again.status, 200, 'the same account re-enrolls');
  const prov = readRstrProvisioning(again.text());
  t.equal(prov.dmClient.EntDMID, rec.id, 'the same record');
  // Whoever presents the record's active certificate may re-enroll it under another account.
  const certPem = `-----BEGIN CERTIFICATE-----\n${prov.client!.base64.replace(/(.{64})/g, '$1\n')}\n-----END CERTIFICATE-----\n`;
  const keyPem = attacker.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const holder = await enrollAs(mallory, 'Full', { cert: certPem, key: keyPem });
  t.equal(holder.status, 200, 'the certificate holder re-enrolls');
  t.equal(readRstrProvisioning(holder.text()).dmClient.EntDMID, rec.id);
  const log = (await s.admin('GET', '/api/v1/audit?limit=5')).json.entries as any[];
  t.match(
    log.filter((x) => x.action === 'device.reenroll').map((x) => x.actor),
    ['onprem:mallory@contoso.com', 'onprem:alice@contoso.com'],
  );

  // Released by an admin: the next enrollment by anyone gets a fresh record that inherits nothing.
  const revoked = await s.admin('POST', `/api/v1/devices/${rec.id}/revoke`, {});
  t.equal(revoked.status, 200, JSON.stringify(revoked.json));
  const fresh = await enrollAs(await entraUser(tidB), 'Full');
  t.equal(fresh.status, 200, 'enrollment after release');
  const freshId = readRstrProvisioning(fresh.text()).dmClient.EntDMID;
  t.not(freshId, rec.id, 'a fresh record');
  const plan = await planOf(freshId);
  t.equal(plan.queued, 0, 'no queued command inherited');
  t.notOk(
    plan.profiles.some((p: any) => p.profileId === wifi.json.id),
    'no group membership or device-targeted profile inherited',
  );
  t.equal((await s.admin('GET', `/api/v1/devices/${X}`)).json.id, freshId, 'the DeviceID now names the fresh record');
  t.match((await s.admin('GET', `/api/v1/devices/${rec.id}`)).json, { state: 'unenrolled', deviceId: X, released: true }, 'the released record is history');
});

// Desktop Windows names itself with DevInfo/DevId, a GUID of the MDM client's own, not its Entra
// device id: an Entra join is keyed by (tenant, deviceid claim) whatever DeviceID it sends.
t.test('Entra-joined devices are keyed by tenant and Entra device id', async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.close());
  const tid = await s.connectTenant();
  const dev = newTestDevice();
  const X = dev.deviceId;
  const entraDeviceId = crypto.randomUUID();
  const join = async (deviceid: string, tenant = tid) => {
    const jwt = await s.entra.mintToken({ tid: tenant, aud: AUDIENCE, oid: crypto.randomUUID(), deviceid });
    return s.soap(
      E,
      rstMessage(
        s.publicUrl + E,
        { kind: 'entra', jwt },
        { requestType: 'Issue', tokenBase64: dev.csrBase64(), context: dev.context([['EnrollmentType', 'Device']]) },
      ),
    );
  };
  const first = await join(entraDeviceId);
  t.equal(first.status, 200, 'a DeviceID that is not the Entra device id enrolls');
  const id = readRstrProvisioning(first.text()).dmClient.EntDMID;
  t.match((await s.admin('GET', `/api/v1/devices/${X}`)).json, { id, entraDeviceId, tenantId: tid });
  const again = await join(entraDeviceId.toUpperCase());
  t.equal(again.status, 200, 'the same Entra device (another user signing in at OOBE) enrolls again');
  t.equal(readRstrProvisioning(again.text()).dmClient.EntDMID, id, 'into the same record');
  for (const [name, r] of [
    ['another Entra device of the same tenant', await join(crypto.randomUUID())],
    ['the same Entra device id from another tenant', await join(entraDeviceId, await s.connectTenant())],
  ] as const) {
    t.equal(r.status, 500, `${name}: refused`);
    t.match(readFault(r.text()), { subcode: 's:Authorization', reason: /enrolled to another account/ }, name);
  }
});
