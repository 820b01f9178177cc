// Wi-Fi profiles → WiFi CSP WlanXml (+ Proxy): pinned output, Microsoft's published PEAP sample
// has the same element order and values, SyncML round trip, rules and schema errors.
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { compileProfile, ssidHex, unitCommands, type WifiSettings } from '../../src/protocol/csp/index.js';
import { childText, parseXml, path as xmlPath } from '../../src/protocol/xml.js';
import { ROOT, TEST_ROOT_THUMBPRINT, certContext, elementPaths, elementTexts, errorsOf, itemData, syncRoundTrip } from './fixtures/helpers.js';

const ctx = certContext();
const WLAN_NS = 'http://www.microsoft.com/networking/WLAN/profile/v1';

const PSK: WifiSettings = { ssid: 'Contoso Guest', security: 'WPA2PSK', passphrase: 'correct horse & battery', proxy: 'proxy.contoso.com:8080' };
const PSK_XML =
  `<?xml version="1.0"?><WLANProfile xmlns="${WLAN_NS}"><name>Contoso Guest</name>` +
  '<SSIDConfig><SSID><hex>436F6E746F736F204775657374</hex><name>Contoso Guest</name></SSID><nonBroadcast>false</nonBroadcast></SSIDConfig>' +
  '<connectionType>ESS</connectionType><connectionMode>auto</connectionMode>' +
  '<MSM><security><authEncryption><authentication>WPA2PSK</authentication><encryption>AES</encryption><useOneX>false</useOneX></authEncryption>' +
  '<sharedKey><keyType>passPhrase</keyType><protected>false</protected><keyMaterial>correct horse &amp; battery</keyMaterial></sharedKey></security></MSM></WLANProfile>';

/** The equivalent of Microsoft's published PEAP sample (docs-wifi-csp-add-peap-trustedrootca-fragment.xml). */
const PEAP_LIKE_SAMPLE: WifiSettings = {
  ssid: 'MyNetwork',
  autoConnect: false,
  security: 'WPA2',
  eap: { method: 'peap-mschapv2', authMode: 'user', serverTrust: { rootThumbprints: [TEST_ROOT_THUMBPRINT] } },
};

const EAP_TLS: WifiSettings = {
  ssid: 'Contoso Corp',
  hidden: true,
  security: 'WPA3ENT192',
  eap: {
    method: 'eap-tls',
    certificateRef: 'machine-cert',
    authMode: 'machine',
    serverTrust: { rootCertificateRefs: ['corp-root'], serverNames: ['radius1.contoso.com', 'radius2.contoso.com'] },
  },
};

t.test('pinned: WPA2-Personal with proxy (user scope)', async (t) => {
  const p = compileProfile('wifi', 'user', PSK, ctx);
  t.same(p, {
    kind: 'wifi',
    scope: 'user',
    units: [
      {
        id: 'wifi:Profile',
        nodes: [
          { uri: './User/Vendor/MSFT/WiFi/Profile/Contoso%20Guest/WlanXml', format: 'chr', value: PSK_XML, secret: true, readBack: false },
          { uri: './User/Vendor/MSFT/WiFi/Profile/Contoso%20Guest/Proxy', format: 'chr', value: 'proxy.contoso.com:8080', readBack: true },
        ],
        atomic: true,
      },
    ],
    removal: ['./User/Vendor/MSFT/WiFi/Profile/Contoso%20Guest'],
    requires: [],
  });
  t.same(compileProfile('wifi', 'user', structuredClone(PSK), ctx), p, 'deterministic');
  t.same(unitCommands(p.units[0], 'install'), [
    {
      kind: 'Atomic',
      commands: [
        { kind: 'Add', items: [{ target: './User/Vendor/MSFT/WiFi/Profile/Contoso%20Guest/WlanXml', format: 'chr', data: PSK_XML }] },
        { kind: 'Add', items: [{ target: './User/Vendor/MSFT/WiFi/Profile/Contoso%20Guest/Proxy', format: 'chr', data: 'proxy.contoso.com:8080' }] },
      ],
    },
  ]);
});

