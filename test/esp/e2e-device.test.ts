// The Enrollment Status Page end to end (#16, "Done means"): a real server (TLS; SQLite, and
// PostgreSQL) and the simulator, an Entra-joined device whose day zero requires three items — a
// trusted root certificate, a Wi-Fi profile that needs it (PEAP trusting that root) and an MSI
// built by wixl and uploaded through the admin API. The simulated device models the page
// (src/sim/esp.ts): it reads the Expected* lists the server declares, watches each item arrive
// (the MSI installed outside the session, reported by alert in the next one), and records what
// it would show; its clock is the test's, so the time-out passes without waiting.
// * every required item is declared in the list Windows tracks it by, and each is done;
//   ServerHasFinishedProvisioning arrives only after the last one (the device says which items
//   were not done when it was written: none), the page ends done, the server's timeline agrees;
// * an MSI whose installer fails (the sim's install fault): the item is failed, the server never
//   finishes, and when TimeOutUntilSyncFailure has passed the page shows the admin's error text.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { SimDevice } from '../../src/sim/device.js';
import type { SimEspPhase } from '../../src/sim/esp.js';
import { buildMsi, noWixl, type BuiltMsi } from '../helpers/packages.js';
import { AUDIENCE, startTestServer, type TestServer } from '../helpers/server.js';

if (noWixl) {
  t.plan(0, noWixl);
  process.exit(0);
}

const ROOT_PEM = fs.readFileSync(path.join(import.meta.dirname, '..', '..', 'fixtures', 'csp', 'test-root-ca.pem'), 'utf8');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-esp-e2e-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
const tool = await buildMsi(dir, { name: 'Contoso Tool', version: '1.2.0', manufacturer: 'Contoso' });
const ERROR_TEXT = 'Your PC could not be set up. Call Contoso IT on 555-0100.';

async function ok(s: TestServer, method: string, p: string, body?: unknown): Promise<any> {
  const r = await s.admin(method, p, body);
  if (r.status >= 300) throw new Error(`${method} ${p}: ${r.status} ${JSON.stringify(r.json)}`);
  return r.json;
}

async function upload(s: TestServer, pkg: BuiltMsi): Promise<{ app: any; version: any }> {
  const res = await s.request('/api/v1/apps/packages', {
    connectTo: { host: '127.0.0.1', port: s.server.adminPort ?? s.server.port },
    method: 'POST',
    headers: { authorization: `Bearer ${s.adminToken}`, 'content-type': 'application/octet-stream' },
    body: fs.readFileSync(pkg.file),
  });
  if (res.status !== 201) throw new Error(`upload: ${res.status} ${res.text()}`);
  return JSON.parse(res.text());
}

/** The three required items, assigned to all; the ESP policy for all with a 30-minute time-out. */
async function setup(s: TestServer) {
  const root = await ok(s, 'POST', '/api/v1/profiles', {
    name: 'Corp root',
    kind: 'certificate',
    scope: 'device',
    settings: { ref: 'corp-root', type: 'trusted-root', certificateBase64: ROOT_PEM },
  });
  const wifi = await ok(s, 'POST', '/api/v1/profiles', {
    name: 'Corp Wi-Fi',
    kind: 'wifi',
    scope: 'device',
    settings: { ssid: 'ContosoCorp', security: 'WPA2', eap: { method: 'peap-mschapv2', serverTrust: { rootCertificateRefs: ['corp-root'] } } },
  });
  for (const p of [root, wifi]) await ok(s, 'POST', `/api/v1/profiles/${p.id}/assignments`, { targetType: 'all' });
  const app = await upload(s, tool);
  const deployed = await ok(s, 'POST', `/api/v1/apps/${app.app.id}/assignments`, { targetType: 'all', intent: 'install', scope: 'device' });
  t.ok(deployed.profileId, "the app's profile");
  await ok(s, 'POST', '/api/v1/esp-policies', {
    name: 'Everyone',
    target: { type: 'all' },
    requiredProfileIds: [root.id, wifi.id, deployed.profileId],
    timeoutMinutes: 30,
    errorText: ERROR_TEXT,
    blockDevice: true,
    allowCollectLogs: true,
    skipUserPhase: true,
  });
  return { root: root.id as string, wifi: wifi.id as string, app: deployed.profileId as string };
}

function device(s: TestServer, tid: string, clock: { now: Date }, name: string): SimDevice {
  const dev: SimDevice = new SimDevice({
    url: s.publicUrl,
    ca: s.caPem,
    connectTo: { host: '127.0.0.1', port: s.server.port },
    credential: {
      kind: 'entra',
      token: () => s.entra.mintToken({ tid, aud: AUDIENCE, upn: 'alice@contoso.com', oid: crypto.randomUUID(), deviceid: dev.deviceId }),
    },
    appDir: path.join(dir, name),
    now: () => clock.now,
  });
  return dev;
}

const summary = (p: SimEspPhase) => p.items.map((i) => [i.category, i.status]);

