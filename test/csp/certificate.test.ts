// Certificate profiles → RootCATrustedCertificates / ClientCertificateInstall (PFX, SCEP):
// pinned nodes, thumbprints, scope rules, Atomic order, and the SCEP leaves against Fleet's
// production profile.
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { compileProfile, unitCommands } from '../../src/protocol/csp/index.js';
import { parseXml, type XmlElement } from '../../src/protocol/xml.js';
import { ROOT, SCEP_USER_CERT, TEST_ROOT_THUMBPRINT, errorsOf, fixture } from './fixtures/helpers.js';

const ROOT_PEM = fixture('test-root-ca.pem');
const ISSUING_PEM = fixture('test-issuing-ca.pem');
const PFX_B64 = fixture('test-user.pfx.b64').trim();
const NOMAC_B64 = fixture('pfx-nomac.b64').trim();
/** SHA-1 of fixtures/csp/test-issuing-ca.pem (openssl x509 -fingerprint -sha1). */
const ISSUING_THUMBPRINT = '3F494076BC1A535E00ADED3A30522621C9A3350F';
const der64 = (pem: string) => pem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s/g, '');

t.test('pinned: trusted root (device)', async (t) => {
  const p = compileProfile('certificate', 'device', { ref: 'corp-root', type: 'trusted-root', certificateBase64: ROOT_PEM });
  const node = `./Device/Vendor/MSFT/RootCATrustedCertificates/Root/${TEST_ROOT_THUMBPRINT}`;
  t.same(p, {
    kind: 'certificate',
    scope: 'device',
    units: [
      {
        id: 'certificate:EncodedCertificate',
        nodes: [{ uri: `${node}/EncodedCertificate`, format: 'b64', value: der64(ROOT_PEM), readBack: true }],
        atomic: false,
      },
    ],
    removal: [node],
    requires: [],
    provides: { ref: 'corp-root', scope: 'device', thumbprint: TEST_ROOT_THUMBPRINT, issuerThumbprint: TEST_ROOT_THUMBPRINT, certificateType: 'trusted-root' },
  });
  const fromDer = compileProfile('certificate', 'device', {
    ref: 'corp-root',
    type: 'trusted-root',
    certificateBase64: der64(ROOT_PEM).replace(/(.{64})/g, '$1\r\n'),
  });
  t.same(fromDer, p, 'base64 DER with line breaks gives the same output as PEM');
});

t.test('intermediate CA: CA store, user scope allowed', async (t) => {
  const p = compileProfile('certificate', 'user', { ref: 'issuing', type: 'intermediate', certificateBase64: ISSUING_PEM });
  t.same(p.units[0].nodes, [
    {
      uri: `./User/Vendor/MSFT/RootCATrustedCertificates/CA/${ISSUING_THUMBPRINT}/EncodedCertificate`,
      format: 'b64',
      value: der64(ISSUING_PEM),
      readBack: true,
    },
  ]);
  t.same(p.removal, [`./User/Vendor/MSFT/RootCATrustedCertificates/CA/${ISSUING_THUMBPRINT}`]);
  t.same(p.provides, { ref: 'issuing', scope: 'user', thumbprint: ISSUING_THUMBPRINT, certificateType: 'intermediate' });
});

t.test('trusted root rules', async (t) => {
  const errs = (scope: 'user' | 'device', certificateBase64: string, type = 'trusted-root') =>
    errorsOf(() => compileProfile('certificate', scope, { ref: 'r', type, certificateBase64 }));
  t.same(errs('user', ROOT_PEM), [
    {
      pointer: '/scope',
      message: 'the user certificate stores have no Root (RootCATrustedCertificates ./User has CA only): assign trusted roots with device scope',
    },
  ]);
  t.same(errs('device', ISSUING_PEM), [
    { pointer: '/certificateBase64', message: 'is not self-issued (issuer ≠ subject), so it is not a root: use type "intermediate"' },
  ]);
  t.same(errs('device', 'bm90IGEgY2VydA=='), [{ pointer: '/certificateBase64', message: 'is not an X.509 certificate' }]);
  t.same(errs('device', 'not base64!'), [{ pointer: '/certificateBase64', message: 'is not valid base64' }]);
  t.same(errs('device', ROOT_PEM + ISSUING_PEM, 'intermediate'), [
    { pointer: '/certificateBase64', message: 'holds more than one certificate: give one per profile' },
  ]);
});

