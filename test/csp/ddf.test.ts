// Compiled nodes against Microsoft's DDFs: every LocURI we produce exists in the CSP's DDF with
// the same Format and the access we use (Add/Replace for nodes, Exec for exec, Delete for
// removal). The DDF facts live in fixtures/csp/ddf-nodes.json; that fixture and the extracted
// ProfileXML XSD are re-derived from the DDF files themselves (fixtures/csp/ddf) and compared.
//
// Regenerate ddf-nodes.json: FENESTRA_WRITE_FIXTURES=1 npx tap test/csp/ddf.test.ts
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { compileProfile, type CompiledProfile } from '../../src/protocol/csp/index.js';
import { DDF_DIR, FIXTURES, PROFILEXML_XSD, SCEP_USER_CERT, TEST_ROOT_THUMBPRINT, certContext, ddfEntry, ddfTable, fixture } from './fixtures/helpers.js';

const DDF_FILES = ['ClientCertificateInstall', 'EMAIL2', 'PassportForWork', 'RootCATrustedCertificates', 'VPNv2', 'WiFi'];
const NODES_JSON = path.join(FIXTURES, 'ddf-nodes.json');

function derivedNodes(): string {
  const out: Record<string, Record<string, string>> = {};
  for (const f of DDF_FILES) out[f] = ddfTable(fs.readFileSync(path.join(DDF_DIR, `${f}.ddf.xml`), 'utf8'));
  return JSON.stringify(out, null, 1) + '\n';
}

if (process.env.FENESTRA_WRITE_FIXTURES === '1') fs.writeFileSync(NODES_JSON, derivedNodes());

t.test('fixtures are what the DDFs say', async (t) => {
  t.equal(fs.readFileSync(NODES_JSON, 'utf8'), derivedNodes(), 'ddf-nodes.json is current');
  // The XSD Windows validates ProfileXML against: the CDATA of the ProfileXML node's
  // AllowedValues (ValueType="XSD"), line ends normalised to LF.
  const ddf = fs.readFileSync(path.join(DDF_DIR, 'VPNv2.ddf.xml'), 'utf8');
  const schemas = [...ddf.matchAll(/<MSFT:AllowedValues ValueType="XSD">\s*<MSFT:Value><!\[CDATA\[([^]*?)\]\]><\/MSFT:Value>/g)].map((m) =>
    m[1].replace(/\r\n/g, '\n').replace(/^\n+/, '').replace(/\n*$/, '\n'),
  );
  t.equal(schemas.length, 2, 'one XSD in the ./User and one in the ./Device ProfileXML node');
  t.equal(schemas[0], schemas[1], 'the same schema in both trees');
  t.equal(fs.readFileSync(PROFILEXML_XSD, 'utf8'), schemas[0], 'fixtures/csp/vpnv2-profilexml.xsd is the extracted schema');
});

