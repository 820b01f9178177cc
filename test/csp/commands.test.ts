// unitCommands / removalCommands / redactProfile, and the error type.
import t from 'tap';
import {
  ProfileValidationError,
  compileProfile,
  redactProfile,
  removalCommands,
  unitCommands,
  type CompiledProfile,
  type CompiledUnit,
} from '../../src/protocol/csp/index.js';
import { errorsOf } from './fixtures/helpers.js';

const unit = (atomic: boolean, exec?: CompiledUnit['exec']): CompiledUnit => ({
  id: 'u',
  atomic,
  nodes: [
    { uri: './Device/Vendor/MSFT/A/Node', format: 'node', value: '' },
    { uri: './Device/Vendor/MSFT/A/Node/Leaf', format: 'int', type: 'text/plain', value: '1' },
  ],
  ...(exec ? { exec } : {}),
});

t.test('unitCommands', async (t) => {
  t.same(unitCommands(unit(false), 'install'), [
    { kind: 'Add', items: [{ target: './Device/Vendor/MSFT/A/Node', format: 'node' }] },
    { kind: 'Add', items: [{ target: './Device/Vendor/MSFT/A/Node/Leaf', format: 'int', type: 'text/plain', data: '1' }] },
  ]);
  t.same(
    unitCommands(unit(false, { uri: './Device/Vendor/MSFT/A/Go', format: 'chr', value: 'now' }), 'update'),
    [
      { kind: 'Replace', items: [{ target: './Device/Vendor/MSFT/A/Node/Leaf', format: 'int', type: 'text/plain', data: '1' }] },
      { kind: 'Exec', items: [{ target: './Device/Vendor/MSFT/A/Go', format: 'chr', data: 'now' }] },
    ],
    'non-atomic: Exec after the nodes',
  );
  t.same(
    unitCommands(unit(true, { uri: './Device/Vendor/MSFT/A/Go' }), 'install'),
    [
      {
        kind: 'Atomic',
        commands: [
          { kind: 'Add', items: [{ target: './Device/Vendor/MSFT/A/Node', format: 'node' }] },
          { kind: 'Add', items: [{ target: './Device/Vendor/MSFT/A/Node/Leaf', format: 'int', type: 'text/plain', data: '1' }] },
          { kind: 'Exec', items: [{ target: './Device/Vendor/MSFT/A/Go' }] },
        ],
      },
    ],
    'atomic: one Atomic, Exec last inside it',
  );
  t.same(
    unitCommands({ id: 'x', atomic: true, nodes: [{ uri: './Vendor/MSFT/N', format: 'node', value: '' }] }, 'update'),
    [],
    'nothing to replace: no empty Atomic',
  );
});

t.test('removalCommands: one Delete per root', async (t) => {
  const p = compileProfile('wifi', 'user', { ssid: 'A', security: 'open' });
  t.same(removalCommands(p), [{ kind: 'Delete', items: [{ target: './User/Vendor/MSFT/WiFi/Profile/A' }] }]);
  const h = compileProfile('hello', 'device', { tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47', useBiometrics: false });
  t.same(
    removalCommands(h).map((c) => c.items![0].target),
    ['./Device/Vendor/MSFT/PassportForWork/72f988bf-86f1-41af-91ab-2d7cd011db47', './Device/Vendor/MSFT/PassportForWork/Biometrics/UseBiometrics'],
  );
});

t.test('redactProfile hides secret values only', async (t) => {
  const p: CompiledProfile = compileProfile('wifi', 'user', { ssid: 'Home', security: 'WPA2PSK', passphrase: 'sup3rs3cret', proxy: 'p:1' });
  const r = redactProfile(p);
  t.same(
    r.units[0].nodes.map((n) => n.value),
    ['(secret)', 'p:1'],
  );
  t.match(p.units[0].nodes[0].value, 'sup3rs3cret', 'the original is untouched');
});

t.test('ProfileValidationError', async (t) => {
  const errs = errorsOf(() => compileProfile('wifi', 'user', { ssid: 'x', security: 'open', a: 1, b: 2 }));
  t.equal(errs.length, 2);
  try {
    compileProfile('wifi', 'user', { ssid: 'x', security: 'open', a: 1, b: 2 });
  } catch (err) {
    t.type(err, ProfileValidationError);
    t.equal((err as Error).message, 'invalid profile (2 problems): /a: is not a known setting here; /b: is not a known setting here');
    t.equal((err as Error).name, 'ProfileValidationError');
  }
  t.same(
    errorsOf(() => compileProfile('printer' as never, 'user', {})),
    [{ pointer: '/kind', message: 'must be one of: vpn, wifi, email, certificate, hello, custom, app' }],
  );
  t.same(
    errorsOf(() => compileProfile('wifi', 'machine' as never, {})),
    [{ pointer: '/scope', message: 'must be "user" or "device"' }],
  );
});