t.test('pinned: WPA3-Enterprise 192-bit EAP-TLS, hidden, device scope', async (t) => {
  const p = compileProfile('wifi', 'device', EAP_TLS, ctx);
  const n = p.units[0].nodes;
  t.equal(n.length, 1);
  t.equal(n[0].uri, './Device/Vendor/MSFT/WiFi/Profile/Contoso%20Corp/WlanXml');
  t.notOk(n[0].secret, 'no secret in an EAP-TLS profile');
  t.equal(
    n[0].value,
    `<?xml version="1.0"?><WLANProfile xmlns="${WLAN_NS}"><name>Contoso Corp</name>` +
      '<SSIDConfig><SSID><hex>436F6E746F736F20436F7270</hex><name>Contoso Corp</name></SSID><nonBroadcast>true</nonBroadcast></SSIDConfig>' +
      '<connectionType>ESS</connectionType><connectionMode>auto</connectionMode><MSM><security>' +
      '<authEncryption><authentication>WPA3ENT192</authentication><encryption>GCMP256</encryption><useOneX>true</useOneX></authEncryption>' +
      '<OneX xmlns="http://www.microsoft.com/networking/OneX/v1"><authMode>machine</authMode><EAPConfig>' +
      '<EapHostConfig xmlns="http://www.microsoft.com/provisioning/EapHostConfig"><EapMethod><Type xmlns="http://www.microsoft.com/provisioning/EapCommon">13</Type>' +
      '<VendorId xmlns="http://www.microsoft.com/provisioning/EapCommon">0</VendorId><VendorType xmlns="http://www.microsoft.com/provisioning/EapCommon">0</VendorType>' +
      '<AuthorId xmlns="http://www.microsoft.com/provisioning/EapCommon">0</AuthorId></EapMethod>' +
      '<Config xmlns="http://www.microsoft.com/provisioning/EapHostConfig"><Eap xmlns="http://www.microsoft.com/provisioning/BaseEapConnectionPropertiesV1"><Type>13</Type>' +
      '<EapType xmlns="http://www.microsoft.com/provisioning/EapTlsConnectionPropertiesV1"><CredentialsSource><CertificateStore><SimpleCertSelection>true</SimpleCertSelection></CertificateStore></CredentialsSource>' +
      '<ServerValidation><DisableUserPromptForServerValidation>true</DisableUserPromptForServerValidation><ServerNames>radius1.contoso.com;radius2.contoso.com</ServerNames>' +
      '<TrustedRootCA>be ff 36 21 33 2d 10 27 3c 2a 02 fd 4d a1 75 cb 09 fd 30 72 </TrustedRootCA></ServerValidation><DifferentUsername>false</DifferentUsername>' +
      '<PerformServerValidation xmlns="http://www.microsoft.com/provisioning/EapTlsConnectionPropertiesV2">true</PerformServerValidation>' +
      '<AcceptServerName xmlns="http://www.microsoft.com/provisioning/EapTlsConnectionPropertiesV2">true</AcceptServerName>' +
      '<TLSExtensions xmlns="http://www.microsoft.com/provisioning/EapTlsConnectionPropertiesV2"><FilteringInfo xmlns="http://www.microsoft.com/provisioning/EapTlsConnectionPropertiesV3">' +
      '<CAHashList Enabled="true"><IssuerHash>be ff 36 21 33 2d 10 27 3c 2a 02 fd 4d a1 75 cb 09 fd 30 72 </IssuerHash></CAHashList></FilteringInfo></TLSExtensions>' +
      '</EapType></Eap></Config></EapHostConfig></EAPConfig></OneX></security></MSM></WLANProfile>',
  );
  t.same(p.requires, ['machine-cert', 'corp-root']);
  t.same(p.removal, ['./Device/Vendor/MSFT/WiFi/Profile/Contoso%20Corp']);
});

