// The settings types are derived from the kinds' JSON schemas (src/protocol/csp/schemas.ts): what
// the type refuses, the schema refuses too, and what it accepts, the schema accepts. The
// `@ts-expect-error` lines are checked by the type check (npm run typecheck): if a derived type
// became looser (e.g. `any`), they would be unused and fail it.
import t from 'tap';
import type { VpnSettings, WifiSettings } from '../../src/protocol/csp/index.js';
import { schemaErrors } from '../../src/protocol/csp/validate.js';

const trust = { rootThumbprints: ['BEFF3621332D10273C2A02FD4DA175CB09FD3072'] };
const vpn: Omit<VpnSettings, 'authentication'> = { name: 'Contoso VPN', servers: ['vpn.contoso.com'], tunnelType: 'IKEv2', routing: { mode: 'split' } };

t.test('VPN: the type and the schema agree', async (t) => {
  const ok: VpnSettings = { ...vpn, authentication: { method: 'peap-mschapv2', serverTrust: trust, useWindowsLogonCredentials: true } };
  t.same(schemaErrors('vpn', ok), [], 'a settings object of the type is valid');

  // @ts-expect-error authentication is required
  const noAuth: VpnSettings = { ...vpn };
  t.same(schemaErrors('vpn', noAuth), [{ pointer: '/authentication', message: 'is required' }]);

  // @ts-expect-error authMode belongs to the Wi-Fi EAP branches only
  const wifiOnly: VpnSettings = { ...vpn, authentication: { method: 'eap-tls', serverTrust: trust, authMode: 'user' } };
  t.same(schemaErrors('vpn', wifiOnly), [{ pointer: '/authentication/authMode', message: 'is not a known setting here' }]);

  // @ts-expect-error the EAP-TLS branch needs serverTrust
  const noTrust: VpnSettings = { ...vpn, authentication: { method: 'eap-tls' } };
  t.same(schemaErrors('vpn', noTrust), [{ pointer: '/authentication/serverTrust', message: 'is required' }]);
});

t.test('Wi-Fi: the type and the schema agree', async (t) => {
  const ok: WifiSettings = { ssid: 'Contoso', security: 'WPA3ENT', eap: { method: 'eap-tls', serverTrust: trust, authMode: 'machineOrUser' } };
  t.same(schemaErrors('wifi', ok), [], 'a settings object of the type is valid');

  // @ts-expect-error a personal security mode needs a passphrase (the schema's if/then)
  const noPassphrase: WifiSettings = { ssid: 'Contoso Guest', security: 'WPA2PSK' };
  t.same(schemaErrors('wifi', noPassphrase), [{ pointer: '/passphrase', message: 'is required' }]);

  // @ts-expect-error an unknown EAP method
  const ttls: WifiSettings = { ssid: 'Contoso', security: 'WPA2', eap: { method: 'eap-ttls', serverTrust: trust } };
  t.same(schemaErrors('wifi', ttls), [{ pointer: '/eap/method', message: 'must be one of: "eap-tls", "peap-mschapv2"' }]);
});
