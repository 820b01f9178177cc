// The simulator's DM tree answers commands the way Windows does (docs/protocol-notes.md
// "Commands", "LocURIs and scope", "DevInfo and DevDetail").
import t from 'tap';
import type { AlertCommand, ContainerCommand, ItemCommand, Meta } from '../../src/protocol/syncml/types.js';
import { DmTree, addProvider, defaultInventory, windowsTree } from '../../src/sim/dm-tree.js';

const DEV = 'B5B954E81FBCB94EB79BD08BE625F4EE';
const item = (kind: ItemCommand['kind'], cmdId: string, target: string, data?: string, meta?: Meta): ItemCommand => ({
  kind,
  cmdId,
  items: [{ target, ...(data !== undefined ? { data } : {}), ...(meta ? { meta } : {}) }],
});
const add = (id: string, target: string, data?: string, format?: string) => item('Add', id, target, data, format ? { format } : undefined);
const replace = (id: string, target: string, data: string) => item('Replace', id, target, data);
const del = (id: string, target: string) => item('Delete', id, target);
const get = (id: string, ...targets: string[]): ItemCommand => ({ kind: 'Get', cmdId: id, items: targets.map((target) => ({ target })) });
const exec = (id: string, target: string, data?: string) => item('Exec', id, target, data);
const atomic = (id: string, ...commands: ContainerCommand['commands']): ContainerCommand => ({ kind: 'Atomic', cmdId: id, commands });
const sequence = (id: string, ...commands: ContainerCommand['commands']): ContainerCommand => ({ kind: 'Sequence', cmdId: id, commands });

function tree() {
  const tr = windowsTree(defaultInventory(DEV));
  addProvider(tr, { providerId: 'fenestra', enrollmentType: 'Device', aadDeviceId: 'aad-1', entDmId: 'ent-1', hwDevId: 'HW' });
  return tr;
}

t.test('Add: creates a leaf, implicit parents, 418 when it exists', async (t) => {
  const tr = tree();
  const uri = './Vendor/MSFT/Policy/Config/Camera/AllowCamera';
  t.equal(tr.execute(add('2', uri, '0', 'int')).status, '200');
  t.same(tr.read(uri), { format: 'int', data: '0' });
  t.same(tr.read('./Vendor/MSFT/Policy/Config/Camera'), { format: 'node', data: 'AllowCamera' }, 'parent created implicitly as an interior node');
  t.equal(tr.execute(add('3', uri, '1', 'int')).status, '418', 'existing leaf');
  t.equal(tr.read(uri)?.data, '0', 'value untouched');
  t.equal(tr.execute(add('4', './Vendor/MSFT/Policy/Config/Camera', undefined, 'node')).status, '418', 'existing interior node');
  t.equal(tr.execute(add('5', './Vendor/MSFT/WiFi/Profile/Home', undefined, 'node')).status, '200', 'interior Add');
  t.same(tr.read('./Vendor/MSFT/WiFi/Profile/Home'), { format: 'node', data: '' });
  t.equal(tr.execute(add('6', `${uri}/Below`, 'x')).status, '500', 'a leaf cannot have children');
  t.equal(tr.execute(add('7', './Vendor/MSFT/X/Y', 'v')).status, '200');
  t.equal(tr.read('./Vendor/MSFT/X/Y')?.format, 'chr', 'Format defaults to chr');
  t.equal(tr.execute(add('8', './Device/Vendor/MSFT/X/Y', 'v')).status, '418', './Device/… is the same device tree');
});

t.test('Replace: existing leaf only', async (t) => {
  const tr = tree();
  t.equal(tr.execute(replace('2', './Vendor/MSFT/Policy/Config/Nope/Nope', '1')).status, '404', 'missing node → 404 (no Replace-as-create)');
  tr.execute(add('3', './Vendor/MSFT/A/B', 'old'));
  t.equal(tr.execute(item('Replace', '4', './Vendor/MSFT/A/B', '42', { format: 'int' })).status, '200');
  t.same(tr.read('./Vendor/MSFT/A/B'), { format: 'int', data: '42' });
  t.equal(tr.execute(replace('5', './Vendor/MSFT/A', 'x')).status, '405', 'an interior node has no value');
});

t.test('Delete: removes the subtree; missing → 404', async (t) => {
  const tr = tree();
  tr.execute(add('2', './Vendor/MSFT/WiFi/Profile/Home/WlanXml', '<x/>'));
  tr.execute(add('3', './Vendor/MSFT/WiFi/Profile/Home/Proxy', 'p:1'));
  t.equal(tr.execute(del('4', './Vendor/MSFT/WiFi/Profile/Home')).status, '200');
  t.notOk(tr.has('./Vendor/MSFT/WiFi/Profile/Home/WlanXml'));
  t.same(tr.read('./Vendor/MSFT/WiFi/Profile'), { format: 'node', data: '' });
  t.equal(tr.execute(del('5', './Vendor/MSFT/WiFi/Profile/Home')).status, '404');
});

