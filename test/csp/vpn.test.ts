// VPN profiles → VPNv2 ProfileXML: pinned output, XSD validity (xmllint, when installed),
// well-formedness, SyncML round trip, scope and semantic rules.
import t from 'tap';
import { compileProfile, unitCommands, type CompiledProfile, type VpnSettings } from '../../src/protocol/csp/index.js';
import { parseXml } from '../../src/protocol/xml.js';
import { certContext, errorsOf, itemData, syncRoundTrip, validateAgainstProfileXsd } from './fixtures/helpers.js';

const ctx = certContext();

const EAP_TLS_CONFIG =
  '<EapHostConfig xmlns="http://www.microsoft.com/provisioning/EapHostConfig">' +
  '<EapMethod><Type xmlns="http://www.microsoft.com/provisioning/EapCommon">13</Type><VendorId xmlns="http://www.microsoft.com/provisioning/EapCommon">0</VendorId>' +
  '<VendorType xmlns="http://www.microsoft.com/provisioning/EapCommon">0</VendorType><AuthorId xmlns="http://www.microsoft.com/provisioning/EapCommon">0</AuthorId></EapMethod>' +
  '<Config xmlns="http://www.microsoft.com/provisioning/EapHostConfig"><Eap xmlns="http://www.microsoft.com/provisioning/BaseEapConnectionPropertiesV1"><Type>13</Type>' +
  '<EapType xmlns="http://www.microsoft.com/provisioning/EapTlsConnectionPropertiesV1">' +
  '<CredentialsSource><CertificateStore><SimpleCertSelection>true</SimpleCertSelection></CertificateStore></CredentialsSource>' +
  '<ServerValidation><DisableUserPromptForServerValidation>true</DisableUserPromptForServerValidation><ServerNames>nps.contoso.com</ServerNames>' +
  '<TrustedRootCA>be ff 36 21 33 2d 10 27 3c 2a 02 fd 4d a1 75 cb 09 fd 30 72 </TrustedRootCA></ServerValidation>' +
  '<DifferentUsername>false</DifferentUsername>' +
  '<PerformServerValidation xmlns="http://www.microsoft.com/provisioning/EapTlsConnectionPropertiesV2">true</PerformServerValidation>' +
  '<AcceptServerName xmlns="http://www.microsoft.com/provisioning/EapTlsConnectionPropertiesV2">true</AcceptServerName>' +
  '<TLSExtensions xmlns="http://www.microsoft.com/provisioning/EapTlsConnectionPropertiesV2"><FilteringInfo xmlns="http://www.microsoft.com/provisioning/EapTlsConnectionPropertiesV3">' +
  '<CAHashList Enabled="true"><IssuerHash>be ff 36 21 33 2d 10 27 3c 2a 02 fd 4d a1 75 cb 09 fd 30 72 </IssuerHash></CAHashList></FilteringInfo></TLSExtensions>' +
  '</EapType></Eap></Config></EapHostConfig>';

/** A per-user Always On VPN: IKEv2, EAP-TLS with the SCEP user certificate, split tunnel. */
const USER_VPN: VpnSettings = {
  name: 'Contoso VPN',
  servers: ['vpn.contoso.com', { host: 'vpn2.contoso.com', friendlyName: 'Contoso backup' }],
  tunnelType: 'IKEv2',
  routing: {
    mode: 'split',
    routes: [
      { address: '10.0.0.0', prefixSize: 8 },
      { address: '10.99.0.0', prefixSize: 16, exclude: true, metric: 5 },
    ],
  },
  authentication: { method: 'eap-tls', certificateRef: 'user-cert', serverTrust: { rootCertificateRefs: ['corp-root'], serverNames: ['nps.contoso.com'] } },
  cryptographySuite: {
    authenticationTransformConstants: 'GCMAES256',
    cipherTransformConstants: 'GCMAES256',
    pfsGroup: 'ECP384',
    dhGroup: 'ECP384',
    integrityCheckMethod: 'SHA384',
    encryptionMethod: 'AES_GCM_256',
  },
  dnsSuffixes: ['corp.contoso.com', 'contoso.local'],
  domainNameInformation: [{ domainName: '.corp.contoso.com', dnsServers: ['10.0.0.10', '10.0.0.11'], autoTrigger: true }],
  trustedNetworks: ['corp.contoso.com'],
  alwaysOn: true,
  rememberCredentials: true,
  appTriggers: ['Microsoft.MicrosoftEdge_8wekyb3d8bbwe', 'C:\\Program Files\\Contoso\\app.exe'],
};