t.test('pinned: PFX in one Atomic, blob last', async (t) => {
  const p = compileProfile('certificate', 'user', { ref: 'vpn-user', type: 'pfx', pfxBase64: PFX_B64, password: 'Pfx-Passw0rd' });
  const r = './User/Vendor/MSFT/ClientCertificateInstall/PFXCertInstall/vpn-user';
  t.same(p, {
    kind: 'certificate',
    scope: 'user',
    units: [
      {
        id: 'certificate:PFXCertInstall',
        nodes: [
          { uri: `${r}/KeyLocation`, format: 'int', value: '2', readBack: true },
          { uri: `${r}/PFXKeyExportable`, format: 'bool', value: 'false', readBack: true },
          { uri: `${r}/PFXCertPassword`, format: 'chr', value: 'Pfx-Passw0rd', secret: true, readBack: false },
          { uri: `${r}/PFXCertPasswordEncryptionType`, format: 'int', value: '0', readBack: true },
          { uri: `${r}/PFXCertBlob`, format: 'b64', value: PFX_B64, secret: true, readBack: false },
        ],
        atomic: true,
        reinstallOnChange: true,
      },
    ],
    removal: [r],
    requires: [],
    provides: { ref: 'vpn-user', scope: 'user', certificateType: 'pfx' },
  });
  const cmds = unitCommands(p.units[0], 'install');
  t.equal(cmds.length, 1);
  t.equal(cmds[0].kind, 'Atomic');
  t.same(
    cmds[0].commands!.map((c) => `${c.kind} ${c.items![0].target.split('/').pop()}`),
    ['Add KeyLocation', 'Add PFXKeyExportable', 'Add PFXCertPassword', 'Add PFXCertPasswordEncryptionType', 'Add PFXCertBlob'],
  );

  const hello = compileProfile('certificate', 'device', {
    ref: 'h',
    uniqueId: 'hello-1',
    type: 'pfx',
    // No password: a PFX without integrity MAC (a protected one would be refused, pfx-password.test.ts).
    pfxBase64: NOMAC_B64,
    keyLocation: 'hello',
    containerName: 'NGC',
    exportable: true,
  });
  t.same(
    hello.units[0].nodes.map((n) => `${n.uri.split('/').slice(-2).join('/')}=${n.value}`),
    ['hello-1/KeyLocation=4', 'hello-1/ContainerName=NGC', 'hello-1/PFXKeyExportable=true', `hello-1/PFXCertBlob=${NOMAC_B64}`],
    'Windows Hello key location with its container; no password leaves without a password',
  );
  const errs = (s: object) =>
    errorsOf(() => compileProfile('certificate', 'user', { ref: 'x', type: 'pfx', pfxBase64: PFX_B64, password: 'Pfx-Passw0rd', ...s })).map((e) => e.pointer);
  t.same(errs({ keyLocation: 'hello' }), ['/containerName']);
  t.same(errs({ containerName: 'NGC' }), ['/containerName']);
  t.same(errs({ pfxBase64: 'QUJD' }), ['/pfxBase64'], 'not a PKCS#12 structure');
  t.same(errs({ pfxBase64: 'QUJ' }), ['/pfxBase64'], 'not canonical base64');
});

