// Wi-Fi profile → WiFi CSP (docs/protocol-notes.md "Wi-Fi"): a generated WLANProfile document in
// WlanXml, plus the optional Proxy, sent together in one Atomic. Element order follows the
// WLAN_profile schema (and Microsoft's published PEAP sample). Pure.
import { Problems, addRequire, resolveCertRef, resolveServerTrust } from './common.js';
import { eapTlsConfig, peapMschapv2Config } from './eap.js';
import type { WifiSettings } from './schemas.js';
import type { CompileContext, CompiledNode, CompiledProfile, Scope } from './types.js';
import { cspRoot, encodeSegment } from './uri.js';
import { el, tx } from '../xml-write.js';

export const WLAN_NS = 'http://www.microsoft.com/networking/WLAN/profile/v1';
export const ONEX_NS = 'http://www.microsoft.com/networking/OneX/v1';

type WifiSecurity = WifiSettings['security'];
type WifiAuthMode = NonNullable<NonNullable<WifiSettings['eap']>['authMode']>;

const PERSONAL: readonly WifiSecurity[] = ['WPA2PSK', 'WPA3SAE'];
const ENTERPRISE: readonly WifiSecurity[] = ['WPA2', 'WPA3ENT', 'WPA3ENT192'];

/** SSID as the WLAN profile's <hex>: uppercase hex of its UTF-8 bytes. */
export function ssidHex(ssid: string): string {
  return Buffer.from(ssid, 'utf8').toString('hex').toUpperCase();
}

export function compileWifi(scope: Scope, s: WifiSettings, ctx: CompileContext, p: Problems): Omit<CompiledProfile, 'kind' | 'scope'> {
  const requires: string[] = [];
  if (Buffer.byteLength(s.ssid, 'utf8') > 32) p.add('/ssid', 'must be at most 32 bytes in UTF-8');
  const personal = PERSONAL.includes(s.security);
  const enterprise = ENTERPRISE.includes(s.security);
  if (s.passphrase !== undefined && !personal) p.add('/passphrase', `a passphrase applies to WPA2PSK / WPA3SAE, not ${s.security}`);
  if (s.eap !== undefined && !enterprise) p.add('/eap', `EAP applies to WPA2 / WPA3ENT / WPA3ENT192, not ${s.security}`);
  if (s.proxy !== undefined) {
    const port = Number(s.proxy.slice(s.proxy.lastIndexOf(':') + 1));
    if (!(port >= 1 && port <= 65535)) p.add('/proxy', 'port must be 1–65535');
  }

  let oneX = '';
  if (enterprise && s.eap) {
    const eap = s.eap;
    if (s.security === 'WPA3ENT192' && eap.method !== 'eap-tls') p.add('/eap/method', 'WPA3ENT192 (192-bit mode) needs EAP-TLS');
    const authMode: WifiAuthMode = eap.authMode ?? (scope === 'user' ? 'user' : 'machineOrUser');
    if (scope === 'user' && (authMode === 'machine' || authMode === 'machineOrUser')) {
      p.add('/eap/authMode', 'machine authentication needs a device-scope (all users) Wi-Fi profile');
    }
    let config: string;
    if (eap.method === 'eap-tls') {
      const issuers: string[] = [];
      if (eap.certificateRef !== undefined) {
        addRequire(requires, eap.certificateRef);
        const need = authMode === 'user' ? 'user' : authMode === 'machine' ? 'device' : undefined;
        const info = resolveCertRef(eap.certificateRef, '/eap/certificateRef', ctx, p, need, `authMode "${authMode}" uses a ${need} certificate`);
        if (info?.issuerThumbprint) issuers.push(info.issuerThumbprint.toUpperCase());
      }
      config = eapTlsConfig(resolveServerTrust(eap.serverTrust, '/eap/serverTrust', ctx, p, requires), issuers);
    } else {
      config = peapMschapv2Config(resolveServerTrust(eap.serverTrust, '/eap/serverTrust', ctx, p, requires), eap.useWindowsLogonCredentials === true);
    }
    oneX = el('OneX', { xmlns: ONEX_NS }, tx('authMode', authMode), el('EAPConfig', null, config));
  }

  const encryption = s.security === 'open' ? 'none' : s.security === 'WPA3ENT192' ? 'GCMP256' : 'AES';
  const xml =
    '<?xml version="1.0"?>' +
    el(
      'WLANProfile',
      { xmlns: WLAN_NS },
      tx('name', s.ssid),
      el('SSIDConfig', null, el('SSID', null, tx('hex', ssidHex(s.ssid)), tx('name', s.ssid)), tx('nonBroadcast', s.hidden === true)),
      tx('connectionType', 'ESS'),
      tx('connectionMode', s.autoConnect === false ? 'manual' : 'auto'),
      el(
        'MSM',
        null,
        el(
          'security',
          null,
          el('authEncryption', null, tx('authentication', s.security), tx('encryption', encryption), tx('useOneX', enterprise)),
          personal && s.passphrase !== undefined && el('sharedKey', null, tx('keyType', 'passPhrase'), tx('protected', false), tx('keyMaterial', s.passphrase)),
          oneX,
        ),
      ),
    );

  const root = `${cspRoot(scope, 'WiFi')}/Profile/${encodeSegment(s.ssid)}`;
  const nodes: CompiledNode[] = [{ uri: `${root}/WlanXml`, format: 'chr', value: xml, ...(personal ? { secret: true } : {}), readBack: false }];
  if (s.proxy !== undefined) nodes.push({ uri: `${root}/Proxy`, format: 'chr', value: s.proxy, readBack: true });
  return { units: [{ id: 'wifi:Profile', nodes, atomic: true }], removal: [root], requires };
}