t.test('Get: leaf, interior node, missing, several items', async (t) => {
  const tr = tree();
  const leaf = tr.execute(get('2', './DevDetail/SwV'));
  t.equal(leaf.status, '200');
  t.same(leaf.items[0].result, { source: './DevDetail/SwV', meta: { format: 'chr' }, data: '10.0.22631.4460' });
  const ram = tr.execute(get('3', './DevDetail/Ext/Microsoft/TotalRAM'));
  t.same(ram.items[0].result?.meta, { format: 'int' }, 'Format from the node');
  tr.execute(add('4', './Vendor/MSFT/WiFi/Profile/TestWLAN1/WlanXml', 'a'));
  tr.execute(add('5', './Vendor/MSFT/WiFi/Profile/TestWLAN2/WlanXml', 'b'));
  const node = tr.execute(get('6', './Vendor/MSFT/WiFi/Profile'));
  t.same(node.items[0].result, { source: './Vendor/MSFT/WiFi/Profile', meta: { format: 'node' }, data: 'TestWLAN1/TestWLAN2' });
  t.equal(tr.execute(get('7', './DevDetail/Ext/Microsoft/MobileID')).status, '404', 'absent on a desktop');
  const many = tr.execute(get('8', './DevInfo/Man', './DevInfo/Ext/ICCID', './DevDetail/Ext/Microsoft/LocalTime'));
  t.same(
    many.items.map((i) => i.status),
    ['200', '404', '200'],
  );
  t.equal(many.status, '404', 'overall: the first failing code');
  t.match(many.items[2].result?.data, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/, 'LocalTime computed at Get');
  t.equal(tr.execute(get('9', '.')).items[0].result?.meta?.format, 'node');
  t.equal(tr.execute(get('10', './Vendor//MSFT')).status, '400', 'malformed URI');
  const dmc = tr.execute(get('11', './Vendor/MSFT/DMClient/Provider/fenestra/AADDeviceID', './Vendor/MSFT/DMClient/Provider/fenestra/EnrollmentType'));
  t.same(
    dmc.items.map((i) => i.result?.data),
    ['aad-1', 'Device'],
  );
});

t.test('read-only nodes: 405 for Add/Replace/Delete', async (t) => {
  const tr = tree();
  t.equal(tr.execute(replace('2', './DevInfo/Man', 'x')).status, '405');
  t.equal(tr.execute(del('3', './DevDetail/SwV')).status, '405');
  t.equal(tr.execute(add('4', './DevDetail/Ext/New', 'x')).status, '405');
  t.equal(tr.execute(replace('5', './DevDetail/Ext/Microsoft/NotThere', 'x')).status, '405', 'the whole DevDetail tree');
  t.equal(tr.execute(replace('6', './Vendor/MSFT/DMClient/Provider/fenestra/AADDeviceID', 'x')).status, '405', 'Get-only DMClient leaf');
  t.equal(tr.execute(replace('7', './Vendor/MSFT/DMClient/Provider/fenestra/EntDMID', 'x')).status, '200', 'ADGR DMClient leaf');
  t.equal(tr.read('./DevInfo/Man')?.data, 'Microsoft Corporation');
});

t.test('./User without a user context → 405; with one, a per-user tree', async (t) => {
  const tr = tree();
  const uri = './User/Vendor/MSFT/Policy/Config/Browser/HomePages';
  t.equal(tr.execute(add('2', uri, 'https://a')).status, '405');
  t.equal(tr.execute(get('3', './User/Vendor/MSFT')).status, '405');
  tr.setUser('alice');
  t.equal(tr.execute(add('4', uri, 'https://a')).status, '200');
  t.equal(tr.execute(add('5', uri, 'https://a')).status, '418');
  tr.setUser('bob');
  t.equal(tr.execute(get('6', uri)).status, '404', "bob does not see alice's settings");
  tr.setUser('alice');
  t.equal(tr.execute(get('7', uri)).items[0].result?.data, 'https://a');
  t.notOk(tr.has('./Vendor/MSFT/Policy/Config/Browser'), 'not in the device tree');
  t.equal(tr.log.at(-1)?.user, 'alice', 'log names the user context');
});

