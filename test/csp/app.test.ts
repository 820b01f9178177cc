// Profiles of kind 'app' compiled to the MSI, MSIX and Office CSP commands (exact LocURIs and
// documents), their deltas (upgrades) and what the progress nodes mean. Pure.
import t from 'tap';
import type { AppDelivery } from '../../src/domain/app.js';
import { appDelta, appProgress, compileProfile, ProfileValidationError } from '../../src/protocol/csp/index.js';
import { wellFormed } from '../helpers/xmllint.js';

const SHA = 'ab'.repeat(32);
const SHA2 = 'cd'.repeat(32);
const DEP = 'ef'.repeat(32);
const msi = (sha = SHA, productCode = '{0f3c5e2a-1b2c-4d5e-8f90-a1b2c3d4e5f6}', productVersion = '1.2.3'): AppDelivery => ({
  appId: 'app1',
  versionId: 'v1',
  kind: 'msi',
  name: 'Contoso Tool',
  version: productVersion,
  sha256: sha,
  size: 1000,
  msi: { productCode, productVersion },
});
const msix: AppDelivery = {
  appId: 'app2',
  versionId: 'v1',
  kind: 'msix',
  name: 'Contoso App',
  version: '1.0.0.0',
  sha256: SHA,
  size: 2000,
  msix: {
    packageFamilyName: 'Contoso.App_8wekyb3d8bbwe',
    packageFullName: 'Contoso.App_1.0.0.0_x64__8wekyb3d8bbwe',
    format: 'msix',
    dependencies: [{ sha256: DEP, size: 10 }],
  },
};
const CONFIG =
  '<Configuration><Add OfficeClientEdition="64" Channel="Current"><Product ID="O365ProPlusRetail"><Language ID="en-us"/></Product></Add><Display Level="None" AcceptEULA="TRUE"/></Configuration>';
const office: AppDelivery = {
  appId: 'app3',
  versionId: 'v1',
  kind: 'office',
  name: 'Microsoft 365 Apps',
  version: 'Current',
  office: { configurationXml: CONFIG, installationId: 'm365' },
};

const app = (scope: 'user' | 'device', a: AppDelivery | undefined, intent: 'install' | 'uninstall' = 'install', id = a?.appId ?? 'app1') =>
  compileProfile('app', scope, { app: id, intent }, a ? { app: a } : {});
const line = (c: { kind: string; items?: { target: string; format?: string; type?: string }[] }) =>
  `${c.kind} ${c.items![0].target}${c.items![0].format ? ` ${c.items![0].format}` : ''}${c.items![0].type ? ` ${c.items![0].type}` : ''}`;

t.test('MSI install: Add then Exec of DownloadInstall with the job', async (t) => {
  const p = app('user', msi());
  t.same(p.units, [], 'no node units: apps are commands');
  t.same(p.removal, []);
  const root = './User/Vendor/MSFT/EnterpriseDesktopAppManagement/MSI/%7B0F3C5E2A-1B2C-4D5E-8F90-A1B2C3D4E5F6%7D';
  t.same(p.app!.apply.map(line), [`Add ${root}/DownloadInstall`, `Exec ${root}/DownloadInstall xml text/plain`]);
  const job = p.app!.apply[1].items![0].data!;
  t.equal(
    job,
    '<MsiInstallJob id="{0F3C5E2A-1B2C-4D5E-8F90-A1B2C3D4E5F6}"><Product Version="1.2.3"><Download><ContentURLList>' +
      `<ContentURL>{{content:${SHA}}}</ContentURL></ContentURLList></Download><Validation><FileHash>${SHA}</FileHash></Validation>` +
      '<Enforcement><CommandLine>/quiet</CommandLine><TimeOut>30</TimeOut><RetryCount>3</RetryCount><RetryInterval>5</RetryInterval></Enforcement>' +
      '</Product></MsiInstallJob>',
  );
  t.ok(await wellFormed(job), 'the job is well-formed XML');
  t.notMatch(job, /https?:/, 'no concrete URL: a content token');
  t.same(p.app!.track, { kind: 'msi', status: `${root}/Status`, lastError: `${root}/LastError`, lastErrorDesc: `${root}/LastErrorDesc` });
  t.same(p.app!.undo.map(line), [`Delete ${root}`], 'unassigned: the product deleted (uninstalled)');
  const dev = app('device', msi());
  t.match(dev.app!.apply[0].items![0].target, /^\.\/Device\/Vendor\/MSFT\/EnterpriseDesktopAppManagement\/MSI\/%7B/, 'device scope under ./Device');
});

