// Windows Hello for Business → PassportForWork (PassportForWork.ddf.xml):
// ./{Device|User}/Vendor/MSFT/PassportForWork/{TenantId}/Policies/… and, device tree only,
// ./Device/Vendor/MSFT/PassportForWork/Biometrics/UseBiometrics. One unit per node (each an
// independent policy), in DDF order. Pure.
import type { Problems } from './common.js';
import type { HelloSettings } from './schemas.js';
import type { CompiledNode, CompiledProfile, CompiledUnit, Scope } from './types.js';
import { cspRoot } from './uri.js';

type CharRule = NonNullable<NonNullable<HelloSettings['pin']>['digits']>;

/** PINComplexity character rules: 0 allowed, 1 required (at least one), 2 not allowed. */
const CHAR_RULE: Record<CharRule, number> = { allowed: 0, required: 1, disallowed: 2 };

export function compileHello(scope: Scope, s: HelloSettings, p: Problems): Omit<CompiledProfile, 'kind' | 'scope'> {
  const pin = s.pin ?? {};
  if (pin.minimumLength !== undefined && pin.maximumLength !== undefined && pin.minimumLength > pin.maximumLength) {
    p.add('/pin/minimumLength', 'must not be greater than maximumLength');
  }
  if (s.useBiometrics !== undefined && scope !== 'device') p.add('/useBiometrics', 'Biometrics/UseBiometrics exists in the device tree only: use device scope');

  const csp = cspRoot(scope, 'PassportForWork');
  // The tenant node is the GUID without braces; lowercase keeps one spelling per tenant.
  const tenant = `${csp}/${s.tenantId.toLowerCase()}`;
  const units: CompiledUnit[] = [];
  const node = (rel: string, uri: string, format: 'bool' | 'int', value: boolean | number | undefined) => {
    if (value === undefined) return;
    const n: CompiledNode = { uri, format, value: String(value), readBack: true };
    units.push({ id: `hello:${rel}`, nodes: [n], atomic: false });
  };
  const pol = (rel: string, format: 'bool' | 'int', value: boolean | number | undefined) => node(`Policies/${rel}`, `${tenant}/Policies/${rel}`, format, value);
  const rule = (r: CharRule | undefined) => (r === undefined ? undefined : CHAR_RULE[r]);

  pol('UsePassportForWork', 'bool', s.enabled ?? true);
  pol('RequireSecurityDevice', 'bool', s.requireSecurityDevice);
  pol('EnablePinRecovery', 'bool', s.enablePinRecovery);
  pol('PINComplexity/MinimumPINLength', 'int', pin.minimumLength);
  pol('PINComplexity/MaximumPINLength', 'int', pin.maximumLength);
  pol('PINComplexity/UppercaseLetters', 'int', rule(pin.uppercaseLetters));
  pol('PINComplexity/LowercaseLetters', 'int', rule(pin.lowercaseLetters));
  pol('PINComplexity/SpecialCharacters', 'int', rule(pin.specialCharacters));
  pol('PINComplexity/Digits', 'int', rule(pin.digits));
  pol('PINComplexity/History', 'int', pin.history);
  pol('PINComplexity/Expiration', 'int', pin.expirationDays);
  node('Biometrics/UseBiometrics', `${csp}/Biometrics/UseBiometrics`, 'bool', s.useBiometrics);

  // Removal: the tenant node (its policy subtree), and UseBiometrics when this profile set it
  // (a device-wide leaf; deleting it restores the Windows default).
  const removal = [tenant];
  if (s.useBiometrics !== undefined) removal.push(`${csp}/Biometrics/UseBiometrics`);
  return { units, removal, requires: [] };
}