const USER_VPN_XML =
  '<VPNProfile><ProfileName>Contoso VPN</ProfileName><RememberCredentials>true</RememberCredentials><AlwaysOn>true</AlwaysOn>' +
  '<DnsSuffix>corp.contoso.com,contoso.local</DnsSuffix><TrustedNetworkDetection>corp.contoso.com</TrustedNetworkDetection>' +
  '<AppTrigger><App><Id>Microsoft.MicrosoftEdge_8wekyb3d8bbwe</Id></App></AppTrigger>' +
  '<AppTrigger><App><Id>C:\\Program Files\\Contoso\\app.exe</Id></App></AppTrigger>' +
  '<DomainNameInformation><DomainName>.corp.contoso.com</DomainName><DnsServers>10.0.0.10,10.0.0.11</DnsServers><AutoTrigger>true</AutoTrigger></DomainNameInformation>' +
  '<NativeProfile><Servers>vpn.contoso.com,vpn2.contoso.com;Contoso backup</Servers><RoutingPolicyType>SplitTunnel</RoutingPolicyType>' +
  '<NativeProtocolType>IKEv2</NativeProtocolType>' +
  '<CryptographySuite><AuthenticationTransformConstants>GCMAES256</AuthenticationTransformConstants><CipherTransformConstants>GCMAES256</CipherTransformConstants>' +
  '<PfsGroup>ECP384</PfsGroup><DHGroup>ECP384</DHGroup><IntegrityCheckMethod>SHA384</IntegrityCheckMethod><EncryptionMethod>AES_GCM_256</EncryptionMethod></CryptographySuite>' +
  `<Authentication><UserMethod>EAP</UserMethod><Eap><Configuration>${EAP_TLS_CONFIG}</Configuration></Eap></Authentication></NativeProfile>` +
  '<Route><Address>10.0.0.0</Address><PrefixSize>8</PrefixSize></Route>' +
  '<Route><Address>10.99.0.0</Address><PrefixSize>16</PrefixSize><ExclusionRoute>true</ExclusionRoute><Metric>5</Metric></Route>' +
  '</VPNProfile>';

const DEVICE_TUNNEL: VpnSettings = {
  name: 'Contoso Device Tunnel',
  servers: ['dt.contoso.com'],
  tunnelType: 'IKEv2',
  deviceTunnel: true,
  routing: { mode: 'split', routes: [{ address: '10.10.0.0', prefixSize: 16 }] },
  authentication: { method: 'machine-certificate', certificateRef: 'machine-cert' },
  domainNameInformation: [{ domainName: '.corp.contoso.com', dnsServers: ['10.10.0.10'] }],
};

function profileXml(p: CompiledProfile): string {
  return p.units[0].nodes[0].value;
}