t.test("Microsoft's published PEAP sample and ours: same elements, same order, same values", async (t) => {
  const fragment = fs.readFileSync(path.join(ROOT, 'fixtures', 'syncml', 'docs-wifi-csp-add-peap-trustedrootca-fragment.xml'), 'utf8');
  const item = xmlPath(parseXml(fragment), 'Atomic', 'Add', 'Item');
  const sampleXml = String(xmlPath(item, 'Data')?.['#text']);
  t.match(sampleXml, /^<\?xml version="1.0"\?><WLANProfile/, 'the sample Data is an escaped WLANProfile');

  const ours = compileProfile('wifi', 'device', PEAP_LIKE_SAMPLE, ctx).units[0].nodes[0];
  t.equal(ours.uri.replace('./Device/', './'), childText(xmlPath(item, 'Target'), 'LocURI'), 'same LocURI (the sample uses the unprefixed device path)');

  const HEX = `{${WLAN_NS}}WLANProfile/{${WLAN_NS}}SSIDConfig/{${WLAN_NS}}SSID/{${WLAN_NS}}hex`;
  const oursPaths = elementPaths(ours.value);
  t.ok(oursPaths.indexOf(HEX) === oursPaths.indexOf(HEX.replace(/hex$/, 'name')) - 1, 'ours adds SSID/hex, right before SSID/name');
  t.same(
    oursPaths.filter((p) => p !== HEX),
    elementPaths(sampleXml),
    'element order (with namespaces) equals the sample',
  );
  // Values too, except the sample's placeholder thumbprint and our extra hex.
  const cmp = (xml: string) => elementTexts(xml).filter((e) => !e.startsWith(HEX + '=') && !/TrustedRootCA=/.test(e));
  t.same(cmp(ours.value), cmp(sampleXml), 'element values equal the sample');
});

t.test('SSID: UTF-8 hex and URL-encoded node name', async (t) => {
  t.equal(ssidHex('Café ☕'), '436166C3A920E29895');
  const p = compileProfile('wifi', 'user', { ssid: 'Café ☕', security: 'open' }, ctx);
  t.equal(p.units[0].nodes[0].uri, './User/Vendor/MSFT/WiFi/Profile/Caf%C3%A9%20%E2%98%95/WlanXml');
  t.match(
    p.units[0].nodes[0].value,
    '<authEncryption><authentication>open</authentication><encryption>none</encryption><useOneX>false</useOneX></authEncryption></security>',
  );
  t.same(
    errorsOf(() => compileProfile('wifi', 'user', { ssid: 'ééééééééééééééééé', security: 'open' }, ctx)),
    [{ pointer: '/ssid', message: 'must be at most 32 bytes in UTF-8' }],
    '17 characters but 34 bytes',
  );
});

t.test('WlanXml is well-formed and survives SyncML byte for byte', async (t) => {
  for (const [name, scope, s] of [
    ['psk', 'user', PSK],
    ['peap', 'device', PEAP_LIKE_SAMPLE],
    ['eap-tls', 'device', EAP_TLS],
    ['sae', 'user', { ssid: 'a<b>&"c\'', security: 'WPA3SAE', passphrase: `<&>"' \\ passphrase` }],
    [
      'wpa3ent peap user',
      'user',
      {
        ssid: 'X',
        security: 'WPA3ENT',
        eap: { method: 'peap-mschapv2', useWindowsLogonCredentials: true, serverTrust: { rootCertificateRefs: ['corp-root'] } },
      },
    ],
  ] as const) {
    const p = compileProfile('wifi', scope, s, ctx);
    const xml = p.units[0].nodes[0].value;
    t.ok(Array.isArray(parseXml(xml).WLANProfile), `${name}: well-formed, root WLANProfile`);
    t.same(
      itemData(syncRoundTrip(unitCommands(p.units[0], 'update')).body),
      p.units[0].nodes.map((n) => n.value),
      `${name}: round trip`,
    );
  }
});