t.test('pinned: SCEP Install leaves in one Atomic, then Exec Enroll', async (t) => {
  const p = compileProfile('certificate', 'user', {
    ...SCEP_USER_CERT,
    serverUrls: ['https://ndes1.contoso.com/certsrv/mscep/mscep.dll', 'https://ndes2.contoso.com/certsrv/mscep/mscep.dll'],
    subjectAlternativeNames: [
      { type: 'upn', value: 'alice@contoso.com' },
      { type: 'email', value: 'alice@contoso.com' },
      { type: 'dns', value: 'alice-pc.contoso.com' },
      { type: 'uri', value: 'urn:contoso:alice' },
    ],
    ekus: ['1.3.6.1.5.5.7.3.2', '1.3.6.1.4.1.311.20.2.2'],
    hashAlgorithm: ['SHA-2', 'SHA-3'],
    validPeriod: 'Years',
    validPeriodUnits: 1,
    keyProtection: 'tpm-or-software',
    retryCount: 5,
    retryDelay: 10,
    templateName: 'ContosoUser',
  });
  const i = './User/Vendor/MSFT/ClientCertificateInstall/SCEP/user-cert/Install';
  t.same(p.units, [
    {
      id: 'certificate:SCEP',
      nodes: [
        {
          uri: `${i}/ServerURL`,
          format: 'chr',
          value: 'https://ndes1.contoso.com/certsrv/mscep/mscep.dll;https://ndes2.contoso.com/certsrv/mscep/mscep.dll',
          readBack: true,
        },
        { uri: `${i}/Challenge`, format: 'chr', value: 'C4ALL3NG3', secret: true, readBack: false },
        { uri: `${i}/EKUMapping`, format: 'chr', value: '1.3.6.1.5.5.7.3.2+1.3.6.1.4.1.311.20.2.2', readBack: true },
        { uri: `${i}/KeyUsage`, format: 'int', value: '160', readBack: true },
        { uri: `${i}/SubjectName`, format: 'chr', value: 'CN=alice@contoso.com', readBack: true },
        { uri: `${i}/KeyProtection`, format: 'int', value: '2', readBack: true },
        { uri: `${i}/RetryDelay`, format: 'int', value: '10', readBack: true },
        { uri: `${i}/RetryCount`, format: 'int', value: '5', readBack: true },
        { uri: `${i}/TemplateName`, format: 'chr', value: 'ContosoUser', readBack: true },
        { uri: `${i}/KeyLength`, format: 'int', value: '2048', readBack: true },
        { uri: `${i}/HashAlgorithm`, format: 'chr', value: 'SHA-2+SHA-3', readBack: true },
        { uri: `${i}/CAThumbprint`, format: 'chr', value: TEST_ROOT_THUMBPRINT, readBack: true },
        {
          uri: `${i}/SubjectAlternativeNames`,
          format: 'chr',
          value: '11+alice@contoso.com;2+alice@contoso.com;3+alice-pc.contoso.com;7+urn:contoso:alice',
          readBack: true,
        },
        { uri: `${i}/ValidPeriod`, format: 'chr', value: 'Years', readBack: true },
        { uri: `${i}/ValidPeriodUnits`, format: 'int', value: '1', readBack: true },
      ],
      atomic: true,
      exec: { uri: `${i}/Enroll` },
      reinstallOnChange: true,
    },
  ]);
  t.same(p.removal, ['./User/Vendor/MSFT/ClientCertificateInstall/SCEP/user-cert']);
  t.same(p.provides, { ref: 'user-cert', scope: 'user', issuerThumbprint: TEST_ROOT_THUMBPRINT, certificateType: 'scep' });

  const install = unitCommands(p.units[0], 'install');
  t.equal(install.length, 1);
  const inner = install[0].commands!;
  t.equal(inner.length, 16, '15 Adds and the Exec, inside the Atomic');
  t.same(inner[15], { kind: 'Exec', items: [{ target: `${i}/Enroll` }] }, 'Exec last, no Meta, no Data');
  t.same(
    unitCommands(p.units[0], 'update')[0].commands!.map((c) => c.kind),
    [...Array(15).fill('Replace'), 'Exec'],
    'update: Replace the leaves and enroll again',
  );
});