/** Variants covering every authentication method, tunnel type and optional element. */
function variants(): Record<string, { scope: 'user' | 'device'; settings: VpnSettings }> {
  return {
    'user eap-tls': { scope: 'user', settings: USER_VPN },
    'device tunnel': { scope: 'device', settings: DEVICE_TUNNEL },
    'sstp mschapv2 force': {
      scope: 'user',
      settings: {
        name: 'SSTP & <Legacy>',
        servers: ['sstp.contoso.com'],
        tunnelType: 'SSTP',
        routing: { mode: 'force', routes: [{ address: '192.168.0.0', prefixSize: 16, exclude: true }], disableClassBasedDefaultRoute: true },
        authentication: { method: 'mschapv2' },
        registerDns: true,
        bypassForLocal: true,
        disableAdvancedOptionsEditButton: true,
        disableDisconnectButton: false,
        proxy: { autoConfigUrl: 'https://proxy.contoso.com/wpad.dat?a=1&b=2' },
      },
    },
    'l2tp psk peap': {
      scope: 'user',
      settings: {
        name: 'L2TP',
        servers: ['2001:db8::1'],
        tunnelType: 'L2TP',
        l2tpPsk: 'pre-shared <key> & "quotes"',
        routing: { mode: 'split' },
        authentication: { method: 'peap-mschapv2', serverTrust: { rootThumbprints: ['01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67'] } },
        proxy: { server: 'proxy.contoso.com:8080' },
        domainNameInformation: [{ domainName: '.', dnsServers: ['2001:db8::53'], webProxyServer: 'proxy.contoso.com:8080', persistent: true }],
      },
    },
    'automatic custom eap': {
      scope: 'user',
      settings: {
        name: 'Auto',
        servers: [{ host: 'auto.contoso.com' }],
        tunnelType: 'Automatic',
        routing: { mode: 'split' },
        authentication: {
          method: 'eap',
          eapHostConfig:
            '\uFEFF<?xml version="1.0" encoding="utf-8"?>\n<EapHostConfig xmlns="http://www.microsoft.com/provisioning/EapHostConfig"><EapMethod><Type xmlns="http://www.microsoft.com/provisioning/EapCommon">21</Type></EapMethod></EapHostConfig>\n',
        },
      },
    },
    'pptp minimal': {
      scope: 'user',
      settings: { name: 'P', servers: ['p.contoso.com'], tunnelType: 'PPTP', routing: { mode: 'force' }, authentication: { method: 'mschapv2' } },
    },
  };
}

t.test('pinned: user-scope IKEv2 EAP-TLS profile', async (t) => {
  const p = compileProfile('vpn', 'user', USER_VPN, ctx);
  t.same(p, {
    kind: 'vpn',
    scope: 'user',
    units: [
      {
        id: 'vpn:ProfileXML',
        nodes: [{ uri: './User/Vendor/MSFT/VPNv2/Contoso%20VPN/ProfileXML', format: 'chr', value: USER_VPN_XML, readBack: false }],
        atomic: false,
      },
    ],
    removal: ['./User/Vendor/MSFT/VPNv2/Contoso%20VPN'],
    requires: ['user-cert', 'corp-root'],
  });
  t.equal(profileXml(p), USER_VPN_XML, 'exact ProfileXML string');
  t.same(compileProfile('vpn', 'user', structuredClone(USER_VPN), ctx), p, 'deterministic');
  // Settings key order does not matter.
  const reordered = Object.fromEntries(Object.entries(USER_VPN).reverse());
  t.equal(profileXml(compileProfile('vpn', 'user', reordered, ctx)), USER_VPN_XML, 'independent of settings key order');
  t.same(unitCommands(p.units[0], 'install'), [
    { kind: 'Add', items: [{ target: './User/Vendor/MSFT/VPNv2/Contoso%20VPN/ProfileXML', format: 'chr', data: USER_VPN_XML }] },
  ]);
  t.same(unitCommands(p.units[0], 'update'), [
    { kind: 'Replace', items: [{ target: './User/Vendor/MSFT/VPNv2/Contoso%20VPN/ProfileXML', format: 'chr', data: USER_VPN_XML }] },
  ]);
});

