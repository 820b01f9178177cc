// Apps end to end (#15, "Done means"): a real server (TLS, SQLite) and the simulator, an
// Entra-joined shared PC, MSIs built with wixl at test time and uploaded through the admin API.
// The device downloads each package from the signed URL outside the OMA-DM session, checks its
// hash, installs it and reports Status; the server follows it to the end.
// * an MSI assigned to user A installs in A's ./User tree only; user B signs in and gets B's;
// * a second version set live reaches A as the new version (the major upgrade replaces it);
// * unassigning uninstalls;
// * a download cut mid-way is retried and resumed with Range (the server answers 206 from the
//   byte the first attempt stopped at) and ends installed;
// * a hash mismatch is reported failed, as GET /api/v1/apps/:id/status shows.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import type { DmLogEntry } from '../../src/sim/dm-tree.js';
import { buildMsi, noWixl, type BuiltMsi } from '../helpers/packages.js';
import { AUDIENCE, startTestServer, type TestServer } from '../helpers/server.js';
import { entraSimDevice } from '../helpers/sim-device.js';

if (noWixl) {
  t.plan(0, noWixl);
  process.exit(0);
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-apps-e2e-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
const notesUpgrade = `{${crypto.randomUUID().toUpperCase()}}`;
const notes1 = await buildMsi(dir, { name: 'Contoso Notes', version: '1.0.0', manufacturer: 'Contoso', upgradeCode: notesUpgrade, perUser: true });
const notes2 = await buildMsi(dir, { name: 'Contoso Notes', version: '2.0.0', manufacturer: 'Contoso', upgradeCode: notesUpgrade, perUser: true });
const clip = await buildMsi(dir, { name: 'Contoso Clip', version: '3.1.0', manufacturer: 'Contoso', perUser: true });
const big = await buildMsi(dir, { name: 'Fabrikam Suite', version: '5.0.0', manufacturer: 'Fabrikam', payloadBytes: 600_000 });
const tool = await buildMsi(dir, { name: 'Fabrikam Tool', version: '1.4.0', manufacturer: 'Fabrikam' });

const UMSI = './User/Vendor/MSFT/EnterpriseDesktopAppManagement/MSI';
const DMSI = './Device/Vendor/MSFT/EnterpriseDesktopAppManagement/MSI';
const enc = (code: string) => code.replace('{', '%7B').replace('}', '%7D');

async function upload(s: TestServer, pkg: BuiltMsi, appId?: string): Promise<{ app: any; version: any }> {
  const res = await s.request(appId ? `/api/v1/apps/${appId}/versions` : '/api/v1/apps/packages', {
    connectTo: { host: '127.0.0.1', port: s.server.adminPort ?? s.server.port },
    method: 'POST',
    headers: { authorization: `Bearer ${s.adminToken}`, 'content-type': 'application/octet-stream' },
    body: fs.readFileSync(pkg.file),
  });
  if (res.status !== 201) throw new Error(`upload ${path.basename(pkg.file)}: ${res.status} ${res.text()}`);
  return JSON.parse(res.text());
}

async function ok(s: TestServer, method: string, p: string, body?: unknown): Promise<any> {
  const r = await s.admin(method, p, body);
  if (r.status >= 300) throw new Error(`${method} ${p}: ${r.status} ${JSON.stringify(r.json)}`);
  return r.json;
}

/** Every delivery row of the app, flattened. */
async function rows(s: TestServer, appId: string): Promise<{ status: string; detail?: string; user: { key: string } | null; intent: string }[]> {
  const st = await ok(s, 'GET', `/api/v1/apps/${appId}/status`);
  return st.flatMap((p: any) => p.deliveries.map((d: any) => ({ ...d, intent: p.intent })));
}

/** The server's own count of content downloads answered with this status (its /metrics). */
async function contentAnswers(s: TestServer, status: number): Promise<number> {
  const text = (await s.request('/metrics', { headers: { authorization: `Bearer ${s.adminToken}` } })).text();
  const line = text
    .split('\n')
    .find(
      (l) =>
        l.startsWith('fenestra_http_request_duration_seconds_count{') &&
        l.includes('route="/content/:sha256"') &&
        l.includes('method="GET"') &&
        l.includes(`status="${status}"`),
    );
  return line ? Number(line.split(' ').at(-1)) : 0;
}

const targets = (cmds: DmLogEntry[]) => cmds.flatMap((c) => c.targets.map((x) => `${c.kind} ${x}`));

t.test('MSI apps end to end on a shared Entra-joined PC', async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.close());
  const tid = await s.connectTenant();
  const aOid = crypto.randomUUID();
  const bOid = crypto.randomUUID();
  const token = (oid: string, upn: string) => s.entra.mintToken({ tid, aud: AUDIENCE, upn, oid });
  const dev = entraSimDevice(s, tid, { upn: 'alice@contoso.com', oid: aOid }, { appDir: path.join(dir, 'device') });
  await dev.enroll();
  const devicePk = (await ok(s, 'GET', '/api/v1/devices')).devices.find((d: any) => d.deviceId === dev.deviceId).id;
  const alice = { token: await token(aOid, 'alice@contoso.com') };
  const bob = { token: await token(bOid, 'bob@contoso.com') };

  /** Check in (as `user`) until the app's rows for that user settle, at most `max` sessions; returns every command the device got. */
  const settle = async (appId: string, user: { token: string } | null, key: string | null, max = 4) => {
    const got: DmLogEntry[] = [];
    for (let i = 0; i < max; i++) {
      const r = await dev.checkin({ user });
      t.equal(r.outcome, 'complete', r.error ?? 'session complete');
      got.push(...r.commands);
      const mine = (await rows(s, appId)).filter((x) => (x.user?.key ?? null) === key);
      if (mine.length && mine.every((x) => x.status !== 'installing' && x.status !== 'pending' && x.status !== 'delivered')) break;
    }
    return got;
  };

  const notes = await upload(s, notes1);
  const clipApp = await upload(s, clip);
  t.equal(notes.version.msi.productCode, notes1.productCode, 'the catalog read the package');
  await ok(s, 'POST', `/api/v1/apps/${notes.app.id}/assignments`, { targetType: 'user', targetId: aOid, intent: 'install', scope: 'user' });
  await ok(s, 'POST', `/api/v1/apps/${clipApp.app.id}/assignments`, { targetType: 'user', targetId: 'bob@contoso.com', intent: 'install', scope: 'user' });

  await t.test("user A signs in: A's app installs in A's ./User tree only", async (t) => {
    const cmds = await settle(notes.app.id, alice, aOid);
    const sent = targets(cmds);
    t.ok(sent.includes(`Exec ${UMSI}/${enc(notes1.productCode)}/DownloadInstall`), "A's DownloadInstall");
    t.notOk(
      sent.some((x) => x.includes(enc(clip.productCode))),
      "not B's app",
    );
    const job = cmds.find((c) => c.kind === 'Exec' && c.targets[0].endsWith('/DownloadInstall'))!;
    t.equal(job.status, '202', 'the device accepted the job');
    t.notMatch(job.data[0], /\{\{content:/, 'the URL was signed when sent');
    t.match(job.data[0], new RegExp(`/content/${notes1.sha256}\\?`), 'the signed URL names the package');
    dev.tree.setUser(aOid);
    t.equal(dev.tree.read(`${UMSI}/${enc(notes1.productCode)}/Status`)?.data, '70', 'installed');
    t.equal(dev.tree.read(`${UMSI}/${enc(notes1.productCode)}/Version`)?.data, '1.0.0');
    t.notOk(dev.tree.has(`${UMSI}/${enc(clip.productCode)}`), "B's app is not in A's tree");
    dev.tree.setUser(null);
    t.notOk(dev.tree.has(`${DMSI}/${enc(notes1.productCode)}`), 'nothing in the device tree');
    const r = (await rows(s, notes.app.id)).filter((x) => x.user?.key === aOid);
    t.same(
      r.map((x) => x.status),
      ['verified'],
      'the server followed the install to the end',
    );
  });

  await t.test("user B signs in on the same PC: B's app, not A's", async (t) => {
    dev.signIn(bob);
    const cmds = await settle(clipApp.app.id, bob, bOid);
    const sent = targets(cmds);
    t.ok(sent.includes(`Exec ${UMSI}/${enc(clip.productCode)}/DownloadInstall`), "B's DownloadInstall");
    t.notOk(
      sent.some((x) => x.includes(enc(notes1.productCode))),
      "A's app is not sent in B's session",
    );
    dev.tree.setUser(bOid);
    t.equal(dev.tree.read(`${UMSI}/${enc(clip.productCode)}/Status`)?.data, '70');
    t.notOk(dev.tree.has(`${UMSI}/${enc(notes1.productCode)}`), "A's app is not in B's tree");
    dev.tree.setUser(aOid);
    t.notOk(dev.tree.has(`${UMSI}/${enc(clip.productCode)}`), "B's app is not in A's tree");
    t.same(
      (await rows(s, clipApp.app.id)).map((x) => [x.user?.key, x.status]),
      [[bOid, 'verified']],
    );
  });

  await t.test('what is installed is read back: the MSI products of the session user', async (t) => {
    const q = await s.admin('POST', `/api/v1/devices/${devicePk}/commands`, { action: 'sync' });
    t.equal(q.status, 201, JSON.stringify(q.json));
    const r = await dev.checkin({ user: bob });
    t.equal(r.outcome, 'complete');
    const sent = targets(r.commands);
    t.ok(sent.includes(`Get ${UMSI}`), "the product list of B's tree");
    t.ok(sent.includes(`Get ${UMSI}/${enc(clip.productCode)}/Version`), 'then its product’s details');
    const view = await ok(s, 'GET', `/api/v1/devices/${devicePk}/apps`);
    const clipRow = view.apps.find((a: any) => a.key === clip.productCode);
    t.match(clipRow, { user: bOid, source: 'msi', name: 'Contoso Clip', version: '3.1.0', publisher: 'Contoso' }, "B's product, as the device reported it");
    t.notOk(
      view.apps.some((a: any) => a.key === notes1.productCode && a.user === bOid),
      "A's product is not listed for B",
    );
  });

  await t.test('a second version set live reaches A as the new version', async (t) => {
    const v2 = await upload(s, notes2, notes.app.id);
    await ok(s, 'PUT', `/api/v1/apps/${notes.app.id}/live`, { versionId: v2.version.id });
    dev.signOut(bOid);
    const cmds = await settle(notes.app.id, alice, aOid);
    t.ok(targets(cmds).includes(`Exec ${UMSI}/${enc(notes2.productCode)}/DownloadInstall`), 'the new ProductCode’s job');
    dev.tree.setUser(aOid);
    t.equal(dev.tree.read(`${UMSI}/${enc(notes2.productCode)}/Version`)?.data, '2.0.0', 'the new version installed');
    t.notOk(dev.tree.has(`${UMSI}/${enc(notes1.productCode)}`), 'the old one replaced (major upgrade)');
    const r = (await rows(s, notes.app.id)).filter((x) => x.user?.key === aOid);
    t.same(
      r.map((x) => x.status),
      ['verified'],
    );
  });

  await t.test('unassigning uninstalls', async (t) => {
    const r = await s.admin('DELETE', `/api/v1/apps/${notes.app.id}/assignments`, { targetType: 'user', targetId: aOid, intent: 'install', scope: 'user' });
    t.equal(r.status, 204, JSON.stringify(r.json));
    const res = await dev.checkin({ user: alice });
    t.ok(targets(res.commands).includes(`Delete ${UMSI}/${enc(notes2.productCode)}`), 'Delete of the product');
    dev.tree.setUser(aOid);
    t.notOk(dev.tree.has(`${UMSI}/${enc(notes2.productCode)}`), 'uninstalled');
    dev.tree.setUser(bOid);
    t.equal(dev.tree.read(`${UMSI}/${enc(clip.productCode)}/Status`)?.data, '70', "B's app stays");
  });

  await t.test('a download cut mid-way is retried and resumed with Range, and ends installed', async (t) => {
    const suite = await upload(s, big);
    await ok(s, 'POST', `/api/v1/apps/${suite.app.id}/assignments`, { targetType: 'device', targetId: devicePk, intent: 'install', scope: 'device' });
    dev.signOutAll();
    dev.apps.faults = { cutDownloadAfter: 200_000 };
    const partial = await contentAnswers(s, 206);
    const first = await dev.checkin({ user: null });
    t.ok(targets(first.commands).includes(`Exec ${DMSI}/${enc(big.productCode)}/DownloadInstall`));
    const job = dev.apps.jobs.find((j) => j.id === big.productCode)!;
    t.same(job.statuses, [10, 20, 25], 'the first attempt lost its connection: pending download retry');
    await settle(suite.app.id, null, null);
    dev.apps.faults = {};
    t.same(job.statuses, [10, 20, 25, 20, 40, 50, 70]);
    t.equal(job.http[0].status, 200);
    t.equal(job.http[0].received, 200_000);
    t.equal(job.http[1].status, 206, 'the server answered the Range');
    t.equal(job.http[1].requestedFrom, 200_000, 'from the byte the first attempt stopped at');
    t.match(job.http[1].contentRange, new RegExp(`^bytes 200000-${big.size - 1}/${big.size}$`));
    t.equal(await contentAnswers(s, 206), partial + 1, 'the server counted one 206 download');
    t.equal(dev.tree.read(`${DMSI}/${enc(big.productCode)}/Status`)?.data, '70');
    t.same(
      (await rows(s, suite.app.id)).map((x) => x.status),
      ['verified'],
    );
  });

  await t.test('a hash mismatch is reported as failed', async (t) => {
    const toolApp = await upload(s, tool);
    await ok(s, 'POST', `/api/v1/apps/${toolApp.app.id}/assignments`, { targetType: 'device', targetId: devicePk, intent: 'install', scope: 'device' });
    dev.apps.faults = { hash: true };
    await settle(toolApp.app.id, null, null);
    dev.apps.faults = {};
    t.equal(dev.tree.read(`${DMSI}/${enc(tool.productCode)}/Status`)?.data, '30', 'download failed');
    const r = await rows(s, toolApp.app.id);
    t.same(
      r.map((x) => x.status),
      ['failed'],
    );
    t.match(r[0].detail, /0x80096010/, 'the status says why: TRUST_E_BAD_DIGEST');
  });
});
