// Windows Hello for Business → PassportForWork: pinned node list (device and user tree), rules.
import t from 'tap';
import { compileProfile, unitCommands, type HelloSettings } from '../../src/protocol/csp/index.js';
import { errorsOf } from './fixtures/helpers.js';

const HELLO: HelloSettings = {
  tenantId: '72F988BF-86F1-41AF-91AB-2D7CD011DB47',
  requireSecurityDevice: true,
  enablePinRecovery: true,
  pin: {
    minimumLength: 6,
    maximumLength: 12,
    uppercaseLetters: 'disallowed',
    lowercaseLetters: 'allowed',
    specialCharacters: 'required',
    digits: 'required',
    history: 5,
    expirationDays: 90,
  },
  useBiometrics: true,
};

t.test('pinned: device scope', async (t) => {
  const p = compileProfile('hello', 'device', HELLO);
  const T = './Device/Vendor/MSFT/PassportForWork/72f988bf-86f1-41af-91ab-2d7cd011db47';
  const unit = (rel: string, uri: string, format: string, value: string) => ({
    id: `hello:${rel}`,
    nodes: [{ uri, format, value, readBack: true }],
    atomic: false,
  });
  const pol = (rel: string, format: string, value: string) => unit(`Policies/${rel}`, `${T}/Policies/${rel}`, format, value);
  t.same(p, {
    kind: 'hello',
    scope: 'device',
    units: [
      pol('UsePassportForWork', 'bool', 'true'),
      pol('RequireSecurityDevice', 'bool', 'true'),
      pol('EnablePinRecovery', 'bool', 'true'),
      pol('PINComplexity/MinimumPINLength', 'int', '6'),
      pol('PINComplexity/MaximumPINLength', 'int', '12'),
      pol('PINComplexity/UppercaseLetters', 'int', '2'),
      pol('PINComplexity/LowercaseLetters', 'int', '0'),
      pol('PINComplexity/SpecialCharacters', 'int', '1'),
      pol('PINComplexity/Digits', 'int', '1'),
      pol('PINComplexity/History', 'int', '5'),
      pol('PINComplexity/Expiration', 'int', '90'),
      unit('Biometrics/UseBiometrics', './Device/Vendor/MSFT/PassportForWork/Biometrics/UseBiometrics', 'bool', 'true'),
    ],
    removal: [T, './Device/Vendor/MSFT/PassportForWork/Biometrics/UseBiometrics'],
    requires: [],
  });
  t.same(unitCommands(p.units[3], 'install'), [{ kind: 'Add', items: [{ target: `${T}/Policies/PINComplexity/MinimumPINLength`, format: 'int', data: '6' }] }]);
});

t.test('user scope: ./User tree, no biometrics', async (t) => {
  const { useBiometrics: _b, ...userSettings } = HELLO;
  const p = compileProfile('hello', 'user', { ...userSettings, enabled: false, pin: { minimumLength: 8 } });
  t.same(
    p.units.map((u) => `${u.nodes[0].uri}=${u.nodes[0].value}`),
    [
      './User/Vendor/MSFT/PassportForWork/72f988bf-86f1-41af-91ab-2d7cd011db47/Policies/UsePassportForWork=false',
      './User/Vendor/MSFT/PassportForWork/72f988bf-86f1-41af-91ab-2d7cd011db47/Policies/RequireSecurityDevice=true',
      './User/Vendor/MSFT/PassportForWork/72f988bf-86f1-41af-91ab-2d7cd011db47/Policies/EnablePinRecovery=true',
      './User/Vendor/MSFT/PassportForWork/72f988bf-86f1-41af-91ab-2d7cd011db47/Policies/PINComplexity/MinimumPINLength=8',
    ],
  );
  t.same(p.removal, ['./User/Vendor/MSFT/PassportForWork/72f988bf-86f1-41af-91ab-2d7cd011db47']);
  t.same(
    compileProfile('hello', 'device', { tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47' }).units.map((u) => u.id),
    ['hello:Policies/UsePassportForWork'],
    'only the tenant and UsePassportForWork (default true) when nothing else is set',
  );
});

t.test('rules and schema errors', async (t) => {
  const errs = (scope: 'user' | 'device', s: unknown) => errorsOf(() => compileProfile('hello', scope, s));
  t.same(errs('user', HELLO), [{ pointer: '/useBiometrics', message: 'Biometrics/UseBiometrics exists in the device tree only: use device scope' }]);
  t.same(
    errs('device', { ...HELLO, pin: { minimumLength: 10, maximumLength: 8 } }).map((e) => e.pointer),
    ['/pin/minimumLength'],
    'min ≤ max',
  );
  t.same(errs('device', { ...HELLO, pin: { minimumLength: 3 } }), [{ pointer: '/pin/minimumLength', message: 'must be >= 4' }], 'DDF range 4–127');
  t.same(
    errs('device', { ...HELLO, pin: { history: 51, expirationDays: 731 } }).map((e) => e.pointer),
    ['/pin/history', '/pin/expirationDays'],
    'DDF ranges',
  );
  t.same(
    errs('device', { ...HELLO, pin: { digits: 1 } }),
    [{ pointer: '/pin/digits', message: 'must be one of: "allowed", "required", "disallowed"' }],
    'enum',
  );
  t.same(
    errs('device', { ...HELLO, tenantId: '{72F988BF-86F1-41AF-91AB-2D7CD011DB47}' }).map((e) => e.pointer),
    ['/tenantId'],
    'GUID without braces',
  );
  t.same(errs('device', { useBiometrics: true }), [{ pointer: '/tenantId', message: 'is required' }], 'missing field');
  t.same(errs('device', { ...HELLO, enabled: 'true' }), [{ pointer: '/enabled', message: 'must be boolean' }], 'wrong type');
  t.same(errs('device', { ...HELLO, pinLength: 6 }), [{ pointer: '/pinLength', message: 'is not a known setting here' }], 'additionalProperties');
});