t.test('pinned: device tunnel', async (t) => {
  const p = compileProfile('vpn', 'device', DEVICE_TUNNEL, ctx);
  t.equal(p.units[0].nodes[0].uri, './Device/Vendor/MSFT/VPNv2/Contoso%20Device%20Tunnel/ProfileXML');
  t.equal(
    profileXml(p),
    '<VPNProfile><ProfileName>Contoso Device Tunnel</ProfileName><AlwaysOn>true</AlwaysOn><DeviceTunnel>true</DeviceTunnel>' +
      '<DomainNameInformation><DomainName>.corp.contoso.com</DomainName><DnsServers>10.10.0.10</DnsServers></DomainNameInformation>' +
      '<NativeProfile><Servers>dt.contoso.com</Servers><RoutingPolicyType>SplitTunnel</RoutingPolicyType><NativeProtocolType>IKEv2</NativeProtocolType>' +
      '<Authentication><MachineMethod>Certificate</MachineMethod></Authentication></NativeProfile>' +
      '<Route><Address>10.10.0.0</Address><PrefixSize>16</PrefixSize></Route></VPNProfile>',
  );
  t.same(p.removal, ['./Device/Vendor/MSFT/VPNv2/Contoso%20Device%20Tunnel']);
  t.same(p.requires, ['machine-cert']);
});

t.test('every variant is well-formed XML with VPNProfile as root and survives SyncML byte for byte', async (t) => {
  for (const [name, v] of Object.entries(variants())) {
    const p = compileProfile('vpn', v.scope, v.settings, ctx);
    const xml = profileXml(p);
    const doc = parseXml(xml);
    t.ok(Array.isArray(doc.VPNProfile), `${name}: root VPNProfile`);
    t.equal(doc.VPNProfile?.[0]?.['#ns' as never], '', `${name}: no namespace`);
    const { xml: message, body } = syncRoundTrip(unitCommands(p.units[0], 'install'));
    t.notOk(message.includes('<VPNProfile>'), `${name}: escaped inside Data, not raw markup`);
    t.same(itemData(body), [xml], `${name}: Data reads back byte for byte`);
  }
});

t.test('ProfileXML validates against the VPNv2 DDF XSD (xmllint)', async (t) => {
  const docs = Object.fromEntries(Object.entries(variants()).map(([n, v]) => [n, profileXml(compileProfile('vpn', v.scope, v.settings, ctx))]));
  const results = await validateAgainstProfileXsd({
    ...docs,
    'out of order (must fail)': USER_VPN_XML.replace('<RememberCredentials>true</RememberCredentials>', '').replace(
      '</VPNProfile>',
      '<RememberCredentials>true</RememberCredentials></VPNProfile>',
    ),
  });
  for (const name of Object.keys(docs)) t.equal(results[name], '', `${name}: valid`);
  t.not(results['out of order (must fail)'], '', 'the check can fail: an element out of sequence order is rejected');
});

t.test('secrets: the L2TP pre-shared key marks ProfileXML secret', async (t) => {
  const v = variants()['l2tp psk peap'];
  const p = compileProfile('vpn', 'user', v.settings, ctx);
  t.equal(p.units[0].nodes[0].secret, true);
  t.match(profileXml(p), '<L2tpPsk>pre-shared &lt;key&gt; &amp; &quot;quotes&quot;</L2tpPsk>');
  t.notOk(compileProfile('vpn', 'user', USER_VPN, ctx).units[0].nodes[0].secret, 'no secret, no flag');
});

t.test('custom EapHostConfig is embedded as markup without its declaration', async (t) => {
  const xml = profileXml(compileProfile('vpn', 'user', variants()['automatic custom eap'].settings, ctx));
  t.match(xml, '<Configuration><EapHostConfig xmlns="http://www.microsoft.com/provisioning/EapHostConfig"><EapMethod>');
  t.notMatch(xml, '<?xml');
  const bad = (eapHostConfig: string) =>
    errorsOf(() => compileProfile('vpn', 'user', { ...USER_VPN, authentication: { method: 'eap', eapHostConfig } }, ctx)).map((e) => e.pointer);
  t.same(bad('<EapHostConfig xmlns="http://www.microsoft.com/provisioning/EapHostConfig">'), ['/authentication/eapHostConfig'], 'not well-formed');
  t.same(bad('<EapHostConfig/>'), ['/authentication/eapHostConfig'], 'wrong namespace');
  t.same(bad('<a/><b/>'), ['/authentication/eapHostConfig'], 'not one element');
  t.same(
    bad('<!DOCTYPE x [<!ENTITY e "x">]><EapHostConfig xmlns="http://www.microsoft.com/provisioning/EapHostConfig"/>'),
    ['/authentication/eapHostConfig'],
    'DOCTYPE refused',
  );
});

