// The Enrollment Status Page's pure builders (protocol/csp/esp.ts): the Expected* lists from
// required profiles' compiled forms (exact LocURIs and formats), the FirstSyncStatus declaration
// of the device and user trees, ServerHasFinishedProvisioning, and the list parser.
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import type { AppDelivery } from '../../src/domain/app.js';
import { compileProfile, type CompiledProfile } from '../../src/protocol/csp/index.js';
import {
  CSP_LIST_DELIMITER,
  blockInStatusPage,
  declarationPayload,
  expectedEntries,
  expectedLists,
  finishedPayload,
  parseExpectedList,
  type EspPageSettings,
} from '../../src/protocol/csp/esp.js';
import { ddfEntry, ddfTable } from '../csp/fixtures/helpers.js';

const SHA = 'a'.repeat(64);
const FS = './Device/Vendor/MSFT/DMClient/Provider/Fenestra%20MDM/FirstSyncStatus';
const UFS = './User/Vendor/MSFT/DMClient/Provider/Fenestra%20MDM/FirstSyncStatus';

const msi: AppDelivery = {
  appId: 'a1',
  versionId: 'v1',
  kind: 'msi',
  name: 'Tool',
  version: '1.0.0',
  sha256: SHA,
  size: 10,
  msi: { productCode: '{0F3C5E2A-1B2C-4D5E-8F90-A1B2C3D4E5F6}', productVersion: '1.0.0' },
};
const msix: AppDelivery = {
  appId: 'a2',
  versionId: 'v1',
  kind: 'msix',
  name: 'App',
  version: '1.0.0.0',
  sha256: SHA,
  size: 10,
  msix: { packageFamilyName: 'Contoso.App_8wekyb3d8bbwe', packageFullName: 'Contoso.App_1.0.0.0_x64__8wekyb3d8bbwe', format: 'msix', dependencies: [] },
};

const wifi = compileProfile('wifi', 'device', { ssid: 'Contoso Corp', security: 'WPA2PSK', passphrase: 'correct horse battery' });
const custom = compileProfile('custom', 'device', {
  nodes: [
    { locUri: './Device/Vendor/MSFT/Policy/Config/Camera/AllowCamera', format: 'int', value: '0' },
    { locUri: './Vendor/MSFT/Policy/Config/Update/ActiveHoursStart', format: 'int', value: '8' },
  ],
});
const cert = (type: 'pfx' | 'scep' | 'trusted-root', root: string): CompiledProfile => ({
  kind: 'certificate',
  scope: 'device',
  units: [{ id: 'c', atomic: true, nodes: [{ uri: `${root}/EncodedCertificate`, format: 'b64', value: 'AA==' }] }],
  removal: [root],
  requires: [],
  provides: { ref: 'r', scope: 'device', certificateType: type },
});
const pfx = cert('pfx', './Device/Vendor/MSFT/ClientCertificateInstall/PFXCertInstall/vpn-user');
const scep = cert('scep', './Device/Vendor/MSFT/ClientCertificateInstall/SCEP/wifi-user');
const root = cert('trusted-root', './Device/Vendor/MSFT/RootCATrustedCertificates/Root/ABCD');