t.test('rules', async (t) => {
  const errs = (scope: 'user' | 'device', s: unknown) => errorsOf(() => compileProfile('wifi', scope, s, ctx));
  t.same(
    errs('user', { ...PSK, security: 'open' }).map((e) => e.pointer),
    ['/passphrase'],
    'no passphrase on an open network',
  );
  t.same(
    errs('user', { ...EAP_TLS, security: 'WPA2PSK', passphrase: '12345678' }).map((e) => e.pointer),
    ['/eap'],
    'no EAP on a personal network',
  );
  t.same(
    errs('device', { ...EAP_TLS, eap: PEAP_LIKE_SAMPLE.eap }).map((e) => e.pointer),
    ['/eap/method'],
    'WPA3ENT192 needs EAP-TLS',
  );
  t.same(
    errs('user', EAP_TLS).map((e) => e.pointer),
    ['/eap/authMode'],
    'machine authentication needs device scope',
  );
  t.same(
    errs('device', { ...EAP_TLS, eap: { ...EAP_TLS.eap, authMode: 'machine', certificateRef: 'user-cert' } }),
    [{ pointer: '/eap/certificateRef', message: 'certificate profile "user-cert" has user scope, but authMode "machine" uses a device certificate' }],
    'machine authentication needs a device certificate',
  );
  t.same(errs('device', { ...EAP_TLS, eap: { ...EAP_TLS.eap, authMode: 'machineOrUser', certificateRef: 'user-cert' } }), [], 'machineOrUser takes either');
  t.same(
    errs('user', { ...PSK, proxy: 'proxy:99999' }).map((e) => e.pointer),
    ['/proxy'],
    'proxy port range',
  );
  const user = compileProfile(
    'wifi',
    'user',
    { ...EAP_TLS, security: 'WPA2', eap: { method: 'eap-tls', certificateRef: 'user-cert', serverTrust: { rootCertificateRefs: ['corp-root'] } } },
    ctx,
  );
  t.match(user.units[0].nodes[0].value, '<authMode>user</authMode>', 'user scope defaults to user authentication');
  const dev = compileProfile(
    'wifi',
    'device',
    { ...PEAP_LIKE_SAMPLE, eap: { method: 'peap-mschapv2', serverTrust: { rootThumbprints: [TEST_ROOT_THUMBPRINT] } } },
    ctx,
  );
  t.match(dev.units[0].nodes[0].value, '<authMode>machineOrUser</authMode>', 'device scope defaults to machineOrUser');
});

t.test('schema errors are JSON pointers', async (t) => {
  const errs = (s: unknown) => errorsOf(() => compileProfile('wifi', 'user', s, ctx));
  t.same(errs({ ssid: 'x', security: 'WPA2PSK' }), [{ pointer: '/passphrase', message: 'is required' }], 'passphrase required for PSK');
  t.same(errs({ ssid: 'x', security: 'WPA2' }), [{ pointer: '/eap', message: 'is required' }], 'eap required for enterprise');
  t.same(errs({ security: 'open' }), [{ pointer: '/ssid', message: 'is required' }], 'missing field');
  t.same(errs({ ...PSK, hidden: 1 }), [{ pointer: '/hidden', message: 'must be boolean' }], 'wrong type');
  t.same(
    errs({ ...PSK, security: 'WEP' }),
    [{ pointer: '/security', message: 'must be one of: "open", "WPA2PSK", "WPA3SAE", "WPA2", "WPA3ENT", "WPA3ENT192"' }],
    'enum',
  );
  t.same(errs({ ...PSK, password: 'x' }), [{ pointer: '/password', message: 'is not a known setting here' }], 'additionalProperties');
  t.same(
    errs({ ...PSK, passphrase: 'short' }).map((e) => e.pointer),
    ['/passphrase', '/passphrase'],
    'passphrase length and pattern',
  );
  t.same(
    errs({ ...EAP_TLS, eap: { method: 'eap-tls', serverTrust: { rootThumbprints: ['xyz'], extra: 1 } } }),
    [
      { pointer: '/eap/serverTrust/extra', message: 'is not a known setting here' },
      { pointer: '/eap/serverTrust/rootThumbprints/0', message: 'must match pattern "^([0-9A-Fa-f]{2}[ :]?){19}[0-9A-Fa-f]{2}$"' },
    ],
    'nested pointers',
  );
});