t.test('scope rules', async (t) => {
  const errs = (scope: 'user' | 'device', s: unknown) => errorsOf(() => compileProfile('vpn', scope, s, ctx));
  t.same(
    errs('user', { ...USER_VPN, deviceTunnel: true }).map((e) => e.pointer),
    ['/deviceTunnel'],
    'device tunnel in user scope',
  );
  t.same(
    errs('device', USER_VPN).map((e) => e.pointer),
    ['/deviceTunnel', '/authentication/method', '/authentication/certificateRef'],
    'a device-scope profile must be a device tunnel with the machine certificate (and the user certificate does not fit)',
  );
  t.same(
    errs('device', { ...DEVICE_TUNNEL, tunnelType: 'SSTP' }).map((e) => e.pointer),
    ['/tunnelType'],
    'device tunnel is IKEv2 only',
  );
  t.same(
    errs('user', { ...USER_VPN, authentication: { method: 'machine-certificate' } }).map((e) => e.pointer),
    ['/authentication/method'],
    'machine certificate in user scope',
  );
  t.same(
    errs('device', { ...DEVICE_TUNNEL, authentication: { method: 'machine-certificate', certificateRef: 'user-cert' } }),
    [
      {
        pointer: '/authentication/certificateRef',
        message: 'certificate profile "user-cert" has user scope, but a device tunnel authenticates with a device (machine) certificate',
      },
    ],
    'machine certificate must come from a device-scope certificate profile',
  );
  t.same(
    errs('user', { ...USER_VPN, authentication: { ...USER_VPN.authentication, certificateRef: 'machine-cert' } }).map((e) => e.pointer),
    ['/authentication/certificateRef'],
    'user EAP-TLS needs a user certificate',
  );
});

t.test('semantic rules', async (t) => {
  const errs = (s: unknown, c = ctx) => errorsOf(() => compileProfile('vpn', 'user', s, c));
  t.same(
    errs({ ...USER_VPN, authentication: { method: 'mschapv2' } }).map((e) => e.pointer),
    ['/authentication/method'],
    'MSChapv2 not with IKEv2',
  );
  t.same(
    errs({ ...USER_VPN, l2tpPsk: 'x' }).map((e) => e.pointer),
    ['/l2tpPsk'],
    'PSK only for L2TP',
  );
  t.same(
    errs({ ...USER_VPN, tunnelType: 'SSTP' }).map((e) => e.pointer),
    ['/cryptographySuite'],
    'crypto suite only for IKEv2',
  );
  t.same(
    errs({ ...USER_VPN, cryptographySuite: { dhGroup: 'ECP384', pfsGroup: 'ECP384' } }).map((e) => e.pointer),
    [
      '/cryptographySuite/authenticationTransformConstants',
      '/cryptographySuite/cipherTransformConstants',
      '/cryptographySuite/integrityCheckMethod',
      '/cryptographySuite/encryptionMethod',
    ],
    'crypto suite: all or none (Windows ignores a partial one); each missing field named',
  );
  t.same(
    errs({ ...USER_VPN, routing: { mode: 'force', routes: USER_VPN.routing.routes } }).map((e) => e.pointer),
    ['/routing/routes/0/exclude'],
    'force tunnel takes exclusion routes only',
  );
  t.same(
    errs({
      ...USER_VPN,
      routing: {
        mode: 'split',
        routes: [
          { address: '10.0.0.0', prefixSize: 33 },
          { address: '10..1', prefixSize: 8 },
        ],
      },
    }).map((e) => e.pointer),
    ['/routing/routes/0/prefixSize', '/routing/routes/1/address'],
    'route addresses and IPv4 prefix sizes',
  );
  t.same(
    errs({ ...USER_VPN, authentication: { method: 'eap-tls', certificateRef: 'nope', serverTrust: { rootCertificateRefs: ['user-cert'] } } }),
    [
      { pointer: '/authentication/certificateRef', message: 'refers to "nope", which is not a known certificate profile' },
      { pointer: '/authentication/serverTrust/rootCertificateRefs/0', message: 'certificate profile "user-cert" is a scep certificate, not a trusted root' },
      { pointer: '/authentication/serverTrust', message: 'needs at least one trusted root (rootThumbprints or rootCertificateRefs)' },
    ],
    'unknown and unsuitable certificate references',
  );
  t.same(
    errs({ ...USER_VPN, authentication: { method: 'peap-mschapv2', serverTrust: {} } }).map((e) => e.pointer),
    ['/authentication/serverTrust'],
    'a trusted root is required',
  );
  // Without certificate profiles in the context references are not resolved; thumbprints still work.
  const noCtx = compileProfile('vpn', 'user', {
    ...USER_VPN,
    authentication: {
      method: 'eap-tls',
      certificateRef: 'user-cert',
      serverTrust: { rootThumbprints: ['BEFF3621332D10273C2A02FD4DA175CB09FD3072'], serverNames: ['nps.contoso.com'] },
    },
  });
  t.same(noCtx.requires, ['user-cert']);
  t.notMatch(profileXml(noCtx), 'CAHashList', 'no issuer filter when the certificate profile is unknown');
  t.same(
    errs({ ...USER_VPN }, {}).map((e) => e.pointer),
    ['/authentication/serverTrust/rootCertificateRefs/0', '/authentication/serverTrust'],
    'a root given by reference cannot be resolved without the certificate profiles',
  );
});