t.test('MSIX install: the {PFN} node, HostedInstall with dependencies by content token', async (t) => {
  const p = app('user', msix);
  const root = './User/Vendor/MSFT/EnterpriseModernAppManagement/AppInstallation/Contoso.App_8wekyb3d8bbwe';
  t.same(p.app!.apply.map(line), [`Add ${root} node`, `Exec ${root}/HostedInstall xml`]);
  const doc = p.app!.apply[1].items![0].data!;
  t.equal(
    doc,
    `<Application PackageUri="{{content:${SHA}}}" DeploymentOptions="0"><Dependencies><Dependency PackageUri="{{content:${DEP}}}"/></Dependencies></Application>`,
  );
  t.ok(await wellFormed(doc));
  t.equal(p.app!.track!.status, `${root}/Status`);
  t.same(p.app!.undo.map(line), ['Exec ./User/Vendor/MSFT/EnterpriseModernAppManagement/AppManagement/RemovePackage xml']);
  t.equal(p.app!.undo[0].items![0].data, '<Package Name="Contoso.App_1.0.0.0_x64__8wekyb3d8bbwe" RemoveForAllUsers="0"/>');
  const dev = app('device', msix);
  t.equal(
    dev.app!.apply[1].items![0].data,
    `<Application PackageUri="{{content:${SHA}}}"><Dependencies><Dependency PackageUri="{{content:${DEP}}}"/></Dependencies></Application>`,
    'DeploymentOptions is for the user context only',
  );
  t.same(
    dev.app!.undo.map(line),
    ['Delete ./Device/Vendor/MSFT/EnterpriseModernAppManagement/AppManagement/nonStore/Contoso.App_8wekyb3d8bbwe'],
    './Device has no RemovePackage (DDF): the provisioned package is deleted',
  );
  const none = app('user', { ...msix, msix: { ...msix.msix!, dependencies: [] } });
  t.equal(
    none.app!.apply[1].items![0].data,
    `<Application PackageUri="{{content:${SHA}}}" DeploymentOptions="0"></Application>`,
    'no dependencies: no element',
  );
});

t.test('Office: Exec of Install with the configuration; removal with <Remove>', async (t) => {
  const p = app('device', office);
  t.same(p.app!.apply.map(line), ['Exec ./Device/Vendor/MSFT/Office/Installation/m365/Install chr']);
  t.equal(p.app!.apply[0].items![0].data, CONFIG);
  t.equal(p.app!.track!.status, './Device/Vendor/MSFT/Office/Installation/m365/Status');
  const rm = p.app!.undo[0].items![0].data!;
  t.equal(rm, '<Configuration><Remove><Product ID="O365ProPlusRetail"/></Remove><Display Level="None" AcceptEULA="TRUE"/></Configuration>');
  t.ok(await wellFormed(rm));
  const un = app('device', office, 'uninstall');
  t.same(
    un.app!.apply.map((c) => c.items![0].data),
    [rm],
    'uninstall intent: the removal configuration',
  );
});

t.test('uninstall intent: the desired state is absent', async (t) => {
  const p = app('device', msi(), 'uninstall');
  t.same(p.app!.apply.map(line), ['Delete ./Device/Vendor/MSFT/EnterpriseDesktopAppManagement/MSI/%7B0F3C5E2A-1B2C-4D5E-8F90-A1B2C3D4E5F6%7D']);
  t.same(p.app!.undo, [], 'unassigning an uninstall undoes nothing');
  t.notOk(p.app!.track);
  t.same(app('user', msix, 'uninstall').app!.apply.map(line), ['Exec ./User/Vendor/MSFT/EnterpriseModernAppManagement/AppManagement/RemovePackage xml']);
});

