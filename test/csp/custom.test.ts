// Custom OMA-URI profiles: LocURI and scope rules, value/format checks, units and removal.
import t from 'tap';
import { compileProfile, unitCommands } from '../../src/protocol/csp/index.js';
import { errorsOf, itemData, syncRoundTrip } from './fixtures/helpers.js';

const DEVICE = {
  nodes: [
    { locUri: './Device/Vendor/MSFT/Policy/Config/Camera/AllowCamera', format: 'int', value: '0' },
    { locUri: './Vendor/MSFT/Policy/Config/Update/ActiveHoursStart', format: 'int', value: '8' },
    {
      locUri: './Device/Vendor/MSFT/Policy/Config/ADMX_Fenestra/Setting',
      format: 'chr',
      value: '<enabled/><data id="Text" value="a&amp;b"/>',
    },
    { locUri: './Device/Vendor/MSFT/Custom/Secret', format: 'chr', type: 'text/plain', value: 'hunter2', secret: true },
  ],
};

t.test('pinned: each node its own unit; removal = every node', async (t) => {
  const p = compileProfile('custom', 'device', DEVICE);
  t.same(p, {
    kind: 'custom',
    scope: 'device',
    units: [
      {
        id: 'custom:./Device/Vendor/MSFT/Policy/Config/Camera/AllowCamera',
        nodes: [{ uri: './Device/Vendor/MSFT/Policy/Config/Camera/AllowCamera', format: 'int', value: '0', readBack: true }],
        atomic: false,
      },
      {
        id: 'custom:./Vendor/MSFT/Policy/Config/Update/ActiveHoursStart',
        nodes: [{ uri: './Vendor/MSFT/Policy/Config/Update/ActiveHoursStart', format: 'int', value: '8', readBack: true }],
        atomic: false,
      },
      {
        id: 'custom:./Device/Vendor/MSFT/Policy/Config/ADMX_Fenestra/Setting',
        nodes: [
          {
            uri: './Device/Vendor/MSFT/Policy/Config/ADMX_Fenestra/Setting',
            format: 'chr',
            value: '<enabled/><data id="Text" value="a&amp;b"/>',
            readBack: true,
          },
        ],
        atomic: false,
      },
      {
        id: 'custom:./Device/Vendor/MSFT/Custom/Secret',
        nodes: [{ uri: './Device/Vendor/MSFT/Custom/Secret', format: 'chr', type: 'text/plain', value: 'hunter2', secret: true, readBack: false }],
        atomic: false,
      },
    ],
    removal: DEVICE.nodes.map((n) => n.locUri),
    requires: [],
  });
  t.same(unitCommands(p.units[3], 'install'), [
    { kind: 'Add', items: [{ target: './Device/Vendor/MSFT/Custom/Secret', format: 'chr', type: 'text/plain', data: 'hunter2' }] },
  ]);
  t.same(
    itemData(syncRoundTrip(p.units.flatMap((u) => unitCommands(u, 'install'))).body),
    DEVICE.nodes.map((n) => n.value),
    'values survive SyncML',
  );
});

t.test('atomic and explicit removal', async (t) => {
  const p = compileProfile('custom', 'user', {
    atomic: true,
    removal: ['./User/Vendor/MSFT/Policy/Config/Start'],
    nodes: [
      { locUri: './User/Vendor/MSFT/Policy/Config/Start/HideRecentJumplists', format: 'int', value: '1' },
      { locUri: './User/Vendor/MSFT/Policy/Config/Start/Layout', format: 'xml', value: '<LayoutModificationTemplate/>' },
      { locUri: './User/Vendor/MSFT/Foo', format: 'node', value: '' },
    ],
  });
  t.equal(p.units.length, 1);
  t.same(p.units[0].id, 'custom:atomic');
  t.equal(p.units[0].atomic, true);
  t.same(p.removal, ['./User/Vendor/MSFT/Policy/Config/Start']);
  t.same(
    unitCommands(p.units[0], 'install')[0].commands!.map((c) => `${c.kind} ${c.items![0].format} ${c.items![0].data ?? '-'}`),
    ['Add int 1', 'Add xml <LayoutModificationTemplate/>', 'Add node -'],
    'node format: no Data',
  );
  t.same(
    unitCommands(p.units[0], 'update')[0].commands!.map((c) => c.kind),
    ['Replace', 'Replace'],
    'update skips interior nodes',
  );
  t.same(compileProfile('custom', 'device', { nodes: DEVICE.nodes.slice(0, 1), removal: [] }).removal, [], 'removal [] keeps the settings');
});