t.test('SCEP rules', async (t) => {
  const errs = (s: object, scope: 'user' | 'device' = 'user') =>
    errorsOf(() => compileProfile('certificate', scope, { ...SCEP_USER_CERT, ...s })).map((e) => e.pointer);
  t.same(errs({ keyUsage: ['keyAgreement'] }), ['/keyUsage'], 'needs digitalSignature or keyEncipherment');
  t.same(
    errs({ keyProtection: 'hello', keyLength: 4096, hashAlgorithm: ['SHA-1'] }),
    ['/containerName', '/keyLength', '/hashAlgorithm'],
    'Windows Hello constraints',
  );
  t.same(errs({ keyProtection: 'hello', containerName: 'NGC', customTextToShowInPrompt: 'Enter your PIN' }), [], 'valid Windows Hello request');
  t.same(errs({ containerName: 'NGC', customTextToShowInPrompt: 'x' }), ['/containerName', '/customTextToShowInPrompt'], 'Hello-only settings');
  t.same(errs({ caThumbprint: 'BEFF' }), ['/caThumbprint'], 'thumbprint syntax');
  t.same(errs({ retryCount: 31 }), ['/retryCount'], 'RetryCount ≤ 30');
  t.same(errs({ ekus: ['client-auth'] }), ['/ekus/0'], 'EKUs are OIDs');
  t.same(errs({ serverUrls: ['ftp://x'] }), ['/serverUrls/0'], 'http(s) URLs');
  t.same(errs({ subjectAlternativeNames: [{ type: 'ip', value: '10.0.0.1' }] }), ['/subjectAlternativeNames/0/type'], 'SAN types');
  t.same(errs({ uniqueId: 'Machine Cert' }), ['/uniqueId'], 'unique ids are plain node names');
  const dev = compileProfile('certificate', 'device', { ...SCEP_USER_CERT, uniqueId: 'Machine.Cert_1' });
  t.equal(
    dev.units[0].exec!.uri,
    './Device/Vendor/MSFT/ClientCertificateInstall/SCEP/Machine.Cert_1/Install/Enroll',
    'device tree, the unique id as node name',
  );
  t.same(dev.provides, { ref: 'user-cert', scope: 'device', issuerThumbprint: TEST_ROOT_THUMBPRINT, certificateType: 'scep' });
});

t.test('schema errors are JSON pointers', async (t) => {
  const errs = (s: unknown) => errorsOf(() => compileProfile('certificate', 'device', s));
  t.same(errs({}), [{ pointer: '/type', message: 'is required' }], 'missing type');
  t.same(errs({ ref: 'x', type: 'p12' }), [{ pointer: '/type', message: 'must be one of: "trusted-root", "intermediate", "pfx", "scep"' }], 'unknown type');
  t.same(
    errs({ ref: 'x', type: 'pfx', pfxBase64: PFX_B64, challenge: 'x' }),
    [{ pointer: '/challenge', message: 'is not a known setting here' }],
    'settings of another type are refused',
  );
  t.same(errs({ ...SCEP_USER_CERT, keyLength: '2048' }), [{ pointer: '/keyLength', message: 'must be one of: 1024, 2048, 4096' }], 'enum');
  t.same(errs({ ...SCEP_USER_CERT, retryDelay: 1.5 }), [{ pointer: '/retryDelay', message: 'must be integer' }], 'wrong type');
  t.same(errs({ type: 'trusted-root', certificateBase64: ROOT_PEM }), [{ pointer: '/ref', message: 'is required' }], 'ref required');
  t.same(
    errs({ ref: 'a b', type: 'trusted-root', certificateBase64: ROOT_PEM }).map((e) => e.pointer),
    ['/ref'],
    'ref syntax',
  );
});

const FLEET_SCEP = path.join(ROOT, 'fixtures', 'fleet', 'windows-user-scep.xml');
t.test("SCEP leaves use the same formats as Fleet's production profile", async (t) => {
  const doc = parseXml(`<r>${fs.readFileSync(FLEET_SCEP, 'utf8')}</r>`);
  const fleet = new Map<string, string>();
  for (const cmd of [...((doc.r as XmlElement[])[0].Add as XmlElement[])]) {
    const item = (cmd.Item as XmlElement[])[0];
    const uri = String(((item.Target as XmlElement[])[0].LocURI as XmlElement[])[0]['#text']).trim();
    const fmt = String(((item.Meta as XmlElement[])[0].Format as XmlElement[])[0]['#text'] ?? '').trim();
    fleet.set(uri.slice(uri.lastIndexOf('/') + 1), fmt);
  }
  const ours = compileProfile('certificate', 'user', { ...SCEP_USER_CERT, retryCount: 3, retryDelay: 10 }).units[0].nodes;
  let compared = 0;
  for (const n of ours) {
    const leaf = n.uri.slice(n.uri.lastIndexOf('/') + 1);
    if (!fleet.has(leaf)) continue;
    compared++;
    t.equal(n.format, fleet.get(leaf), `${leaf}: ${n.format}`);
  }
  t.equal(compared, 10, 'all ten Install leaves Fleet sets');
});
