// Per-user profile delivery end to end: the simulator (an Entra-joined shared PC) against a real
// server over mutual TLS. Users sign in and out; each gets their own VPN, Wi-Fi, mail and
// certificate under ./User, the device tree gets the device profiles, and only differences travel.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { SimDevice } from '../../src/sim/device.js';
import type { DmLogEntry } from '../../src/sim/dm-tree.js';
import { AUDIENCE, startTestServer } from '../helpers/server.js';
import { entraSimDevice } from '../helpers/sim-device.js';

const FIX = path.join(import.meta.dirname, '..', '..', 'fixtures', 'csp');
const ROOT_PEM = fs.readFileSync(path.join(FIX, 'test-root-ca.pem'), 'utf8');
const PFX_B64 = fs.readFileSync(path.join(FIX, 'test-user.pfx.b64'), 'utf8').trim();

/** The server's commands of a session, without the inventory Get. */
const profileCommands = (cmds: DmLogEntry[]) => cmds.filter((c) => !(c.kind === 'Get' && c.targets.some((x) => x.startsWith('./DevDetail/'))));
const targetsOf = (cmds: DmLogEntry[]) => cmds.flatMap((c) => c.targets);

t.test('multi-user profile delivery on a shared Entra-joined PC', async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.close());
  const tid = await s.connectTenant();
  const aOid = crypto.randomUUID();
  const bOid = crypto.randomUUID();
  const userToken = (oid: string, upn: string) => s.entra.mintToken({ tid, aud: AUDIENCE, upn, oid });
  const dev = entraSimDevice(s, tid, { upn: 'alice@contoso.com', oid: aOid });
  await dev.enroll();
  const devices = (await s.admin('GET', '/api/v1/devices')).json.devices;
  const deviceId = devices.find((d: any) => d.deviceId === dev.deviceId).id;

  const create = async (body: unknown) => {
    const r = await s.admin('POST', '/api/v1/profiles', body);
    if (r.status !== 201) throw new Error(`profile: ${r.status} ${JSON.stringify(r.json)}`);
    return r.json.id as string;
  };
  const assign = async (id: string, a: unknown) => {
    const r = await s.admin('POST', `/api/v1/profiles/${id}/assignments`, a);
    if (r.status !== 201) throw new Error(`assign: ${r.status} ${JSON.stringify(r.json)}`);
  };
  const sales = (await s.admin('POST', '/api/v1/groups', { name: 'Sales', kind: 'user', members: ['alice@contoso.com'] })).json.id;

  const root = await create({
    name: 'Corp root',
    kind: 'certificate',
    scope: 'device',
    settings: { ref: 'corp-root', type: 'trusted-root', certificateBase64: ROOT_PEM },
  });
  await assign(root, { targetType: 'all' });
  const hello = await create({ name: 'Hello', kind: 'hello', scope: 'device', settings: { tenantId: tid, enabled: true, pin: { minimumLength: 6 } } });
  await assign(hello, { targetType: 'device', targetId: deviceId });
  const aCert = await create({
    name: 'Alice cert',
    kind: 'certificate',
    scope: 'user',
    settings: { ref: 'alice-cert', type: 'pfx', pfxBase64: PFX_B64, password: 'Pfx-Passw0rd' },
  });
  await assign(aCert, { targetType: 'user', targetId: 'alice@contoso.com' });
  const vpnSettings = (name: string, auth: unknown) => ({
    name,
    servers: ['vpn.contoso.com'],
    tunnelType: 'IKEv2',
    routing: { mode: 'split', routes: [{ address: '10.0.0.0', prefixSize: 8 }] },
    authentication: auth,
  });
  const aVpn = await create({
    name: 'Alice VPN',
    kind: 'vpn',
    scope: 'user',
    settings: vpnSettings('Contoso VPN', { method: 'eap-tls', certificateRef: 'alice-cert', serverTrust: { rootCertificateRefs: ['corp-root'] } }),
  });
  await assign(aVpn, { targetType: 'user', targetId: aOid });
  const aWifi = await create({
    name: 'Sales Wi-Fi',
    kind: 'wifi',
    scope: 'user',
    settings: { ssid: 'Contoso Sales', security: 'WPA2PSK', passphrase: 'correct horse battery' },
  });
  await assign(aWifi, { targetType: 'group', targetId: sales });
  const mailSettings = {
    accountId: 'contoso-imap',
    accountName: 'Contoso Mail',
    displayName: 'Alice',
    emailAddress: 'alice@contoso.com',
    serviceType: 'IMAP4',
    incoming: { host: 'imap.contoso.com', port: 993 },
    outgoing: { host: 'smtp.contoso.com', port: 587, ssl: true },
    userName: 'alice@contoso.com',
    password: 'M@il-secret',
    syncIntervalMinutes: 15,
  };
  const aMail = await create({ name: 'Alice mail', kind: 'email', scope: 'user', settings: mailSettings });
  await assign(aMail, { targetType: 'user', targetId: 'alice@contoso.com' });
  const bVpn = await create({
    name: 'Bob VPN',
    kind: 'vpn',
    scope: 'user',
    settings: vpnSettings('Bob VPN', { method: 'peap-mschapv2', serverTrust: { rootCertificateRefs: ['corp-root'] } }),
  });
  await assign(bVpn, { targetType: 'user', targetId: bOid });
  // A user-scope profile for everyone on this device: held while nobody is signed in.
  const everyone = await create({
    name: 'Everyone setting',
    kind: 'custom',
    scope: 'user',
    settings: { nodes: [{ locUri: './User/Vendor/MSFT/Policy/Config/Start/HideSleep', format: 'int', value: '1' }] },
  });
  await assign(everyone, { targetType: 'device', targetId: deviceId });

  const U = './User/Vendor/MSFT';
  const rootThumb = crypto.createHash('sha1').update(new crypto.X509Certificate(ROOT_PEM).raw).digest('hex').toUpperCase();
  const rootUri = `./Device/Vendor/MSFT/RootCATrustedCertificates/Root/${rootThumb}/EncodedCertificate`;

  await t.test('dry run before anyone signs in: the plan for Alice, secrets redacted', async (t) => {
    const r = await s.admin('GET', `/api/v1/devices/${deviceId}/plan?user=${aOid}`);
    t.equal(r.status, 200, JSON.stringify(r.json));
    t.match(r.json.syncml, /<SyncML xmlns="SYNCML:SYNCML1.2">/);
    t.match(r.json.syncml, /VPNv2|RootCATrustedCertificates/);
    t.notOk(r.json.syncml.includes('correct horse battery'), 'Wi-Fi passphrase not shown');
    t.notOk(r.json.syncml.includes('M@il-secret'), 'mail password not shown');
    t.notOk(r.json.syncml.includes('Pfx-Passw0rd'), 'PFX password not shown');
    t.ok(r.json.profiles.some((e: any) => e.profileId === root && e.action === 'install'));
    t.ok(
      r.json.profiles.some((e: any) => e.profileId === aVpn && e.action === 'hold'),
      'the VPN waits for its certificates',
    );
    t.equal((await s.admin('GET', `/api/v1/devices/${deviceId}/plan?user=nobody`)).status, 400);
    t.equal((await s.admin('GET', `/api/v1/devices/nope/plan`)).status, 404);
    const again = await s.admin('GET', `/api/v1/devices/${deviceId}/plan?user=${aOid}`);
    t.equal(again.json.syncml, r.json.syncml, 'a dry run writes nothing');
  });

  await t.test('nobody signed in: device profiles only, user profiles held', async (t) => {
    const r = await dev.checkin({ user: null });
    t.equal(r.outcome, 'complete', r.error ?? 'session complete');
    const cmds = profileCommands(r.commands);
    t.notOk(
      targetsOf(cmds).some((x) => x.startsWith('./User/')),
      'nothing under ./User',
    );
    t.equal(dev.tree.read(rootUri)?.data, new crypto.X509Certificate(ROOT_PEM).raw.toString('base64'), 'trusted root installed');
    const view = (await s.admin('GET', `/api/v1/devices/${deviceId}`)).json;
    const deviceTree = view.profiles.find((g: any) => g.user === null);
    t.equal(deviceTree.profiles.find((p: any) => p.profileId === root)?.status, 'verified', 'root read back');
    const held = deviceTree.profiles.find((p: any) => p.profileId === everyone);
    t.equal(held?.status, 'held');
    t.match(held?.detail, /nobody/);
  });

  await t.test('Alice signs in: her certificate, VPN (after it), Wi-Fi and mail arrive under ./User', async (t) => {
    // A Wi-Fi profile of the same name is already on the device (left from an earlier enrollment):
    // the Atomic of Adds fails with 418 inside and is sent again with Replace.
    dev.tree.setUser(aOid);
    dev.tree.set(`${U}/WiFi/Profile/Contoso%20Sales/WlanXml`, { value: '<WLANProfile>old</WLANProfile>' });
    const r = await dev.checkin({ user: { token: await userToken(aOid, 'alice@contoso.com') } });
    t.equal(r.outcome, 'complete', r.error ?? 'session complete');
    const cmds = profileCommands(r.commands);
    const targets = targetsOf(cmds);
    t.ok(
      targets.some((x) => x.startsWith(`${U}/ClientCertificateInstall/PFXCertInstall/alice-cert/`)),
      'PFX',
    );
    t.ok(targets.includes(`${U}/VPNv2/Contoso%20VPN/ProfileXML`), 'VPN');
    t.ok(
      targets.some((x) => x.startsWith(`${U}/WiFi/Profile/Contoso%20Sales/`)),
      'Wi-Fi',
    );
    t.ok(
      targets.some((x) => x.startsWith(`${U}/EMAIL2/`)),
      'mail',
    );
    t.ok(targets.includes('./User/Vendor/MSFT/Policy/Config/Start/HideSleep'), 'the device-wide user setting');
    t.notOk(
      targets.some((x) => x.includes('Bob%20VPN')),
      "not Bob's VPN",
    );
    t.notOk(
      targets.some((x) => x.startsWith('./Device/Vendor/MSFT/RootCATrustedCertificates')),
      'the root is not sent again',
    );
    const pfx = cmds.find((c) => c.targets.some((x) => x.endsWith('/PFXCertBlob')))!;
    const vpn = cmds.find((c) => c.targets.some((x) => x.endsWith('/ProfileXML')))!;
    t.ok(Number(pfx.msgId) < Number(vpn.msgId), `the certificate (message ${pfx.msgId}) before the VPN that uses it (message ${vpn.msgId})`);
    const wifiAtomics = cmds.filter(
      (c) => c.kind === 'Atomic' && cmds.some((x) => x.parents.includes(c.cmdId) && x.msgId === c.msgId && x.targets[0]?.endsWith('/WlanXml')),
    );
    t.same(
      wifiAtomics.map((c) => c.status),
      ['507', '200'],
      'Wi-Fi: 418 inside the Atomic, then the Replace',
    );
    t.same(
      cmds.filter((c) => c.targets[0]?.endsWith('/WlanXml')).map((c) => `${c.kind} ${c.status}`),
      ['Add 418', 'Replace 200'],
    );
    t.ok(
      cmds.filter((c) => !c.targets[0]?.endsWith('/WlanXml') && !wifiAtomics.includes(c)).every((c) => c.status[0] === '2'),
      'every other command succeeded',
    );
    t.ok(dev.tree.has(`${U}/VPNv2/Contoso%20VPN/ProfileXML`), "in Alice's tree");
    t.equal(dev.tree.read(`${U}/WiFi/Profile/Contoso%20Sales/WlanXml`)?.data.includes('correct horse battery'), true, 'the device got the real passphrase');
    const view = (await s.admin('GET', `/api/v1/devices/${deviceId}`)).json;
    t.equal(view.signedInUser.oid, aOid);
    const alice = view.profiles.find((g: any) => g.user?.key === aOid);
    t.ok(alice, 'a status group for Alice');
    for (const id of [aCert, aVpn, aWifi, aMail, everyone]) t.match(alice.profiles.find((p: any) => p.profileId === id)?.status, /^(delivered|verified)$/, id);
    t.equal(alice.profiles.find((p: any) => p.profileId === aMail)?.status, 'verified', 'mail leaves read back');
    t.notOk(
      view.profiles.find((g: any) => g.user === null).profiles.some((p: any) => p.profileId === everyone),
      'the "held: nobody" placeholder is gone',
    );
    const commands = (await s.admin('GET', `/api/v1/devices/${deviceId}/commands?limit=1000`)).json.commands;
    t.notOk(JSON.stringify(commands).includes('correct horse battery'), 'the command list shows no secret');
    const traces = JSON.stringify((await s.admin('GET', `/api/v1/devices/${deviceId}/sessions?limit=200`)).json);
    t.ok(traces.includes('PFXCertBlob'), 'the trace has the session');
    for (const secret of ['correct horse battery', 'M@il-secret', 'Pfx-Passw0rd', PFX_B64.slice(0, 64)])
      t.notOk(traces.includes(secret), `no secret in the session trace (${secret.slice(0, 6)}…)`);
  });

  await t.test('nobody signed in again: nothing for the user tree, nothing resent', async (t) => {
    const r = await dev.checkin({ user: null });
    t.equal(r.outcome, 'complete', r.error ?? 'session complete');
    t.same(targetsOf(profileCommands(r.commands)), []);
  });

  await t.test("Bob signs in: Bob's set, not Alice's", async (t) => {
    const r = await dev.checkin({ user: { token: await userToken(bOid, 'bob@contoso.com') } });
    t.equal(r.outcome, 'complete', r.error ?? 'session complete');
    const targets = targetsOf(profileCommands(r.commands));
    t.ok(targets.includes(`${U}/VPNv2/Bob%20VPN/ProfileXML`), "Bob's VPN");
    t.ok(targets.includes('./User/Vendor/MSFT/Policy/Config/Start/HideSleep'), 'the device-wide user setting, for Bob too');
    t.notOk(
      targets.some((x) => x.includes('Contoso%20VPN') || x.includes('WiFi') || x.includes('EMAIL2') || x.includes('PFXCertInstall')),
      "none of Alice's",
    );
    t.notOk(dev.tree.has(`${U}/WiFi/Profile/Contoso%20Sales/WlanXml`), "Bob's tree has no Alice Wi-Fi");
  });

  await t.test('Alice again: nothing new', async (t) => {
    const r = await dev.checkin({ user: { token: await userToken(aOid, 'alice@contoso.com') } });
    t.equal(r.outcome, 'complete', r.error ?? 'session complete');
    t.same(targetsOf(profileCommands(r.commands)), []);
  });

  await t.test("Alice's VPN unassigned: its Delete arrives on her next session, not on Bob's", async (t) => {
    t.equal((await s.admin('DELETE', `/api/v1/profiles/${aVpn}/assignments`, { targetType: 'user', targetId: aOid })).status, 204);
    const b = await dev.checkin({ user: { token: await userToken(bOid, 'bob@contoso.com') } });
    t.same(targetsOf(profileCommands(b.commands)), [], 'Bob gets nothing');
    const a = await dev.checkin({ user: { token: await userToken(aOid, 'alice@contoso.com') } });
    const cmds = profileCommands(a.commands);
    t.same(
      cmds.map((c) => [c.kind, c.targets]),
      [['Delete', [`${U}/VPNv2/Contoso%20VPN`]]],
    );
    t.notOk(dev.tree.has(`${U}/VPNv2/Contoso%20VPN/ProfileXML`), 'gone from the device');
    const st = (await s.admin('GET', `/api/v1/profiles/${aVpn}/status`)).json;
    t.equal(st.counts.removed, 1);
    t.equal((await s.admin('GET', '/api/v1/profiles/no-such-profile/status')).status, 404, 'an unknown profile has no status');
  });

  await t.test('a profile edited: only the changed node is replaced', async (t) => {
    const r0 = await s.admin('PATCH', `/api/v1/profiles/${aMail}`, { settings: { ...mailSettings, password: '********', syncIntervalMinutes: 30 } });
    t.equal(r0.status, 200, JSON.stringify(r0.json));
    const a = await dev.checkin();
    const cmds = profileCommands(a.commands).filter((c) => c.kind !== 'Get');
    t.same(
      cmds.map((c) => c.kind),
      ['Replace'],
    );
    t.equal(cmds[0].targets.length, 1);
    t.match(cmds[0].targets[0], /\/EMAIL2\/.*\/LINGER$/);
    t.equal(cmds[0].data[0], '30');
    const st = (await s.admin('GET', `/api/v1/profiles/${aMail}/status`)).json;
    t.equal(st.version, 2);
    t.equal(st.counts.verified, 1);
    t.equal(st.outdated, 0);
  });

  await t.test('a failing node shows up in status with its LocURI', async (t) => {
    const uri = './Device/Vendor/MSFT/Policy/Config/Camera/AllowCamera';
    dev.tree.set(uri, { format: 'int', value: '1', readOnly: true });
    const bad = await create({ name: 'Camera off', kind: 'custom', scope: 'device', settings: { nodes: [{ locUri: uri, format: 'int', value: '0' }] } });
    await assign(bad, { targetType: 'all' });
    const r = await dev.checkin();
    t.equal(r.outcome, 'complete', r.error ?? 'session complete');
    const st = (await s.admin('GET', `/api/v1/profiles/${bad}/status`)).json;
    t.equal(st.counts.failed, 1, JSON.stringify(st));
    t.match(st.failures[0].detail, /405 at \.\/Device\/Vendor\/MSFT\/Policy\/Config\/Camera\/AllowCamera/);
    const again = await dev.checkin();
    t.same(targetsOf(profileCommands(again.commands)), [], 'a failed delivery is not retried until the profile changes');
  });

  await t.test('a deleted profile is removed from every tree that has it', async (t) => {
    t.equal((await s.admin('DELETE', `/api/v1/profiles/${everyone}`)).status, 204);
    const a = await dev.checkin();
    t.same(targetsOf(profileCommands(a.commands)), ['./User/Vendor/MSFT/Policy/Config/Start/HideSleep'], "removed from Alice's tree");
    const b = await dev.checkin({ user: { token: await userToken(bOid, 'bob@contoso.com') } });
    t.same(targetsOf(profileCommands(b.commands)), ['./User/Vendor/MSFT/Policy/Config/Start/HideSleep'], "and from Bob's");
    t.equal(b.commands.find((c) => c.kind === 'Delete')?.status, '200');
  });
});

