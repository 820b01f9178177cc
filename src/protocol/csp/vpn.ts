// VPN profile → VPNv2 ProfileXML (docs/protocol-notes.md "VPN"). One chr node holding the <VPNProfile>
// document (no namespace, children in the order of the XSD's xs:sequence, compact). Pure.
import { isIP } from 'node:net';
import { Problems, addRequire, resolveCertRef, resolveServerTrust } from './common.js';
import { eapTlsConfig, normalizeEapHostConfig, peapMschapv2Config } from './eap.js';
import type { VpnSettings } from './schemas.js';
import type { CompileContext, CompiledProfile, Scope } from './types.js';
import { cspRoot, encodeSegment } from './uri.js';
import { el, opt, tx } from '../xml-write.js';

export function compileVpn(scope: Scope, s: VpnSettings, ctx: CompileContext, p: Problems): Omit<CompiledProfile, 'kind' | 'scope'> {
  const requires: string[] = [];
  const auth = s.authentication;

  // Scope: ./Device is for the IKEv2 device tunnel (machine certificate); per-user VPN is ./User.
  if (scope === 'device') {
    if (s.deviceTunnel !== true)
      p.add('/deviceTunnel', 'a device-scope VPN profile is a device tunnel: set deviceTunnel to true (per-user VPN profiles have user scope)');
    if (s.tunnelType !== 'IKEv2') p.add('/tunnelType', 'a device tunnel must use IKEv2');
    if (auth.method !== 'machine-certificate')
      p.add('/authentication/method', 'a device tunnel authenticates with the machine certificate ("machine-certificate")');
  } else {
    if (s.deviceTunnel === true) p.add('/deviceTunnel', 'a device tunnel needs device scope');
    if (auth.method === 'machine-certificate') p.add('/authentication/method', 'machine certificate authentication is for device tunnels (device scope)');
  }
  if (auth.method === 'mschapv2' && s.tunnelType === 'IKEv2') p.add('/authentication/method', 'MSChapv2 is not supported with IKEv2: use EAP (peap-mschapv2)');
  if (s.l2tpPsk !== undefined && s.tunnelType !== 'L2TP') p.add('/l2tpPsk', 'a pre-shared key applies to L2TP only');
  if (s.cryptographySuite !== undefined && s.tunnelType !== 'IKEv2') p.add('/cryptographySuite', 'the cryptography suite applies to IKEv2 only');

  s.routing.routes?.forEach((r, i) => {
    const at = `/routing/routes/${i}`;
    const fam = isIP(r.address);
    if (fam === 0) p.add(`${at}/address`, 'is not an IPv4 or IPv6 address');
    else if (fam === 4 && r.prefixSize > 32) p.add(`${at}/prefixSize`, 'must be at most 32 for an IPv4 address');
    if (s.routing.mode === 'force' && r.exclude !== true) {
      p.add(`${at}/exclude`, 'with force tunnelling all traffic already uses the VPN: only exclusion routes (exclude: true) apply');
    }
  });
  s.domainNameInformation?.forEach((d, i) =>
    d.dnsServers?.forEach((a, j) => {
      if (isIP(a) === 0) p.add(`/domainNameInformation/${i}/dnsServers/${j}`, 'is not an IPv4 or IPv6 address');
    }),
  );

  // Authentication element (a choice in the XSD: UserMethod[+Eap] or MachineMethod).
  let authXml: string;
  switch (auth.method) {
    case 'eap-tls': {
      const issuers: string[] = [];
      if (auth.certificateRef !== undefined) {
        addRequire(requires, auth.certificateRef);
        const info = resolveCertRef(
          auth.certificateRef,
          '/authentication/certificateRef',
          ctx,
          p,
          scope,
          `this ${scope}-scope VPN profile authenticates with a ${scope} certificate`,
        );
        if (info?.issuerThumbprint) issuers.push(info.issuerThumbprint.toUpperCase());
      }
      const trust = resolveServerTrust(auth.serverTrust, '/authentication/serverTrust', ctx, p, requires);
      authXml = userEap(eapTlsConfig(trust, issuers));
      break;
    }
    case 'peap-mschapv2': {
      const trust = resolveServerTrust(auth.serverTrust, '/authentication/serverTrust', ctx, p, requires);
      authXml = userEap(peapMschapv2Config(trust, auth.useWindowsLogonCredentials === true));
      break;
    }
    case 'eap': {
      const r = normalizeEapHostConfig(auth.eapHostConfig);
      if ('error' in r) {
        p.add('/authentication/eapHostConfig', r.error);
        authXml = '';
      } else {
        authXml = userEap(r.xml);
      }
      break;
    }
    case 'mschapv2':
      authXml = el('Authentication', null, tx('UserMethod', 'MSChapv2'));
      break;
    case 'machine-certificate':
      if (auth.certificateRef !== undefined) {
        addRequire(requires, auth.certificateRef);
        resolveCertRef(
          auth.certificateRef,
          '/authentication/certificateRef',
          ctx,
          p,
          'device',
          'a device tunnel authenticates with a device (machine) certificate',
        );
      }
      authXml = el('Authentication', null, tx('MachineMethod', 'Certificate'));
      break;
  }

  const servers = s.servers.map((x) => (typeof x === 'string' ? x : x.friendlyName ? `${x.host};${x.friendlyName}` : x.host)).join(',');
  const cs = s.cryptographySuite;
  const alwaysOn = s.alwaysOn ?? (scope === 'device' ? true : undefined);

  const xml = el(
    'VPNProfile',
    null,
    tx('ProfileName', s.name),
    opt('RememberCredentials', s.rememberCredentials),
    opt('AlwaysOn', alwaysOn),
    opt('DnsSuffix', s.dnsSuffixes?.length ? s.dnsSuffixes.join(',') : undefined),
    opt('TrustedNetworkDetection', s.trustedNetworks?.length ? s.trustedNetworks.join(',') : undefined),
    opt('DisableAdvancedOptionsEditButton', s.disableAdvancedOptionsEditButton),
    opt('DisableDisconnectButton', s.disableDisconnectButton),
    opt('DeviceTunnel', scope === 'device' ? true : undefined),
    opt('RegisterDNS', s.registerDns),
    opt('ByPassForLocal', s.bypassForLocal),
    s.proxy && el('Proxy', null, opt('AutoConfigUrl', s.proxy.autoConfigUrl), s.proxy.server !== undefined && el('Manual', null, tx('Server', s.proxy.server))),
    ...(s.appTriggers ?? []).map((id) => el('AppTrigger', null, el('App', null, tx('Id', id)))),
    ...(s.domainNameInformation ?? []).map((d) =>
      el(
        'DomainNameInformation',
        null,
        tx('DomainName', d.domainName),
        opt('DnsServers', d.dnsServers?.length ? d.dnsServers.join(',') : undefined),
        opt('WebProxyServers', d.webProxyServer),
        opt('AutoTrigger', d.autoTrigger),
        opt('Persistent', d.persistent),
      ),
    ),
    el(
      'NativeProfile',
      null,
      tx('Servers', servers),
      tx('RoutingPolicyType', s.routing.mode === 'force' ? 'ForceTunnel' : 'SplitTunnel'),
      tx('NativeProtocolType', s.tunnelType),
      opt('L2tpPsk', s.l2tpPsk),
      opt('DisableClassBasedDefaultRoute', s.routing.disableClassBasedDefaultRoute),
      cs &&
        el(
          'CryptographySuite',
          null,
          opt('AuthenticationTransformConstants', cs.authenticationTransformConstants),
          opt('CipherTransformConstants', cs.cipherTransformConstants),
          opt('PfsGroup', cs.pfsGroup),
          opt('DHGroup', cs.dhGroup),
          opt('IntegrityCheckMethod', cs.integrityCheckMethod),
          opt('EncryptionMethod', cs.encryptionMethod),
        ),
      authXml,
    ),
    ...(s.routing.routes ?? []).map((r) =>
      el('Route', null, tx('Address', r.address), tx('PrefixSize', r.prefixSize), opt('ExclusionRoute', r.exclude), opt('Metric', r.metric)),
    ),
  );

  const root = `${cspRoot(scope, 'VPNv2')}/${encodeSegment(s.name)}`;
  return {
    units: [
      {
        id: 'vpn:ProfileXML',
        nodes: [{ uri: `${root}/ProfileXML`, format: 'chr', value: xml, ...(s.l2tpPsk !== undefined ? { secret: true } : {}), readBack: false }],
        atomic: false,
      },
    ],
    removal: [root],
    requires,
  };
}

function userEap(eapHostConfig: string): string {
  return el('Authentication', null, tx('UserMethod', 'EAP'), el('Eap', null, el('Configuration', null, eapHostConfig)));
}