function samples(): CompiledProfile[] {
  const ctx = certContext();
  const trust = { rootThumbprints: [TEST_ROOT_THUMBPRINT] };
  return [
    compileProfile(
      'vpn',
      'user',
      {
        name: 'V 1',
        servers: ['v'],
        tunnelType: 'IKEv2',
        routing: { mode: 'split' },
        authentication: { method: 'eap-tls', certificateRef: 'user-cert', serverTrust: trust },
      },
      ctx,
    ),
    compileProfile(
      'vpn',
      'device',
      { name: 'DT', servers: ['v'], tunnelType: 'IKEv2', deviceTunnel: true, routing: { mode: 'split' }, authentication: { method: 'machine-certificate' } },
      ctx,
    ),
    compileProfile('wifi', 'user', { ssid: 'W 1', security: 'WPA2PSK', passphrase: '12345678', proxy: 'p:8080' }, ctx),
    compileProfile('wifi', 'device', { ssid: 'W2', security: 'WPA2', eap: { method: 'peap-mschapv2', serverTrust: trust } }, ctx),
    compileProfile('email', 'user', {
      accountId: 'a',
      accountName: 'A',
      displayName: 'D',
      emailAddress: 'a@b.c',
      serviceType: 'IMAP4',
      incoming: { host: 'i', port: 993 },
      outgoing: { host: 'o', port: 587 },
      userName: 'u',
      password: 'p',
      domain: 'd',
      syncIntervalMinutes: 15,
      downloadDays: 7,
    }),
    compileProfile('certificate', 'device', { ref: 'r', type: 'trusted-root', certificateBase64: fixture('test-root-ca.pem') }),
    compileProfile('certificate', 'device', { ref: 'i', type: 'intermediate', certificateBase64: fixture('test-issuing-ca.pem') }),
    compileProfile('certificate', 'user', { ref: 'i', type: 'intermediate', certificateBase64: fixture('test-issuing-ca.pem') }),
    compileProfile('certificate', 'user', {
      ref: 'p',
      type: 'pfx',
      pfxBase64: fixture('test-user.pfx.b64'),
      password: 'Pfx-Passw0rd',
      keyLocation: 'hello',
      containerName: 'c',
    }),
    compileProfile('certificate', 'device', { ref: 'p', type: 'pfx', pfxBase64: fixture('pfx-nomac.b64') }),
    ...(['user', 'device'] as const).map((scope) =>
      compileProfile('certificate', scope, {
        ...SCEP_USER_CERT,
        validPeriod: 'Days',
        validPeriodUnits: 30,
        keyProtection: 'hello',
        containerName: 'c',
        customTextToShowInPrompt: 'PIN',
        retryCount: 1,
        retryDelay: 1,
        templateName: 't',
      }),
    ),
    compileProfile('hello', 'device', {
      tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47',
      requireSecurityDevice: true,
      enablePinRecovery: true,
      pin: {
        minimumLength: 6,
        maximumLength: 8,
        uppercaseLetters: 'required',
        lowercaseLetters: 'required',
        specialCharacters: 'required',
        digits: 'required',
        history: 1,
        expirationDays: 1,
      },
      useBiometrics: true,
    }),
    compileProfile('hello', 'user', { tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47', requireSecurityDevice: true, pin: { maximumLength: 8 } }),
  ];
}

/** Where we deliberately differ from the DDF's DFFormat. */
const FORMAT_EXCEPTIONS: Record<string, string> = {
  // DDF says bin; binary travels as base64 text with Format b64 (docs/protocol-notes.md "Certificates").
  PFXCertBlob: 'b64',
};

t.test('every node, exec and removal root exists in the DDF with our format and access', async (t) => {
  const all = JSON.parse(fs.readFileSync(NODES_JSON, 'utf8')) as Record<string, Record<string, string>>;
  const table = Object.assign({}, ...Object.values(all)) as Record<string, string>;
  let checked = 0;
  for (const p of samples()) {
    for (const u of p.units) {
      for (const n of u.nodes) {
        const e = ddfEntry(table, n.uri);
        if (!t.ok(e, `${n.uri} is a DDF node`) || !e) continue;
        const leaf = n.uri.slice(n.uri.lastIndexOf('/') + 1);
        t.equal(n.format, FORMAT_EXCEPTIONS[leaf] ?? e.format, `${e.pattern}: format ${n.format}`);
        t.match(e.access, /A/, `${e.pattern}: Add allowed`);
        t.match(e.access, /R/, `${e.pattern}: Replace allowed`);
        checked++;
      }
      if (u.exec) {
        const e = ddfEntry(table, u.exec.uri);
        t.ok(e && /E/.test(e.access) && e.format === 'null', `${u.exec.uri}: an Exec node (null format)`);
      }
    }
    for (const r of p.removal) {
      const e = ddfEntry(table, r);
      t.ok(e && /D/.test(e.access), `${r}: Delete allowed`);
    }
  }
  t.ok(checked > 60, `${checked} nodes checked`);
});