t.test('refused: no live version, another app, bad settings', async (t) => {
  const refusal = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return e instanceof ProfileValidationError ? e.errors : [];
    }
    return undefined;
  };
  t.same(
    refusal(() => app('user', undefined)),
    [{ pointer: '/app', message: 'app has no live version' }],
  );
  t.match(
    refusal(() => app('user', msi(), 'install', 'other')),
    [{ pointer: '/app', message: /another|not other/ }],
  );
  t.throws(() => compileProfile('app', 'user', { app: 'app1', intent: 'reinstall' }, { app: msi() }), /intent/);
  t.throws(() => compileProfile('app', 'user', { app: 'app1' }, { app: msi() }), /intent/);
  t.throws(() => app('user', { ...msi(), sha256: undefined }), /no package/);
  t.throws(() => app('user', msi(SHA, 'not-a-guid')), /ProductCode/);
});

t.test('delta: same package nothing; upgrades', async (t) => {
  const v1 = app('user', msi());
  t.same(appDelta(v1, v1.app!), [], 'same package: nothing to send');
  t.same(
    appDelta(null, v1.app!).map((c) => c.kind),
    ['Add', 'Exec'],
    'nothing known: Add + Exec',
  );
  const rebuilt = app('user', msi(SHA2, '{0f3c5e2a-1b2c-4d5e-8f90-a1b2c3d4e5f6}', '1.2.4'));
  t.same(
    appDelta(v1, rebuilt.app!).map((c) => c.kind),
    ['Exec'],
    'same ProductCode: DownloadInstall again, no Add',
  );
  const major = app('user', msi(SHA2, '{11111111-2222-3333-4444-555555555555}', '2.0.0'));
  t.same(
    appDelta(v1, major.app!).map(line),
    [
      'Add ./User/Vendor/MSFT/EnterpriseDesktopAppManagement/MSI/%7B11111111-2222-3333-4444-555555555555%7D/DownloadInstall',
      'Exec ./User/Vendor/MSFT/EnterpriseDesktopAppManagement/MSI/%7B11111111-2222-3333-4444-555555555555%7D/DownloadInstall xml text/plain',
    ],
    'a new ProductCode: its own job, the old product not deleted first',
  );
  const m2 = app('user', { ...msix, sha256: SHA2 });
  t.same(
    appDelta(app('user', msix), m2.app!).map((c) => c.kind),
    ['Add', 'Exec'],
    'MSIX: the node again (Windows removed it) and HostedInstall',
  );
  t.same(
    appDelta(v1, app('user', msi(), 'uninstall').app!).map((c) => c.kind),
    ['Delete'],
    'install → uninstall',
  );
});

t.test('progress: what Status, LastError and LastErrorDesc mean', async (t) => {
  t.same(appProgress('msi', { status: '70' }), { state: 'installed', detail: 'enforcement completed (70)' });
  t.same(appProgress('msi', { status: '20' }), { state: 'installing', detail: 'download in progress (20)' });
  t.same(appProgress('msi', { status: '48' }), { state: 'installing', detail: 'pending user session (48)' });
  t.same(appProgress('msi', { status: '60', lastError: '-2147024891', lastErrorDesc: 'Access is denied.' }), {
    state: 'failed',
    detail: 'enforcement failed (60): LastError 0x80070005 Access is denied.',
  });
  t.same(appProgress('msi', { status: '30', lastError: '2148081670' }), { state: 'failed', detail: 'download failed (30): LastError 0x80092006' });
  t.same(appProgress('msi', { statusCode: '404' }), { state: 'failed', detail: 'not installed (the device has no Status for it)' });
  t.same(appProgress('msix', { status: '3' }).state, 'installed');
  t.same(appProgress('msix', { status: '1' }), { state: 'installing', detail: 'installing (1)' });
  t.same(appProgress('msix', { status: '2', lastError: '-2147009281', lastErrorDesc: 'Deployment failed' }), {
    state: 'failed',
    detail: 'failed (2): LastError 0x80073CFF Deployment failed',
  });
  t.same(appProgress('msix', { statusCode: '404' }).state, 'installed', 'MSIX: the installation node is removed once installed (DDF)');
  t.same(appProgress('office', { status: '0' }).state, 'installed');
  t.same(appProgress('office', { status: '997' }).state, 'installing');
  t.same(appProgress('office', { status: '1603' }).state, 'failed');
});