t.test('Exec: executable nodes → 200 and recorded; others 405/404', async (t) => {
  const tr = tree();
  t.equal(tr.execute(exec('2', './Vendor/MSFT/DMClient/Provider/fenestra/Unenroll', 'fenestra')).status, '200');
  t.equal(tr.execute(exec('3', './Device/Vendor/MSFT/Reboot/RebootNow')).status, '200');
  t.equal(tr.execute(exec('4', './Device/Vendor/MSFT/RemoteWipe/doWipe', '')).status, '200');
  t.equal(tr.execute(exec('5', './Vendor/MSFT/ClientCertificateInstall/SCEP/wifi/Install/Enroll')).status, '200');
  t.equal(tr.execute(exec('6', './Vendor/MSFT/DMClient/Provider/other/Unenroll')).status, '404', 'unknown provider');
  t.equal(tr.execute(exec('7', './DevDetail/SwV')).status, '405', 'not executable');
  t.equal(tr.execute(exec('8', './Vendor/MSFT/Nope/Exec')).status, '404');
  t.same(
    tr.execs.map((x) => [x.target, x.data]),
    [
      ['./Vendor/MSFT/DMClient/Provider/fenestra/Unenroll', 'fenestra'],
      ['./Device/Vendor/MSFT/Reboot/RebootNow', undefined],
      ['./Device/Vendor/MSFT/RemoteWipe/doWipe', ''],
      ['./Vendor/MSFT/ClientCertificateInstall/SCEP/wifi/Install/Enroll', undefined],
    ],
  );
});

t.test('Atomic: all or nothing, 507 with 216 for the rolled-back members', async (t) => {
  const tr = tree();
  tr.execute(add('1', './Vendor/MSFT/Existing', 'v'));
  const a = tr.execute(
    atomic(
      '10',
      add('11', './Vendor/MSFT/WiFi/Profile/Corp/WlanXml', '<x/>'),
      exec('12', './Vendor/MSFT/Reboot/RebootNow'),
      add('13', './Vendor/MSFT/Existing', 'w'),
      del('14', './Vendor/MSFT/Existing'),
    ),
  );
  t.equal(a.status, '507');
  t.same(
    a.children!.map((c) => c.status),
    ['216', '216', '418', '216'],
    'the failing member keeps its code',
  );
  t.notOk(tr.has('./Vendor/MSFT/WiFi'), 'rolled back: implicit parents gone too');
  t.equal(tr.read('./Vendor/MSFT/Existing')?.data, 'v', 'deleted node restored');
  t.equal(tr.execs.length, 0, 'the Exec of a rolled-back Atomic is not recorded');
  t.same(
    tr.log.filter((e) => e.parents.includes('10')).map((e) => e.status),
    ['216', '216', '418', '216'],
    'log keeps the final statuses',
  );

  const ok = tr.execute(
    atomic('20', add('21', './Vendor/MSFT/WiFi/Profile/Corp/WlanXml', '<x/>'), add('22', './Vendor/MSFT/WiFi/Profile/Corp/Proxy', 'p:8080')),
  );
  t.equal(ok.status, '200');
  t.same(
    ok.children!.map((c) => c.status),
    ['200', '200'],
  );
  t.ok(tr.has('./Vendor/MSFT/WiFi/Profile/Corp/Proxy'));
});

t.test('Atomic: nested Atomic → 500 inner, 507 outer; Get inside → 500', async (t) => {
  const tr = tree();
  const a = tr.execute(atomic('1', add('2', './Vendor/MSFT/N/A', 'a'), atomic('3', add('4', './Vendor/MSFT/N/B', 'b')), add('5', './Vendor/MSFT/N/C', 'c')));
  t.equal(a.status, '507');
  t.same(
    a.children!.map((c) => c.status),
    ['216', '500', '216'],
  );
  t.same(
    a.children![1].children!.map((c) => c.status),
    ['215'],
    'members of the refused inner Atomic are not executed',
  );
  t.notOk(tr.has('./Vendor/MSFT/N'));

  const g = tr.execute(atomic('6', add('7', './Vendor/MSFT/G/A', 'a'), get('8', './DevDetail/SwV')));
  t.equal(g.status, '507');
  t.same(
    g.children!.map((c) => c.status),
    ['216', '500'],
  );
  t.notOk(g.children![1].items[0].result, 'no Results from a Get inside Atomic');
  t.notOk(tr.has('./Vendor/MSFT/G'));

  const seq = tr.execute(atomic('9', sequence('10', add('11', './Vendor/MSFT/S/A', 'a'), get('12', './DevInfo/Man'))));
  t.equal(seq.status, '507', 'Get inside a Sequence inside an Atomic fails it too');
  t.same(
    seq.children![0].children!.map((c) => c.status),
    ['216', '500'],
  );
});

