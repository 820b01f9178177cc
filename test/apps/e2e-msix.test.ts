// MSIX end to end (#15): packages assembled in the test (a zip with a real AppxManifest.xml, a
// framework it depends on), uploaded through the admin API, assigned to a user: the device gets
// AppInstallation/{PFN}/HostedInstall with the signed URLs of the package and its dependency,
// downloads both outside the session, installs, cleans its installation node up; the server
// follows it to installed; unassigning removes the package (RemovePackage). On SQLite and on
// PostgreSQL.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { packageFamilyName, packageFullName } from '../../src/protocol/packages/index.js';
import type { DmLogEntry } from '../../src/sim/dm-tree.js';
import { buildMsix } from '../helpers/packages.js';
import { AUDIENCE, startTestServer, type TestServer } from '../helpers/server.js';
import { entraSimDevice } from '../helpers/sim-device.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-msix-e2e-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
const fw = { name: 'Contoso.Runtime', publisher: 'CN=Contoso Ltd, O=Contoso, C=US', version: '1.0.0.0' };
const app = {
  name: 'Contoso.Paint',
  publisher: 'CN=Contoso Ltd, O=Contoso, C=US',
  version: '1.2.0.0',
  displayName: 'Contoso Paint',
  dependencies: [{ name: fw.name, publisher: fw.publisher, minVersion: '1.0.0.0' }],
};
const fwPkg = await buildMsix(dir, fw, '.appx');
const appPkg = await buildMsix(dir, app);
const pfn = packageFamilyName(app.name, app.publisher);
const fullName = packageFullName({ ...app, architecture: 'x64' });
const U = './User/Vendor/MSFT/EnterpriseModernAppManagement';

async function upload(s: TestServer, file: string): Promise<{ app: any; version: any }> {
  const res = await s.request(`/api/v1/apps/packages?fileName=${encodeURIComponent(path.basename(file))}`, {
    connectTo: { host: '127.0.0.1', port: s.server.adminPort ?? s.server.port },
    method: 'POST',
    headers: { authorization: `Bearer ${s.adminToken}`, 'content-type': 'application/octet-stream' },
    body: fs.readFileSync(file),
  });
  if (res.status !== 201) throw new Error(`upload ${path.basename(file)}: ${res.status} ${res.text()}`);
  return JSON.parse(res.text());
}

const targets = (cmds: DmLogEntry[]) => cmds.flatMap((c) => c.targets.map((x) => `${c.kind} ${x}`));

for (const database of ['sqlite', 'postgres'] as const) {
  t.test(`MSIX through HostedInstall, with its dependency (${database})`, async (t) => {
    const s = await startTestServer({}, { database });
    t.teardown(() => s.close());
    const tid = await s.connectTenant();
    const oid = crypto.randomUUID();
    const dev = entraSimDevice(s, tid, { upn: 'carol@contoso.com', oid }, { appDir: path.join(dir, `device-${database}`) });
    await dev.enroll();
    const user = { token: await s.entra.mintToken({ tid, aud: AUDIENCE, upn: 'carol@contoso.com', oid }) };

    await upload(s, fwPkg.file);
    const paint = await upload(s, appPkg.file);
    t.equal(paint.version.msix.packageFamilyName, pfn, 'the catalog read the manifest');
    const assign = { targetType: 'user', targetId: oid, intent: 'install' };
    const a = await s.admin('POST', `/api/v1/apps/${paint.app.id}/assignments`, assign);
    t.equal(a.status, 201, JSON.stringify(a.json));

    const status = async () => {
      const st = (await s.admin('GET', `/api/v1/apps/${paint.app.id}/status`)).json;
      return st.flatMap((p: any) => p.deliveries.map((d: any) => d.status));
    };
    const cmds: DmLogEntry[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await dev.checkin({ user });
      t.equal(r.outcome, 'complete', r.error ?? 'session complete');
      cmds.push(...r.commands);
      if ((await status()).every((x: string) => x === 'verified' || x === 'failed')) break;
    }
    const exec = cmds.find((c) => c.kind === 'Exec' && c.targets[0] === `${U}/AppInstallation/${pfn}/HostedInstall`);
    t.ok(exec, 'HostedInstall under ./User');
    t.equal(exec?.status, '202');
    t.match(exec?.data[0], new RegExp(`PackageUri="https://[^"]+/content/${appPkg.sha256}\\?`), 'the package by its signed URL');
    t.match(exec?.data[0], new RegExp(`<Dependency PackageUri="https://[^"]+/content/${fwPkg.sha256}\\?`), 'the dependency by its signed URL');
    const job = dev.apps.jobs.find((j) => j.id === pfn)!;
    t.same(job.statuses, [0, 1, 3], 'installing, installed');
    t.same(
      job.http.map((h) => h.status),
      [200, 200],
      'both packages downloaded',
    );
    dev.tree.setUser(oid);
    t.notOk(dev.tree.has(`${U}/AppInstallation/${pfn}`), 'its installation node cleaned up');
    t.equal(dev.tree.read(`${U}/AppManagement/nonStore/${pfn}/${fullName}/Version`)?.data, '1.2.0.0', 'installed for the user');
    t.same(await status(), ['verified'], 'the server knows it is installed');

    // Read back: AppInventoryQuery then AppInventoryResults, as the device answers them.
    const devicePk = (await s.admin('GET', '/api/v1/devices')).json.devices.find((d: any) => d.deviceId === dev.deviceId).id;
    t.equal((await s.admin('POST', `/api/v1/devices/${devicePk}/commands`, { action: 'sync' })).status, 201);
    t.equal((await dev.checkin({ user })).outcome, 'complete');
    const view = (await s.admin('GET', `/api/v1/devices/${devicePk}/apps`)).json;
    t.match(
      view.apps.find((x: any) => x.key === fullName && x.user === oid),
      { source: 'msix', name: app.name, version: '1.2.0.0', publisher: app.publisher },
      "the package in the user's tree, from AppInventoryResults",
    );
    t.ok(
      view.apps.some((x: any) => x.key === fullName && x.user === null),
      "and in the device's (Learn: the device's inventory lists every user's packages)",
    );

    const del = await s.admin('DELETE', `/api/v1/apps/${paint.app.id}/assignments`, assign);
    t.equal(del.status, 204, JSON.stringify(del.json));
    const r = await dev.checkin({ user });
    t.ok(targets(r.commands).includes(`Exec ${U}/AppManagement/RemovePackage`), 'RemovePackage');
    dev.tree.setUser(oid);
    t.notOk(dev.tree.has(`${U}/AppManagement/nonStore/${pfn}`), 'removed');
    t.same(
      dev.apps.alerts.map((x) => x.alert.type),
      ['Reversed-Domain-Name:com.microsoft.mdm.EnterpriseAppUninstall.result'],
      'the uninstall alert waits for the next session',
    );
    const after = await dev.checkin({ user });
    t.equal(after.outcome, 'complete');
    t.same(dev.apps.alerts, [], 'and went with it');
  });
}
