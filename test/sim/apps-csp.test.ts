// The simulated app CSPs (src/sim/apps) on a DM tree, with real packages (wixl MSIs, MSIX zips
// with a real manifest) served by a local HTTPS server that honours Range: the Exec answers, the
// MSI and MSIX status walks, resume after a cut, the hash check, each fault as Windows reports
// it, the alerts, major upgrade, uninstall, per-user trees and the inventory query.
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { CertificateAuthority, generateCa, generateServerCertificate } from '../../src/pki/ca.js';
import { packageFamilyName, packageFullName } from '../../src/protocol/packages/index.js';
import { SimApps } from '../../src/sim/apps/apps.js';
import { DmTree, defaultInventory, windowsTree } from '../../src/sim/dm-tree.js';
import { buildMsi, buildMsix, noWixl } from '../helpers/packages.js';

const HOST = 'content.fenestra.test';
const D = './Device/Vendor/MSFT/EnterpriseDesktopAppManagement/MSI';
const UD = './User/Vendor/MSFT/EnterpriseDesktopAppManagement/MSI';
const M = 'Vendor/MSFT/EnterpriseModernAppManagement';
const enc = (code: string) => code.replace('{', '%7B').replace('}', '%7D');

async function contentServer(files: Map<string, Buffer>) {
  const ca = generateCa({ commonName: 'Apps CSP test CA' });
  const tls = generateServerCertificate(CertificateAuthority.fromPem(ca.certPem, ca.keyPem), { hostnames: [HOST] });
  const seen: { url: string; range?: string; status: number }[] = [];
  const server = https.createServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) => {
    const b = files.get(req.url ?? '');
    const rec = { url: req.url ?? '', range: req.headers.range, status: 404 };
    seen.push(rec);
    if (!b) return void res.writeHead(404).end();
    const etag = `"${crypto.createHash('sha256').update(b).digest('hex').slice(0, 16)}"`;
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (m && (!req.headers['if-range'] || req.headers['if-range'] === etag)) {
      const start = Number(m[1]);
      rec.status = 206;
      res.writeHead(206, { etag, 'content-range': `bytes ${start}-${b.length - 1}/${b.length}`, 'content-length': b.length - start });
      return void res.end(b.subarray(start));
    }
    rec.status = 200;
    res.writeHead(200, { etag, 'content-length': b.length });
    for (let i = 0; i < b.length; i += 4096) res.write(b.subarray(i, i + 4096));
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    seen,
    caPem: ca.certPem,
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

t.test('the simulated app CSPs', { skip: noWixl }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sim-apps-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const upgradeCode = `{${crypto.randomUUID().toUpperCase()}}`;
  const v1 = await buildMsi(dir, { name: 'Contoso Notes', version: '1.0.0', manufacturer: 'Contoso', upgradeCode });
  const v2 = await buildMsi(dir, { name: 'Contoso Notes', version: '2.0.0', manufacturer: 'Contoso', upgradeCode });
  const other = await buildMsi(dir, { name: 'Fabrikam Tool', version: '3.1.0', manufacturer: 'Fabrikam' });
  const fw = { name: 'Contoso.Runtime', publisher: 'CN=Contoso', version: '1.0.0.0' };
  const app = {
    name: 'Contoso.Viewer',
    publisher: 'CN=Contoso',
    version: '1.2.0.0',
    dependencies: [{ name: fw.name, publisher: fw.publisher, minVersion: '1.0.0.0' }],
  };
  const appPkg = await buildMsix(dir, app);
  const fwPkg = await buildMsix(dir, fw, '.appx');
  const pfn = packageFamilyName(app.name, app.publisher);
  const fullName = packageFullName({ ...app, architecture: 'x64' });

  const files = new Map<string, Buffer>([
    ['/v1.msi', fs.readFileSync(v1.file)],
    ['/v2.msi', fs.readFileSync(v2.file)],
    ['/other.msi', fs.readFileSync(other.file)],
    ['/app.msix', fs.readFileSync(appPkg.file)],
    ['/fw.appx', fs.readFileSync(fwPkg.file)],
    ['/not-an-msi.msi', crypto.randomBytes(4096)],
  ]);
  const srv = await contentServer(files);
  t.teardown(() => srv.close());
  const url = (p: string) => `https://${HOST}${p}`;

  const setup = () => {
    const tree: DmTree = windowsTree(defaultInventory('00112233445566778899AABBCCDDEEFF'));
    const apps = new SimApps({
      tree,
      dir: () => path.join(dir, 'downloads'),
      http: () => ({ ca: srv.caPem, connectTo: { host: '127.0.0.1', port: srv.port }, managementHost: HOST }),
    });
    let id = 0;
    const run = (kind: 'Add' | 'Exec' | 'Delete' | 'Replace' | 'Get', target: string, data?: string, format?: string) =>
      tree.execute({ kind, cmdId: String(++id), items: [{ target, ...(data !== undefined ? { data } : {}), ...(format ? { meta: { format } } : {}) }] });
    return { tree, apps, run };
  };
  const job = (contentUrl: string, sha256: string, version = '1.0.0') =>
    `<MsiInstallJob id="x"><Product Version="${version}"><Download><ContentURLList><ContentURL>${contentUrl}</ContentURL></ContentURLList></Download>` +
    `<Validation><FileHash>${sha256}</FileHash></Validation><Enforcement><CommandLine>/quiet</CommandLine><TimeOut>5</TimeOut><RetryCount>3</RetryCount><RetryInterval>5</RetryInterval></Enforcement></Product></MsiInstallJob>`;
  /** Add + Exec of an MSI job in the device tree; returns the Exec's status. */
  const installMsi = (s: ReturnType<typeof setup>, code: string, p: string, sha256: string, root = D) => {
    const di = `${root}/${enc(code)}/DownloadInstall`;
    t.equal(s.run('Add', di).status, '200', 'Add of DownloadInstall');
    return s.run('Exec', di, job(url(p), sha256), 'xml').status;
  };
  const leaf = (tree: DmTree, uri: string) => tree.read(uri)?.data;

  await t.test('MSI: 202, then 10 → 20 → 40 → 50 → 70 outside the session, the product recorded, a 1226 alert', async (t) => {
    const s = setup();
    t.equal(installMsi(s, v1.productCode, '/v1.msi', v1.sha256), '202', 'asynchronous: accepted');
    t.equal(leaf(s.tree, `${D}/${enc(v1.productCode)}/Status`), '10', 'initialized');
    t.equal(srv.seen.length, 0, 'nothing downloaded during the session');
    await s.apps.run();
    t.same(s.apps.jobs[0].statuses, [10, 20, 40, 50, 70]);
    t.equal(leaf(s.tree, `${D}/${enc(v1.productCode)}/Status`), '70');
    t.equal(leaf(s.tree, `${D}/${enc(v1.productCode)}/LastError`), '0');
    t.equal(leaf(s.tree, `${D}/${enc(v1.productCode)}/Version`), '1.0.0', 'read from the package');
    t.equal(leaf(s.tree, `${D}/${enc(v1.productCode)}/Name`), 'Contoso Notes');
    t.equal(leaf(s.tree, `${D}/${enc(v1.productCode)}/Publisher`), 'Contoso');
    const list = s.run('Get', D);
    t.ok(list.items[0].result?.data?.split('/').includes(v1.productCode), 'the MSI node lists the ProductCode');
    t.same(s.apps.takeAlerts(null), [
      {
        user: null,
        alert: {
          code: '1224',
          type: 'Reversed-Domain-Name:com.microsoft.mdm.win32csp_install',
          format: 'int',
          mark: 'informational',
          source: `${D}/${enc(v1.productCode)}/DownloadInstall`,
          data: '0',
        },
      },
    ]);
    t.same(s.apps.takeAlerts(null), [], 'taken once');
    t.same(fs.readdirSync(path.join(dir, 'downloads')), [], 'the downloaded package is cleaned up');
    t.equal(s.run('Replace', `${D}/${enc(v1.productCode)}/Status`, '70').status, '405', 'Status is Get-only');
  });

  await t.test('MSI refusals: Exec before the Add → 404, an unreadable job → 400', async (t) => {
    const s = setup();
    t.equal(s.run('Exec', `${D}/${enc(other.productCode)}/DownloadInstall`, job(url('/other.msi'), other.sha256), 'xml').status, '404');
    s.run('Add', `${D}/${enc(other.productCode)}/DownloadInstall`);
    t.equal(s.run('Exec', `${D}/${enc(other.productCode)}/DownloadInstall`, '<MsiInstallJob><Product/></MsiInstallJob>', 'xml').status, '400');
    t.equal(s.run('Exec', `${D}/${enc(other.productCode)}/DownloadInstall`, job(url('/other.msi'), 'abc'), 'xml').status, '400', 'FileHash not a SHA-256');
    t.equal(s.apps.jobs.length, 0);
  });

  await t.test('an Atomic rolled back takes back the job its Exec queued', async (t) => {
    const s = setup();
    const di = `${D}/${enc(other.productCode)}/DownloadInstall`;
    s.tree.set('./Vendor/MSFT/Policy/Config/Taken', { value: 'x' });
    const out = s.tree.execute({
      kind: 'Atomic',
      cmdId: '100',
      commands: [
        { kind: 'Add', cmdId: '101', items: [{ target: di }] },
        { kind: 'Exec', cmdId: '102', items: [{ target: di, meta: { format: 'xml' }, data: job(url('/other.msi'), other.sha256) }] },
        { kind: 'Add', cmdId: '103', items: [{ target: './Vendor/MSFT/Policy/Config/Taken', data: 'y' }] },
      ],
    });
    t.equal(out.status, '507');
    t.same(
      out.children?.map((c) => c.status),
      ['216', '216', '418'],
    );
    t.same(s.apps.jobs, [], 'no job left');
    t.notOk(s.tree.has(`${D}/${enc(other.productCode)}`), 'nor its node');
  });

  await t.test('a dropped connection: 25, then resumed with Range at the next run, installed', async (t) => {
    const s = setup();
    s.apps.faults = { cutDownloadAfter: 3000 };
    installMsi(s, other.productCode, '/other.msi', other.sha256);
    await s.apps.run();
    const j = s.apps.jobs[0];
    t.same(j.statuses, [10, 20, 25], 'pending download retry');
    t.equal(j.lastError, 0x80072efe);
    t.equal(leaf(s.tree, `${D}/${enc(other.productCode)}/LastError`), String(0x80072efe | 0), 'LastError as a signed int');
    t.same(s.apps.takeAlerts(null), [], 'no alert before the job ends');
    await s.apps.run();
    t.same(j.statuses, [10, 20, 25, 20, 40, 50, 70]);
    t.equal(j.http.length, 2);
    t.equal(j.http[0].status, 200);
    t.equal(j.http[0].received, 3000);
    t.equal(j.http[1].status, 206, 'the server answered the Range');
    t.equal(j.http[1].requestedFrom, 3000);
    t.match(j.http[1].contentRange, /^bytes 3000-/);
    t.equal(srv.seen.at(-1)?.range, 'bytes=3000-');
    t.equal(leaf(s.tree, `${D}/${enc(other.productCode)}/LastError`), '0', 'cleared once installed');
  });

  await t.test('hash mismatch (corrupted bytes, or a FileHash that is not the package) → 30, TRUST_E_BAD_DIGEST', async (t) => {
    for (const how of ['fault', 'wrong hash'] as const) {
      const s = setup();
      if (how === 'fault') s.apps.faults = { hash: true };
      installMsi(s, v1.productCode, '/v1.msi', how === 'fault' ? v1.sha256 : v2.sha256);
      await s.apps.run();
      t.same(s.apps.jobs[0].statuses, [10, 20, 30], how);
      t.equal(leaf(s.tree, `${D}/${enc(v1.productCode)}/LastError`), String(0x80096010 | 0), how);
      t.match(leaf(s.tree, `${D}/${enc(v1.productCode)}/LastErrorDesc`), /signature/);
      t.equal(leaf(s.tree, `${D}/${enc(v1.productCode)}/Version`), undefined, 'not installed');
      t.equal(s.apps.takeAlerts(null)[0]?.alert.data, String(0x80096010 | 0), 'the alert carries the error');
    }
  });

  await t.test('install fault → 60 with 0x80070643; a file that is no MSI → 60 with 0x80070654; download fault → 30 at once', async (t) => {
    let s = setup();
    s.apps.faults = { install: true };
    installMsi(s, v1.productCode, '/v1.msi', v1.sha256);
    await s.apps.run();
    t.same(s.apps.jobs[0].statuses, [10, 20, 40, 50, 60]);
    t.equal(s.apps.jobs[0].lastError, 0x80070643);
    s = setup();
    const junk = files.get('/not-an-msi.msi')!;
    installMsi(s, v1.productCode, '/not-an-msi.msi', crypto.createHash('sha256').update(junk).digest('hex'));
    await s.apps.run();
    t.same(s.apps.jobs[0].statuses, [10, 20, 40, 50, 60]);
    t.equal(s.apps.jobs[0].lastError, 0x80070654);
    s = setup();
    s.apps.faults = { download: true };
    installMsi(s, v1.productCode, '/v1.msi', v1.sha256);
    await s.apps.run();
    t.same(s.apps.jobs[0].statuses, [10, 20, 30], 'no retry');
    t.equal(s.apps.jobs[0].lastError, 0x80072efe);
    s = setup();
    installMsi(s, v1.productCode, '/missing.msi', v1.sha256);
    for (let i = 0; i < 4; i++) await s.apps.run();
    t.same(s.apps.jobs[0].statuses, [10, 20, 25, 20, 25, 20, 25, 20, 30], 'an HTTP 404: RetryCount retries, then failed');
    t.equal(s.apps.jobs[0].lastError, 0x80190194, 'BG_E_HTTP_ERROR_404');
  });

  await t.test('major upgrade replaces the product of the same UpgradeCode; Delete uninstalls', async (t) => {
    const s = setup();
    installMsi(s, v1.productCode, '/v1.msi', v1.sha256);
    await s.apps.run();
    installMsi(s, v2.productCode, '/v2.msi', v2.sha256);
    await s.apps.run();
    t.equal(leaf(s.tree, `${D}/${enc(v2.productCode)}/Version`), '2.0.0');
    t.notOk(s.tree.has(`${D}/${enc(v1.productCode)}`), 'the old ProductCode is gone');
    t.equal(leaf(s.tree, `${D}/UpgradeCode/${enc(upgradeCode)}`), v2.productCode);
    t.equal(s.run('Delete', `${D}/${enc(v2.productCode)}`).status, '200');
    t.notOk(s.tree.has(`${D}/${enc(v2.productCode)}`), 'uninstalled');
    t.notOk(s.tree.has(`${D}/UpgradeCode/${enc(upgradeCode)}`));
    t.equal(s.run('Delete', `${D}/${enc(v2.productCode)}`).status, '404', 'not installed');
  });

  await t.test("a ./User job waits for its user (48) and installs in that user's tree only", async (t) => {
    const s = setup();
    s.tree.setUser('alice');
    t.equal(installMsi(s, other.productCode, '/other.msi', other.sha256, UD), '202');
    s.tree.setUser('bob');
    await s.apps.run(['bob']);
    t.same(s.apps.jobs[0].statuses, [10, 48], 'alice is not signed in');
    await s.apps.run(['alice', 'bob']);
    t.same(s.apps.jobs[0].statuses, [10, 48, 20, 40, 50, 70]);
    t.equal(s.tree.currentUser, 'bob', 'the session user is left as it was');
    t.notOk(s.tree.has(`${UD}/${enc(other.productCode)}`), "not in bob's tree");
    t.notOk(s.tree.has(`${D}/${enc(other.productCode)}`), 'not in the device tree');
    s.tree.setUser('alice');
    t.equal(leaf(s.tree, `${UD}/${enc(other.productCode)}/Status`), '70');
    t.same(s.apps.takeAlerts('bob'), [], "alice's alert is not sent in bob's session");
    t.equal(s.apps.takeAlerts('alice')[0]?.alert.source, `${UD}/${enc(other.productCode)}/DownloadInstall`);
  });

  await t.test('MSIX for a user with a dependency: 0 → 1 → 3, node cleaned up, inventory, RemovePackage', async (t) => {
    const s = setup();
    s.tree.setUser('alice');
    const root = `./User/${M}/AppInstallation/${pfn}`;
    t.equal(s.run('Add', root, undefined, 'node').status, '200');
    const doc = `<Application PackageUri="${url('/app.msix')}" DeploymentOptions="0"><Dependencies><Dependency PackageUri="${url('/fw.appx')}"/></Dependencies></Application>`;
    t.equal(s.run('Exec', `${root}/HostedInstall`, doc, 'xml').status, '202');
    t.equal(leaf(s.tree, `${root}/Status`), '0');
    s.apps.faults = { cutDownloadAfter: 1000 };
    await s.apps.run(['alice']);
    t.same(s.apps.jobs[0].statuses, [0, 1], 'installing while the download waits for its retry');
    await s.apps.run(['alice']);
    t.same(s.apps.jobs[0].statuses, [0, 1, 3]);
    t.equal(s.apps.jobs[0].http[1].status, 206);
    t.notOk(s.tree.has(root), 'AppInstallation/{PFN} cleaned up once installed (Learn)');
    const pkg = `./User/${M}/AppManagement/nonStore/${pfn}/${fullName}`;
    t.equal(leaf(s.tree, `${pkg}/Version`), '1.2.0.0');
    t.equal(leaf(s.tree, `${pkg}/IsProvisioned`), '0');
    t.equal(
      leaf(
        s.tree,
        `./User/${M}/AppManagement/nonStore/${packageFamilyName(fw.name, fw.publisher)}/${packageFullName({ ...fw, architecture: 'x64' })}/IsFramework`,
      ),
      '1',
    );
    t.same(s.apps.takeAlerts('alice'), [
      {
        user: 'alice',
        alert: { type: 'Reversed-Domain-Name:com.microsoft.mdm.EnterpriseHostedAppInstall.result', format: 'int', source: `${root}/HostedInstall`, data: '0' },
      },
    ]);

    t.equal(
      s.run(
        'Replace',
        `./User/${M}/AppManagement/AppInventoryQuery`,
        '<Inventory Output="PackageDetails" Source="nonStore" PackageTypeFilter="Main|Bundle"/>',
        'xml',
      ).status,
      '200',
    );
    const results = s.run('Get', `./User/${M}/AppManagement/AppInventoryResults`).items[0].result?.data ?? '';
    t.match(results, `PackageFullName="${fullName}"`);
    t.match(results, 'Version="1.2.0.0"');
    t.notMatch(results, 'Contoso.Runtime', 'frameworks filtered out by PackageTypeFilter');
    s.run('Replace', `./User/${M}/AppManagement/AppInventoryQuery`, '<Inventory Output="PackageNames" Source="AppStore"/>', 'xml');
    t.notMatch(s.run('Get', `./User/${M}/AppManagement/AppInventoryResults`).items[0].result?.data ?? '', fullName, 'Source AppStore: not this one');
    s.tree.setUser(null);
    t.match(
      s.run('Get', `./Device/${M}/AppManagement/AppInventoryResults`).items[0].result?.data ?? '',
      `Users="alice"`,
      "the device's inventory lists users' packages",
    );
    s.tree.setUser('alice');

    const remove = `<Package Name="${fullName}" RemoveForAllUsers="0"/>`;
    t.equal(s.run('Exec', `./User/${M}/AppManagement/RemovePackage`, remove, 'xml').status, '200');
    t.notOk(s.tree.has(`./User/${M}/AppManagement/nonStore/${pfn}`), 'removed');
    t.same(s.apps.takeAlerts('alice')[0]?.alert, {
      type: 'Reversed-Domain-Name:com.microsoft.mdm.EnterpriseAppUninstall.result',
      format: 'int',
      source: `./User/${M}/AppManagement/${pfn}`,
      data: '0',
    });
    s.run('Exec', `./User/${M}/AppManagement/RemovePackage`, remove, 'xml');
    t.equal(s.apps.takeAlerts('alice')[0]?.alert.data, String(0x80073cf1 | 0), 'a package not installed: ERROR_INSTALL_PACKAGE_NOT_FOUND');
    t.equal(s.run('Exec', `./User/${M}/AppManagement/RemovePackage`, '<Nope/>', 'xml').status, '400');
    s.tree.setUser(null);
    t.equal(s.run('Exec', `./Device/${M}/AppManagement/RemovePackage`, remove, 'xml').status, '404', 'the DDF has no RemovePackage in ./Device');
  });

  await t.test('MSIX provisioned to the device; a Delete of its nonStore family removes it; failures report 2', async (t) => {
    const s = setup();
    const root = `./Device/${M}/AppInstallation/${pfn}`;
    s.run('Add', root, undefined, 'node');
    t.equal(s.run('Exec', `${root}/HostedInstall`, `<Application PackageUri="${url('/app.msix')}"/>`, 'xml').status, '202');
    await s.apps.run();
    t.equal(leaf(s.tree, `./Device/${M}/AppManagement/nonStore/${pfn}/${fullName}/IsProvisioned`), '1');
    t.equal(s.run('Delete', `./Device/${M}/AppManagement/nonStore/${pfn}`).status, '200');
    t.notOk(s.tree.has(`./Device/${M}/AppManagement/nonStore/${pfn}`));

    for (const [fault, code] of [
      ['hash', 0x80080207],
      ['install', 0x80073cf9],
    ] as const) {
      const f = setup();
      f.apps.faults = { [fault]: true };
      f.run('Add', root, undefined, 'node');
      f.run('Exec', `${root}/HostedInstall`, `<Application PackageUri="${url('/app.msix')}"/>`, 'xml');
      await f.apps.run();
      t.same(f.apps.jobs[0].statuses, [0, 1, 2], fault);
      t.equal(leaf(f.tree, `${root}/Status`), '2', `${fault}: the node stays with the failure`);
      t.equal(leaf(f.tree, `${root}/LastError`), String(code | 0), fault);
    }
  });

  await t.test('jobs and alerts survive save/load (the state file)', async (t) => {
    const s = setup();
    s.apps.faults = { cutDownloadAfter: 2000 };
    installMsi(s, other.productCode, '/other.msi', other.sha256);
    await s.apps.run();
    const saved = JSON.parse(JSON.stringify(s.apps.save()));
    const tree2 = new DmTree();
    tree2.load(s.tree.save());
    const apps2 = new SimApps({
      tree: tree2,
      dir: () => path.join(dir, 'downloads'),
      http: () => ({ ca: srv.caPem, connectTo: { host: '127.0.0.1', port: srv.port }, managementHost: HOST }),
    });
    apps2.load(saved);
    await apps2.run();
    t.same(apps2.jobs[0].statuses, [10, 20, 25, 20, 40, 50, 70], 'resumed by the restored device');
    t.equal(apps2.jobs[0].http[1].requestedFrom, 2000);
    t.throws(() => apps2.load({ jobs: 'x' } as never), /apps: not saved app jobs/);
  });
});