for (const database of ['sqlite', 'postgres'] as const) {
  t.test(`device phase end to end (${database})`, async (t) => {
    const s = await startTestServer({}, { database });
    t.teardown(() => s.close());
    const tid = await s.connectTenant();
    const ids = await setup(s);
    const clock = { now: new Date() };

    await t.test('three required items declared, each done, finished only after the last', async (t) => {
      const dev = device(s, tid, clock, 'ok');
      await dev.enroll();
      t.equal(dev.esp.phase()?.status, 'not-declared', 'the phase begins at enrollment; the page shows once the server declares it');
      const first = await dev.checkin();
      t.equal(first.outcome, 'complete', first.error ?? 'session complete');
      let p = dev.esp.phase()!;
      t.equal(p.status, 'in-progress', 'not finished in the first session: the MSI installs after it');
      t.same(p.errors, [], 'every list entry readable');
      t.equal(p.timeoutMinutes, 30, "the admin's time-out");
      const byCat = Object.fromEntries(p.items.map((i) => [i.category, i]));
      t.match(byCat.policies?.uri, /^\.\/(Device\/)?Vendor\/MSFT\/RootCATrustedCertificates\/Root\/[0-9A-F]{40}\//, 'the root certificate in ExpectedPolicies');
      t.equal(byCat.network?.uri, './Device/Vendor/MSFT/WiFi/Profile/ContosoCorp', 'the Wi-Fi profile in ExpectedNetworkProfiles');
      t.match(
        byCat.apps?.uri,
        new RegExp(`/EnterpriseDesktopAppManagement/MSI/(%7B|\\{)${tool.productCode.slice(1, -1)}(%7D|\\})/Status$`),
        'the MSI in ExpectedMSIAppPackages',
      );
      t.equal(byCat.apps?.count, 1);
      t.equal(p.items.length, 3);
      t.same(
        summary(p).map(([c, st]) => (c === 'apps' ? [c, st] : [c, 'done'])),
        summary(p),
        'the certificate and the Wi-Fi profile are in place after the first session',
      );
      t.equal(byCat.apps?.status, 'done', 'the MSI installed after the session (the sim runs its jobs then)');
      t.equal(dev.tree.read(`./Vendor/MSFT/DMClient/Provider/fenestra/FirstSyncStatus/CustomErrorText`)?.data, ERROR_TEXT);
      t.equal(dev.tree.read(`./Vendor/MSFT/DMClient/Provider/fenestra/FirstSyncStatus/BlockInStatusPage`)?.data, '2');
      t.notOk(p.serverFinishedAt, 'the server has not finished: it has not heard of the MSI yet');

      for (let i = 0; i < 4 && dev.esp.phase()!.status === 'in-progress'; i++) {
        const r = await dev.checkin();
        t.equal(r.outcome, 'complete', r.error ?? 'session complete');
      }
      p = dev.esp.phase()!;
      t.equal(p.status, 'done', 'the page ended done');
      t.same(p.notDoneAtServerFinish, [], 'every item was done when ServerHasFinishedProvisioning arrived');
      const fin = p.events.find((e) => e.type === 'server-finished')!;
      const lastDone = p.events.filter((e) => e.type === 'item-done').at(-1)!;
      t.ok(fin.session > lastDone.session, 'finished in a later session than the last item (the install reported by alert)');
      t.same(
        p.events.filter((e) => e.type === 'declared').map((e) => e.session),
        [1, 1, 1],
        'the three lists declared in the first session, never again',
      );
      t.equal(dev.tree.read('./Vendor/MSFT/DMClient/Provider/fenestra/FirstSyncStatus/WasDeviceSuccessfullyProvisioned')?.data, '1');

      const z = await ok(s, 'GET', `/api/v1/devices/${dev.deviceId}/day-zero`);
      t.equal(z.runs.length, 1);
      t.equal(z.runs[0].outcome, 'done');
      t.same(
        z.runs[0].items.map((i: any) => [i.profileId, i.status]).sort(),
        [
          [ids.root, 'done'],
          [ids.wifi, 'done'],
          [ids.app, 'done'],
        ].sort(),
      );
      // Later sessions: nothing declared, nothing finished again.
      const more = await dev.checkin();
      t.notOk(
        more.commands.some((c) => c.targets.some((x) => x.includes('/FirstSyncStatus/'))),
        'no FirstSyncStatus command after the page',
      );
    });

    await t.test("a failing item: no finish, the time-out shows the admin's error text", async (t) => {
      const dev = device(s, tid, clock, 'fault');
      dev.apps.faults = { install: true };
      await dev.enroll();
      for (let i = 0; i < 3; i++) t.equal((await dev.checkin()).outcome, 'complete');
      let p = dev.esp.phase()!;
      t.equal(p.status, 'in-progress', 'a failed item does not end the page before its time-out');
      t.same(
        summary(p).find(([c]) => c === 'apps'),
        ['apps', 'failed'],
      );
      t.equal(p.items.find((i) => i.category === 'apps')?.detail, 'MSI Status 60');
      const z = await ok(s, 'GET', `/api/v1/devices/${dev.deviceId}/day-zero`);
      t.equal(z.runs[0].outcome, 'failed', 'the server saw the item fail');
      t.equal(z.runs[0].items.find((i: any) => i.profileId === ids.app)?.status, 'failed');
      clock.now = new Date(clock.now.getTime() + 29 * 60_000);
      t.equal(dev.esp.phase()!.status, 'in-progress', '29 minutes: still waiting');
      clock.now = new Date(clock.now.getTime() + 60_000);
      t.equal((await dev.checkin()).outcome, 'complete');
      p = dev.esp.phase()!;
      t.equal(p.status, 'timed-out');
      t.equal(p.errorText, ERROR_TEXT, "the admin's error text");
      t.notOk(p.serverFinishedAt, 'the server never said it had finished');
      t.notOk(
        p.events.some((e) => e.type === 'server-finished'),
        'no ServerHasFinishedProvisioning',
      );
      t.equal(dev.tree.read('./Vendor/MSFT/DMClient/Provider/fenestra/FirstSyncStatus/WasDeviceSuccessfullyProvisioned')?.data, '0');
    });
  });
}