t.test('schema errors are JSON pointers', async (t) => {
  const errs = (s: unknown) => errorsOf(() => compileProfile('vpn', 'user', s, ctx));
  const { servers: _s, ...noServers } = USER_VPN;
  t.same(errs(noServers), [{ pointer: '/servers', message: 'is required' }], 'missing field');
  t.same(errs({ ...USER_VPN, alwaysOn: 'yes' }), [{ pointer: '/alwaysOn', message: 'must be boolean' }], 'wrong type');
  t.same(
    errs({ ...USER_VPN, tunnelType: 'WireGuard' }),
    [{ pointer: '/tunnelType', message: 'must be one of: "IKEv2", "SSTP", "L2TP", "PPTP", "Automatic"' }],
    'enum',
  );
  t.same(errs({ ...USER_VPN, splitTunnel: true }), [{ pointer: '/splitTunnel', message: 'is not a known setting here' }], 'additionalProperties');
  t.same(
    errs({ ...USER_VPN, authentication: { method: 'radius' } }),
    [{ pointer: '/authentication/method', message: 'must be one of: "eap-tls", "peap-mschapv2", "eap", "mschapv2", "machine-certificate"' }],
    'unknown authentication method',
  );
  t.same(
    errs({ ...USER_VPN, authentication: { method: 'mschapv2', serverTrust: {} } }),
    [{ pointer: '/authentication/serverTrust', message: 'is not a known setting here' }],
    'errors come from the chosen method only',
  );
  t.same(
    errs({ ...USER_VPN, name: 'a/b' }).map((e) => e.pointer),
    ['/name'],
    'no "/" in the profile name',
  );
  t.same(
    errs({ ...USER_VPN, servers: [{ host: 'a', friendlyName: 'x;y' }, 'b c'] }).map((e) => e.pointer),
    ['/servers/0/friendlyName', '/servers/1'],
    'server syntax',
  );
  t.same(
    errs({ ...USER_VPN, name: 'bell\u0007' }).map((e) => e.pointer),
    ['/name'],
    'control characters XML cannot carry',
  );
  t.same(
    errs({ ...USER_VPN, dnsSuffixes: ['a.com'], appTriggers: ['x\ud800'] }),
    [{ pointer: '/appTriggers/0', message: 'contains a character XML cannot carry (control character or unpaired surrogate)' }],
    'unpaired surrogate',
  );
  t.same(errs({ ...USER_VPN, name: 'Emoji \u{1F600} VPN' }), [], 'paired surrogates are fine');
});