t.test('single-user (Full) enrollment: the enrolled user gets user profiles; a refusal of ./User is held, not failed', async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.close());
  t.equal((await s.admin('POST', '/api/v1/enrollment-accounts', { username: 'carol', password: 'carol-password-1' })).status, 201);
  const dev = new SimDevice({
    url: s.publicUrl,
    ca: s.caPem,
    connectTo: { host: '127.0.0.1', port: s.server.port },
    credential: { kind: 'password', username: 'carol', password: 'carol-password-1' },
  });
  const e = await dev.enroll();
  t.equal(e.enrollmentType, 'Full');
  const created = await s.admin('POST', '/api/v1/profiles', {
    name: 'Carol setting',
    kind: 'custom',
    scope: 'user',
    settings: { nodes: [{ locUri: './User/Vendor/MSFT/Policy/Config/Start/HideSleep', format: 'int', value: '1' }] },
  });
  t.equal(created.status, 201);
  t.equal((await s.admin('POST', `/api/v1/profiles/${created.json.id}/assignments`, { targetType: 'all' })).status, 201);
  const status = async () => (await s.admin('GET', `/api/v1/profiles/${created.json.id}/status`)).json;

  // Windows answers 405 to ./User when the session has no user context (nobody signed in).
  const none = await dev.checkin({ loginStatus: 'none', mode: 'Maintenance' });
  t.equal(none.outcome, 'complete', none.error ?? 'session complete');
  const refused = none.commands.find((c) => c.targets.includes('./User/Vendor/MSFT/Policy/Config/Start/HideSleep'));
  t.equal(refused?.status, '405', 'the device refused the user setting');
  let st = await status();
  t.equal(st.counts.held, 1, JSON.stringify(st));
  t.equal(st.counts.failed, 0, 'held, not failed');
  t.match(st.held[0].detail, /no user context/);

  const again = await dev.checkin({ loginStatus: 'none', mode: 'Maintenance' });
  t.notOk(
    again.commands.some((c) => c.targets.some((x) => x.startsWith('./User/'))),
    'not retried while still nobody',
  );
  const user = await dev.checkin();
  t.equal(user.outcome, 'complete', user.error ?? 'session complete');
  t.equal(
    user.commands.find((c) => c.kind === 'Add' && c.targets[0] === './User/Vendor/MSFT/Policy/Config/Start/HideSleep')?.status,
    '200',
    'retried once the user is there',
  );
  st = await status();
  t.equal(st.counts.verified, 1, JSON.stringify(st));
  t.equal(st.counts.held, 0);
  const machine = await dev.checkin({ mode: 'Machine' });
  t.notOk(
    machine.commands.some((c) => c.targets.some((x) => x.startsWith('./User/'))),
    'nothing for ./User in a Machine session',
  );
});