t.test('LocURI rules', async (t) => {
  const errs = (scope: 'user' | 'device', locUri: string) =>
    errorsOf(() => compileProfile('custom', scope, { nodes: [{ locUri, format: 'chr', value: 'x' }] })).map((e) => e.message);
  t.same(errs('user', './User/Vendor/MSFT/Policy/Config/A/B'), [], 'user tree in user scope');
  t.same(errs('user', './Device/Vendor/MSFT/Policy/Config/A/B'), ['a user-scope setting must be under ./User/'], 'device tree in user scope');
  t.same(errs('user', './Vendor/MSFT/Policy/Config/A/B'), ['a user-scope setting must be under ./User/'], 'unprefixed (device) in user scope');
  t.same(errs('device', './User/Vendor/MSFT/Policy/Config/A/B'), ['a device-scope setting must be under ./Device/ or ./Vendor/'], 'user tree in device scope');
  t.same(errs('device', './DevDetail/Ext/Microsoft/DeviceName'), ['a device-scope setting must be under ./Device/ or ./Vendor/']);
  t.same(errs('device', 'Vendor/MSFT/X'), ['must match pattern "^\\./"'], 'schema: relative to "."');
  t.same(errs('device', './Device/Vendor/../MSFT/X'), ['must not have empty, ".", ".." or "*" node names (nor a trailing "/")']);
  t.same(errs('device', './Device/Vendor//X'), ['must not have empty, ".", ".." or "*" node names (nor a trailing "/")']);
  t.same(errs('device', './Device/Vendor/MSFT/X/'), ['must not have empty, ".", ".." or "*" node names (nor a trailing "/")']);
  t.same(errs('device', './Device/Vendor/MSFT/My Node'), ['must not contain whitespace, control characters or any of ? # < > " \\ (URL-encode node names)']);
  t.same(errs('device', './Device/Vendor/MSFT/My%20Node'), [], 'URL-encoded names');
  t.same(errs('device', './Device/Vendor/MSFT/100%'), ['has a "%" that does not start a %XX escape']);
  t.same(errs('device', './Vendor/MSFT/DMClient/Provider/fenestra/Unenroll'), ['DMClient (the management channel) cannot be changed by a custom profile']);
  t.same(errs('user', './User/Vendor/MSFT/dmclient/Provider/x/FirstSyncStatus'), ['DMClient (the management channel) cannot be changed by a custom profile']);
  t.same(
    errorsOf(() => compileProfile('custom', 'device', { nodes: DEVICE.nodes.slice(0, 1), removal: ['./Device/Vendor/MSFT/DMClient', './User/X'] })).map(
      (e) => e.pointer,
    ),
    ['/removal/0', '/removal/1'],
    'removal LocURIs follow the same rules',
  );
  t.same(
    errorsOf(() => compileProfile('custom', 'device', { nodes: [DEVICE.nodes[0], DEVICE.nodes[0]] })),
    [{ pointer: '/nodes/1/locUri', message: 'appears more than once' }],
  );
});

t.test('values match their format', async (t) => {
  const errs = (format: string, value: string) =>
    errorsOf(() => compileProfile('custom', 'device', { nodes: [{ locUri: './Vendor/MSFT/X', format, value }] })).map((e) => e.pointer);
  for (const [format, good, bad] of [
    ['int', '-2147483648', '2147483648'],
    ['int', '42', '4.2'],
    ['bool', 'false', 'True'],
    ['float', '-1.5e3', '1,5'],
    ['b64', 'QUJD', 'QUJD\n'],
    ['xml', '<a/><b x="1"/>text', '<a>'],
    ['node', '', 'x'],
  ]) {
    t.same(errs(format, good), [], `${format}: ${JSON.stringify(good)} accepted`);
    t.same(errs(format, bad), ['/nodes/0/value'], `${format}: ${JSON.stringify(bad)} refused`);
  }
  t.same(errs('xml', '<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>'), ['/nodes/0/value'], 'xml: DOCTYPE refused');
});

t.test('schema errors are JSON pointers', async (t) => {
  const errs = (s: unknown) => errorsOf(() => compileProfile('custom', 'device', s));
  t.same(errs({ nodes: [] }), [{ pointer: '/nodes', message: 'must NOT have fewer than 1 items' }]);
  t.same(errs({ nodes: [{ locUri: './Vendor/MSFT/X', value: '1' }] }), [{ pointer: '/nodes/0/format', message: 'is required' }], 'missing field');
  t.same(errs({ nodes: [{ locUri: './Vendor/MSFT/X', format: 'chr', value: 1 }] }), [{ pointer: '/nodes/0/value', message: 'must be string' }], 'wrong type');
  t.same(
    errs({ nodes: [{ locUri: './Vendor/MSFT/X', format: 'string', value: '1' }] }),
    [{ pointer: '/nodes/0/format', message: 'must be one of: "chr", "int", "bool", "b64", "bin", "xml", "float", "date", "time", "node"' }],
    'enum',
  );
  t.same(
    errs({ nodes: [{ locUri: './Vendor/MSFT/X', format: 'chr', value: '1', data: 'x' }] }),
    [{ pointer: '/nodes/0/data', message: 'is not a known setting here' }],
    'additionalProperties',
  );
  t.same(errs(null), [{ pointer: '', message: 'must be object' }], 'not an object');
});