t.test('each kind goes to its list, in the form Learn gives', async (t) => {
  t.same(expectedEntries(wifi), { list: 'ExpectedNetworkProfiles', entries: ['./Device/Vendor/MSFT/WiFi/Profile/Contoso%20Corp'] });
  t.same(expectedEntries(custom), {
    list: 'ExpectedPolicies',
    entries: ['./Device/Vendor/MSFT/Policy/Config/Camera/AllowCamera', './Vendor/MSFT/Policy/Config/Update/ActiveHoursStart'],
  });
  t.same(expectedEntries(pfx), { list: 'ExpectedPFXCerts', entries: ['./Device/Vendor/MSFT/ClientCertificateInstall/PFXCertInstall/vpn-user'] });
  t.same(expectedEntries(scep), { list: 'ExpectedSCEPCerts', entries: ['./Device/Vendor/MSFT/ClientCertificateInstall/SCEP/wifi-user'] });
  t.same(expectedEntries(root), { list: 'ExpectedPolicies', entries: ['./Device/Vendor/MSFT/RootCATrustedCertificates/Root/ABCD/EncodedCertificate'] });
  t.same(expectedEntries(compileProfile('app', 'device', { app: 'a1', intent: 'install' }, { app: msi })), {
    list: 'ExpectedMSIAppPackages',
    entries: ['./Device/Vendor/MSFT/EnterpriseDesktopAppManagement/MSI/%7B0F3C5E2A-1B2C-4D5E-8F90-A1B2C3D4E5F6%7D/Status;1'],
  });
  t.same(expectedEntries(compileProfile('app', 'user', { app: 'a2', intent: 'install' }, { app: msix })), {
    list: 'ExpectedModernAppPackages',
    entries: [
      './User/Vendor/MSFT/EnterpriseModernAppManagement/AppManagement/nonStore/Contoso.App_8wekyb3d8bbwe/Contoso.App_1.0.0.0_x64__8wekyb3d8bbwe/Name;1',
    ],
  });
  t.equal(expectedEntries(compileProfile('app', 'device', { app: 'a1', intent: 'uninstall' }, { app: msi })), undefined, 'an uninstall has no list');
});

t.test('lists: in order, each LocURI once, empty ones left out', async (t) => {
  const lists = expectedLists([pfx, wifi, custom, custom, scep]);
  t.same(Object.keys(lists).sort(), ['ExpectedNetworkProfiles', 'ExpectedPFXCerts', 'ExpectedPolicies', 'ExpectedSCEPCerts']);
  t.equal(lists.ExpectedPolicies!.length, 2, 'the same profile twice lists its nodes once');
  t.same(expectedLists([]), {});
});

const settings: EspPageSettings = {
  timeoutMinutes: 45,
  errorText: 'Call the help desk & quote "DZ-1"',
  blockDevice: true,
  allowReset: true,
  allowCollectLogs: true,
  skipUserPhase: false,
  skipDevicePhase: false,
};

t.test('the device tree declaration: lists, then time-out, blocking, skips, logs, error text', async (t) => {
  const p = declarationPayload('Fenestra MDM', 'device', expectedLists([wifi, pfx]), settings);
  t.equal(p.kind, 'Replace');
  t.same(
    p.items!.map((i) => [i.target, i.format, i.data]),
    [
      [`${FS}/ExpectedNetworkProfiles`, 'chr', './Device/Vendor/MSFT/WiFi/Profile/Contoso%20Corp'],
      [`${FS}/ExpectedPFXCerts`, 'chr', './Device/Vendor/MSFT/ClientCertificateInstall/PFXCertInstall/vpn-user'],
      [`${FS}/TimeOutUntilSyncFailure`, 'int', '45'],
      [`${FS}/BlockInStatusPage`, 'int', '3'],
      [`${FS}/SkipDeviceStatusPage`, 'bool', 'false'],
      [`${FS}/SkipUserStatusPage`, 'bool', 'false'],
      [`${FS}/AllowCollectLogsButton`, 'bool', 'true'],
      [`${FS}/CustomErrorText`, 'chr', 'Call the help desk & quote "DZ-1"'],
    ],
  );
  const two = declarationPayload('Fenestra MDM', 'device', expectedLists([wifi, custom]), settings);
  t.equal(
    two.items!.find((i) => i.target.endsWith('/ExpectedPolicies'))!.data,
    `./Device/Vendor/MSFT/Policy/Config/Camera/AllowCamera${CSP_LIST_DELIMITER}./Vendor/MSFT/Policy/Config/Update/ActiveHoursStart`,
    'joined with U+F000',
  );
});

t.test('the user tree has no time-out, blocking or skip nodes', async (t) => {
  const p = declarationPayload('Fenestra MDM', 'user', {}, { ...settings, errorText: undefined, allowCollectLogs: false });
  t.same(
    p.items!.map((i) => [i.target, i.format, i.data]),
    [[`${UFS}/AllowCollectLogsButton`, 'bool', 'false']],
  );
});

