// The Enrollment Status Page end to end on a shared PC (#16, "Done means"): a real server (TLS,
// SQLite) and the simulator, an Entra-joined device and two users. The policy requires a trusted
// root and a Wi-Fi profile needing it (the device phase), and for each user a user-scope policy
// and a per-user MSI built by wixl (the user phase, in that user's ./User tree).
// * the device phase ends done before anybody signs in;
// * user A's first sign-in opens A's page: A's items are declared in ./User, each is done,
//   ServerHasFinishedProvisioning (./User) arrives after the last; A's later sign-ins: no page,
//   nothing declared again;
// * user B's per-user MSI fails to install (the sim's install fault): B's page is never finished
//   and shows the admin's error text once the time-out passes; B's next sign-in: no page again.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { SimDevice } from '../../src/sim/device.js';
import type { DmLogEntry } from '../../src/sim/dm-tree.js';
import { buildMsi, noWixl } from '../helpers/packages.js';
import { AUDIENCE, startTestServer, type TestServer } from '../helpers/server.js';

if (noWixl) {
  t.plan(0, noWixl);
  process.exit(0);
}

const ROOT_PEM = fs.readFileSync(path.join(import.meta.dirname, '..', '..', 'fixtures', 'csp', 'test-root-ca.pem'), 'utf8');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-esp-shared-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
const notes = await buildMsi(dir, { name: 'Contoso Notes', version: '2.0.0', manufacturer: 'Contoso', perUser: true });
const ERROR_TEXT = 'Your account could not be set up. Call Contoso IT on 555-0100.';
const JUMPLISTS = './User/Vendor/MSFT/Policy/Config/Start/HideRecentJumplists';

async function ok(s: TestServer, method: string, p: string, body?: unknown): Promise<any> {
  const r = await s.admin(method, p, body);
  if (r.status >= 300) throw new Error(`${method} ${p}: ${r.status} ${JSON.stringify(r.json)}`);
  return r.json;
}

const firstSyncCommands = (cmds: DmLogEntry[]) => cmds.filter((c) => c.targets.some((x) => x.includes('/FirstSyncStatus/')));