t.test('Sequence: in order, each its own status', async (t) => {
  const tr = tree();
  const s = tr.execute(
    sequence(
      '1',
      add('2', './Vendor/MSFT/Q/A', '1'),
      replace('3', './Vendor/MSFT/Q/Missing', 'x'),
      get('4', './Vendor/MSFT/Q/A'),
      del('5', './Vendor/MSFT/Q/A'),
    ),
  );
  t.equal(s.status, '200');
  t.same(
    s.children!.map((c) => c.status),
    ['200', '404', '200', '200'],
  );
  t.equal(s.children![2].items[0].result?.data, '1', 'the Get saw the Add before it');
  t.notOk(tr.has('./Vendor/MSFT/Q/A'), 'and the Delete after it ran');
});

t.test('Alerts and the command log', async (t) => {
  const tr = new DmTree();
  const a: AlertCommand = { kind: 'Alert', cmdId: '3', data: '1222', items: [] };
  t.equal(tr.execute(a, { msgId: '2' }).status, '200');
  t.equal(tr.execute({ ...a, data: '1100' }).status, '406', 'display alerts are not supported');
  tr.execute(add('4', './Vendor/MSFT/Z', 'z', 'chr'), { msgId: '3' });
  t.match(tr.log, [
    { kind: 'Alert', cmdId: '3', msgId: '2', targets: ['1222'], status: '200' },
    { kind: 'Alert', targets: ['1100'], status: '406' },
    { kind: 'Add', cmdId: '4', msgId: '3', targets: ['./Vendor/MSFT/Z'], data: ['z'], formats: ['chr'], status: '200', parents: [] },
  ]);
});

t.test('inventory: absent nodes and DMClient provider', async (t) => {
  const tr = windowsTree(defaultInventory(DEV, { wlanMac: undefined, absent: ['./DevDetail/Ext/Microsoft/DNSComputerName'] }));
  t.notOk(tr.has('./DevDetail/Ext/WLANMACAddress'));
  t.notOk(tr.has('./DevDetail/Ext/Microsoft/DNSComputerName'));
  t.equal(tr.read('./DevInfo/DevId')?.data, DEV);
  addProvider(tr, { providerId: 'My Server', enrollmentType: 'Full', poll: { PollOnLogin: 'true', NumberOfFirstRetries: '8' } });
  t.equal(tr.read('./Vendor/MSFT/DMClient/Provider/My%20Server/Poll/PollOnLogin')?.format, 'bool', 'provider node name URI-encoded');
  t.equal(tr.read('./Vendor/MSFT/DMClient/Provider/My%20Server/Poll/NumberOfFirstRetries')?.format, 'int');
});

t.test('save and load: the state file keeps every node, the ./User trees and computed values stay live', async (t) => {
  const tr = tree();
  tr.execute(add('2', './Vendor/MSFT/Policy/Config/Camera/AllowCamera', '0', 'int'));
  tr.setUser('alice');
  tr.execute(add('3', './User/Vendor/MSFT/Policy/Config/Start/HideSleep', '1', 'int'));
  tr.setUser(null);
  const saved = JSON.parse(JSON.stringify(tr.save()));
  const back = tree();
  back.load(saved);
  t.same(back.read('./Vendor/MSFT/Policy/Config/Camera/AllowCamera'), { format: 'int', data: '0' });
  t.equal(back.execute(add('4', './Vendor/MSFT/Policy/Config/Camera/AllowCamera', '1', 'int')).status, '418', 'an existing node still');
  t.equal(back.execute(replace('5', './DevInfo/DevId', 'x')).status, '405', 'read-only kept');
  back.setUser('alice');
  t.equal(back.read('./User/Vendor/MSFT/Policy/Config/Start/HideSleep')?.data, '1', 'alice’s ./User tree kept');
  t.match(back.read('./DevDetail/Ext/Microsoft/LocalTime')?.data, /^\d{4}-\d\d-\d\dT/, 'LocalTime still computed at Get');
  t.throws(() => back.load({ device: { format: 'node', children: { A: { format: 3 } } }, users: {} } as never), /device\/A\.format: not a string/);
});

t.test('a leaf that Add overwrites (DMClient Push/PFN)', async (t) => {
  const tr = tree();
  const pfn = './Vendor/MSFT/DMClient/Provider/fenestra/Push/PFN';
  tr.set(pfn, { value: '', addReplaces: true });
  t.equal(tr.execute(add('2', pfn, 'Contoso.App_1')).status, '200', 'Add on the existing PFN sets it');
  t.equal(tr.execute(replace('3', pfn, 'Contoso.App_2')).status, '200', 'Replace too');
  t.equal(tr.read(pfn)?.data, 'Contoso.App_2');
  t.equal(tr.execute(add('4', './Vendor/MSFT/DMClient/Provider/fenestra/EntDMID', 'x')).status, '418', 'other leaves keep 418');
});