t.test('BlockInStatusPage flags', async (t) => {
  t.equal(blockInStatusPage({ blockDevice: false, allowReset: true, allowContinue: true }), 0, 'not blocking: 0 whatever else');
  t.equal(blockInStatusPage({ blockDevice: true }), 2, 'Try again');
  t.equal(blockInStatusPage({ blockDevice: true, allowReset: true }), 3);
  t.equal(blockInStatusPage({ blockDevice: true, allowContinue: true }), 6);
  t.equal(blockInStatusPage({ blockDevice: true, allowReset: true, allowContinue: true }), 7);
  const clamp = (m: number) =>
    declarationPayload('p', 'device', {}, { ...settings, timeoutMinutes: m }).items!.find((i) => i.target.endsWith('TimeOut' + 'UntilSyncFailure'))!.data;
  t.equal(clamp(0), '1');
  t.equal(clamp(5000), '1440');
});

t.test('ServerHasFinishedProvisioning', async (t) => {
  t.same(finishedPayload('Fenestra MDM', 'device'), {
    kind: 'Replace',
    items: [{ target: `${FS}/ServerHasFinishedProvisioning`, format: 'bool', data: 'true' }],
  });
  t.equal(finishedPayload('Fenestra MDM', 'user').items![0].target, `${UFS}/ServerHasFinishedProvisioning`);
});

t.test('the list parser reads what the builders write and refuses the rest', async (t) => {
  const lists = expectedLists([wifi, custom]);
  t.same(
    parseExpectedList(lists.ExpectedPolicies!.join(CSP_LIST_DELIMITER)),
    lists.ExpectedPolicies!.map((uri) => ({ uri })),
  );
  t.same(parseExpectedList(`./Device/a/Status;1${CSP_LIST_DELIMITER} ${CSP_LIST_DELIMITER}./User/b/Name;4`, { apps: true }), [
    { uri: './Device/a/Status', count: 1 },
    { uri: './User/b/Name', count: 4 },
  ]);
  t.same(parseExpectedList(''), []);
  t.throws(() => parseExpectedList('./Device/a/Status', { apps: true }), /expected "<LocURI>;<count>": "\.\/Device\/a\/Status"/);
  t.throws(() => parseExpectedList('./Device/a/Status;0', { apps: true }), /<count>/);
  t.throws(() => parseExpectedList('https://evil/x'), /not a LocURI: "https:\/\/evil\/x"/);
  t.throws(() => parseExpectedList('./Device/a b'), /not a LocURI/);
});

t.test("every node declared exists in DMClient's DDF, with the format sent and Replace allowed", async (t) => {
  const table = ddfTable(fs.readFileSync(path.join(import.meta.dirname, 'fixtures', 'DMClient.ddf.xml'), 'utf8'));
  const all = { ...settings, allowContinue: true };
  const lists = expectedLists([wifi, custom, pfx, scep]);
  lists.ExpectedMSIAppPackages = ['./Device/x;1'];
  lists.ExpectedModernAppPackages = ['./Device/y;1'];
  const items = (['device', 'user'] as const).flatMap((tree) => [
    ...declarationPayload('Fenestra MDM', tree, lists, all).items!,
    ...finishedPayload('Fenestra MDM', tree).items!,
  ]);
  t.equal(items.length, 2 * 6 + 4 + 2 * 3, 'six lists in both trees, four device-only settings, logs, text and finished in both');
  for (const i of items) {
    const e = ddfEntry(table, i.target);
    t.ok(e, `${i.target} in the DDF`);
    t.equal(e?.format, i.format, `${i.target}: ${i.format}`);
    t.match(e?.access, /R/, `${i.target}: Replace`);
  }
  t.notOk(ddfEntry(table, `${UFS}/TimeOutUntilSyncFailure`), 'the user tree has no time-out (so none is sent there)');
});