t.test('the user phase on a shared Entra-joined PC', async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.close());
  const tid = await s.connectTenant();

  const profile = async (body: Record<string, unknown>) => {
    const p = await ok(s, 'POST', '/api/v1/profiles', body);
    await ok(s, 'POST', `/api/v1/profiles/${p.id}/assignments`, { targetType: 'all' });
    return p.id as string;
  };
  const root = await profile({
    name: 'Corp root',
    kind: 'certificate',
    scope: 'device',
    settings: { ref: 'corp-root', type: 'trusted-root', certificateBase64: ROOT_PEM },
  });
  const wifi = await profile({
    name: 'Corp Wi-Fi',
    kind: 'wifi',
    scope: 'device',
    settings: { ssid: 'ContosoCorp', security: 'WPA2', eap: { method: 'peap-mschapv2', serverTrust: { rootCertificateRefs: ['corp-root'] } } },
  });
  const jump = await profile({ name: 'No jump lists', kind: 'custom', scope: 'user', settings: { nodes: [{ locUri: JUMPLISTS, format: 'int', value: '1' }] } });
  const upload = await s.request('/api/v1/apps/packages', {
    connectTo: { host: '127.0.0.1', port: s.server.adminPort ?? s.server.port },
    method: 'POST',
    headers: { authorization: `Bearer ${s.adminToken}`, 'content-type': 'application/octet-stream' },
    body: fs.readFileSync(notes.file),
  });
  t.equal(upload.status, 201, 'MSI uploaded');
  const app = await ok(s, 'POST', `/api/v1/apps/${JSON.parse(upload.text()).app.id}/assignments`, { targetType: 'all', intent: 'install', scope: 'user' });
  await ok(s, 'POST', '/api/v1/esp-policies', {
    name: 'Everyone',
    target: { type: 'all' },
    requiredProfileIds: [root, wifi, jump, app.profileId],
    timeoutMinutes: 45,
    errorText: ERROR_TEXT,
    blockDevice: false,
    allowCollectLogs: false,
  });

  const clock = { now: new Date() };
  const aOid = crypto.randomUUID();
  const bOid = crypto.randomUUID();
  const token = (oid: string, upn: string) => s.entra.mintToken({ tid, aud: AUDIENCE, upn, oid });
  const dev: SimDevice = new SimDevice({
    url: s.publicUrl,
    ca: s.caPem,
    connectTo: { host: '127.0.0.1', port: s.server.port },
    credential: { kind: 'entra', token: () => s.entra.mintToken({ tid, aud: AUDIENCE, upn: 'alice@contoso.com', oid: aOid, deviceid: dev.deviceId }) },
    appDir: path.join(dir, 'device'),
    now: () => clock.now,
  });
  await dev.enroll();
  const alice = { token: await token(aOid, 'alice@contoso.com') };
  const bob = { token: await token(bOid, 'bob@contoso.com') };
  const dayZero = async () => (await ok(s, 'GET', `/api/v1/devices/${dev.deviceId}/day-zero`)).runs as any[];

  /** Sessions as `user` until their page (or the device's) is no longer in progress, at most `max`. */
  const until = async (key: string, user: { token: string } | null, max = 4) => {
    const got: DmLogEntry[] = [];
    for (let i = 0; i < max; i++) {
      const r = await dev.checkin({ user });
      t.equal(r.outcome, 'complete', r.error ?? 'session complete');
      got.push(...r.commands);
      if (dev.esp.phase(key)?.status !== 'in-progress') break;
    }
    return got;
  };

  await t.test('the device phase before anybody signs in', async (t) => {
    const cmds = await until('', null);
    const p = dev.esp.phase()!;
    t.equal(p.status, 'done');
    t.same(
      p.items.map((i) => [i.category, i.status]),
      [
        ['policies', 'done'],
        ['network', 'done'],
      ],
      "the device's items only: the root and the Wi-Fi profile",
    );
    t.same(p.notDoneAtServerFinish, []);
    t.notOk(
      cmds.some((c) => c.targets.some((x) => x.startsWith('./User/'))),
      'nothing for a user tree',
    );
    t.same(dev.esp.phases.length, 1, 'no user page yet');
  });

  await t.test("user A's first sign-in: A's page, A's items, finished after the last", async (t) => {
    dev.signIn(alice);
    t.equal(dev.esp.phase(aOid)?.status, 'not-declared', "A's phase begins at A's first sign-in (shown once declared)");
    const cmds = await until(aOid, alice);
    const p = dev.esp.phase(aOid)!;
    t.equal(p.status, 'done');
    t.same(
      p.items.map((i) => [i.category, i.uri.replace(/%7B|%7D|[{}]/g, ''), i.status]),
      [
        ['policies', JUMPLISTS, 'done'],
        ['apps', `./User/Vendor/MSFT/EnterpriseDesktopAppManagement/MSI/${notes.productCode.slice(1, -1)}/Status`, 'done'],
      ],
    );
    t.same(p.notDoneAtServerFinish, [], 'every item done when ServerHasFinishedProvisioning arrived');
    const fin = p.events.find((e) => e.type === 'server-finished')!;
    t.ok(fin.session > p.events.filter((e) => e.type === 'item-done').at(-1)!.session, 'after the session the MSI install was reported in');
    t.ok(
      firstSyncCommands(cmds).every((c) => c.user === aOid && c.targets.every((x) => x.startsWith('./User/'))),
      "A's page is declared in A's ./User tree",
    );
    t.equal(dev.esp.phase()!.events.filter((e) => e.type === 'declared-after-end').length, 0, "the device's page is not declared again");
    const a = (await dayZero()).find((r) => r.userKey === aOid.toLowerCase());
    t.equal(a?.outcome, 'done');
  });

  await t.test('A signs out and in again: no page, nothing declared', async (t) => {
    dev.signOutAll();
    t.equal((await dev.checkin()).outcome, 'complete');
    dev.signIn(alice);
    const r = await dev.checkin();
    t.equal(r.outcome, 'complete');
    t.same(firstSyncCommands(r.commands), [], 'no FirstSyncStatus command');
    t.equal(dev.esp.phases.filter((p) => p.user === aOid).length, 1, 'one page for A, ever');
  });

  await t.test("user B, whose app fails: the time-out shows the admin's error text, once", async (t) => {
    dev.apps.faults = { install: true };
    dev.signIn(bob);
    const opened = Date.parse(dev.esp.phase(bOid)!.startedAt);
    await until(bOid, bob, 3);
    let p = dev.esp.phase(bOid)!;
    t.equal(p.status, 'in-progress', 'waiting for the time-out');
    t.same(
      p.items.map((i) => [i.category, i.status]),
      [
        ['policies', 'done'],
        ['apps', 'failed'],
      ],
    );
    t.equal(p.timeoutMinutes, 45, "the device's TimeOutUntilSyncFailure applies to the user page");
    t.equal((await dayZero()).find((r) => r.userKey === bOid.toLowerCase())?.outcome, 'failed', 'the server saw it fail');
    clock.now = new Date(opened + 45 * 60_000);
    t.equal((await dev.checkin()).outcome, 'complete');
    p = dev.esp.phase(bOid)!;
    t.equal(p.status, 'timed-out');
    t.equal(p.errorText, ERROR_TEXT);
    t.notOk(p.serverFinishedAt, 'never finished by the server');
    dev.apps.faults = {};
    dev.signOutAll();
    dev.signIn(bob);
    const r = await dev.checkin();
    t.same(firstSyncCommands(r.commands), [], "B's next sign-in: nothing declared");
    t.equal(dev.esp.phases.filter((x) => x.user === bOid).length, 1);
    t.equal(dev.esp.phase(aOid)!.status, 'done', "A's page unchanged");
  });
});
