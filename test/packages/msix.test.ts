// readMsix on packages and bundles assembled here (yazl) with real manifests; the package family
// name checked against Microsoft's published pairs; hostile zips (truncated, bombs, no manifest,
// DOCTYPE, lying sizes) end in a PackageError; storage errors come through as they are.
import { randomBytes } from 'node:crypto';
import t from 'tap';
import yazl from 'yazl';
import { PackageError, packageFamilyName, publisherId, readMsix, sniffPackage, type ReadAt } from '../../src/protocol/packages/index.js';
import { bufferReader } from '../helpers/packages.js';

const MS = 'CN=Microsoft Corporation, O=Microsoft Corporation, L=Redmond, S=Washington, C=US';
const CONTOSO = 'CN=Contoso Software, O=Contoso Corporation, C=US';

async function zip(files: { name: string; data: Buffer | string; store?: boolean }[]): Promise<Buffer> {
  const z = new yazl.ZipFile();
  for (const f of files) z.addBuffer(Buffer.isBuffer(f.data) ? f.data : Buffer.from(f.data), f.name, { compress: !f.store });
  z.end();
  const parts: Buffer[] = [];
  for await (const c of z.outputStream) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

function manifest(o: { name: string; publisher?: string; version: string; arch?: string; displayName?: string; deps?: string; extra?: string }): string {
  return `<?xml version="1.0" encoding="utf-8"?>
<Package xmlns="http://schemas.microsoft.com/appx/manifest/foundation/windows10" xmlns:uap="http://schemas.microsoft.com/appx/manifest/uap/windows10" IgnorableNamespaces="uap">
  <Identity Name="${o.name}"${o.publisher === undefined ? '' : ` Publisher="${o.publisher}"`} Version="${o.version}"${o.arch ? ` ProcessorArchitecture="${o.arch}"` : ''}/>
  <Properties>
    <DisplayName>${o.displayName ?? 'ms-resource:AppName'}</DisplayName>
    <PublisherDisplayName>Contoso</PublisherDisplayName>
    <Logo>Assets\\StoreLogo.png</Logo>
  </Properties>
  <Dependencies>
    <TargetDeviceFamily Name="Windows.Desktop" MinVersion="10.0.17763.0" MaxVersionTested="10.0.22621.0"/>
    ${o.deps ?? ''}
  </Dependencies>
  <Resources><Resource Language="en-us"/></Resources>
  <Applications>
    <Application Id="App" Executable="App.exe" EntryPoint="Windows.FullTrustApplication">
      <uap:VisualElements DisplayName="App" Description="App" BackgroundColor="transparent" Square150x150Logo="Assets\\Square150x150Logo.png" Square44x44Logo="Assets\\Square44x44Logo.png"/>
    </Application>
  </Applications>
${o.extra ?? ''}</Package>
`;
}

const VCLIBS = `<PackageDependency Name="Microsoft.VCLibs.140.00.UWPDesktop" Publisher="${MS}" MinVersion="14.0.30704.0"/>`;
const blockMap =
  '<?xml version="1.0" encoding="UTF-8"?><BlockMap xmlns="http://schemas.microsoft.com/appx/2010/blockmap" HashMethod="http://www.w3.org/2001/04/xmlenc#sha256"/>';
const contentTypes = '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>';

async function msix(m: string, o: { signed?: boolean; payload?: Buffer } = {}): Promise<Buffer> {
  return zip([
    ...(o.payload ? [{ name: 'App.exe', data: o.payload, store: true }] : []),
    { name: 'AppxManifest.xml', data: m },
    { name: 'AppxBlockMap.xml', data: blockMap },
    { name: '[Content_Types].xml', data: contentTypes },
    ...(o.signed ? [{ name: 'AppxSignature.p7x', data: Buffer.concat([Buffer.from('PKCX'), randomBytes(64)]) }] : []),
  ]);
}

const read = (buf: Buffer, fileName?: string) => readMsix(bufferReader(buf), buf.length, fileName ? { fileName } : {});
const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as Error,
  );

t.test('publisher id and family name: the published pairs', async (t) => {
  t.equal(publisherId(MS), '8wekyb3d8bbwe');
  t.equal(packageFamilyName('Microsoft.WindowsCalculator', MS), 'Microsoft.WindowsCalculator_8wekyb3d8bbwe');
  t.equal(publisherId('CN=Microsoft Windows, O=Microsoft Corporation, L=Redmond, S=Washington, C=US'), 'cw5n1h2txyewy');
  t.equal(publisherId('CN=Contoso').length, 13);
});

t.test('a signed MSIX: identity, names, dependencies', async (t) => {
  const payload = randomBytes(16 * 1024 * 1024);
  const buf = await msix(
    manifest({ name: 'Microsoft.WindowsCalculator', publisher: MS, version: '11.2405.2.0', arch: 'x64', displayName: 'Calculator', deps: VCLIBS }),
    {
      signed: true,
      payload,
    },
  );
  t.equal(sniffPackage(buf.subarray(0, 4)), 'zip');
  const reader = bufferReader(buf);
  const got = await readMsix(reader, buf.length, { fileName: 'Calculator.msix' });
  t.same(got, {
    format: 'msix',
    name: 'Microsoft.WindowsCalculator',
    publisher: MS,
    version: '11.2405.2.0',
    architecture: 'x64',
    packageFamilyName: 'Microsoft.WindowsCalculator_8wekyb3d8bbwe',
    packageFullName: 'Microsoft.WindowsCalculator_11.2405.2.0_x64__8wekyb3d8bbwe',
    displayName: 'Calculator',
    publisherDisplayName: 'Contoso',
    signed: true,
    dependencies: [{ name: 'Microsoft.VCLibs.140.00.UWPDesktop', publisher: MS, minVersion: '14.0.30704.0' }],
  });
  t.ok(reader.bytes < 2 * 1024 * 1024, `${reader.bytes} bytes read of ${buf.length}: the 16 MiB payload is not read`);
  t.ok(reader.calls < 20, `${reader.calls} reads`);
});

t.test('an unsigned APPX: neutral by default, resource display names left out, resource id in the full name', async (t) => {
  const m = manifest({ name: 'Contoso.Tool', publisher: CONTOSO, version: '1.0.0.0' }).replace('Version="1.0.0.0"', 'Version="1.0.0.0" ResourceId="en-us"');
  const got = await read(await msix(m), 'tool.APPX');
  t.equal(got.format, 'appx');
  t.equal(got.signed, false);
  t.equal(got.architecture, 'neutral');
  t.notOk('displayName' in got, 'ms-resource: display name left out');
  t.equal(got.packageFullName, `Contoso.Tool_1.0.0.0_neutral_en-us_${publisherId(CONTOSO)}`);
  t.same(got.dependencies, []);
  t.equal((await read(await msix(m))).format, 'msix', 'no file name: msix');
  const emptySignature = await zip([
    { name: 'AppxManifest.xml', data: m },
    { name: 'AppxSignature.p7x', data: Buffer.alloc(0) },
  ]);
  t.equal((await read(emptySignature)).signed, false, 'an empty AppxSignature.p7x is no signature');
});

t.test('a bundle: bundle identity, the architectures of its application packages, the first one read in place', async (t) => {
  const x64 = await msix(manifest({ name: 'Contoso.Notes', publisher: CONTOSO, version: '3.1.0.0', arch: 'x64', displayName: 'Contoso Notes', deps: VCLIBS }), {
    signed: true,
  });
  const arm64 = await msix(manifest({ name: 'Contoso.Notes', publisher: CONTOSO, version: '3.1.0.0', arch: 'arm64', displayName: 'Contoso Notes' }), {
    signed: true,
  });
  const res = await msix(
    manifest({ name: 'Contoso.Notes', publisher: CONTOSO, version: '3.1.0.0' }).replace('Version="3.1.0.0"', 'Version="3.1.0.0" ResourceId="split.scale-200"'),
  );
  const bundleManifest = `<?xml version="1.0" encoding="UTF-8"?>
<Bundle xmlns="http://schemas.microsoft.com/appx/2013/bundle" SchemaVersion="5.0">
  <Identity Name="Contoso.Notes" Publisher="${CONTOSO}" Version="3.1.0.0"/>
  <Packages>
    <Package Type="resource" Version="3.1.0.0" ResourceId="split.scale-200" FileName="Notes_scale-200.msix" Offset="0" Size="${res.length}"><Resources><Resource Scale="200"/></Resources></Package>
    <Package Type="application" Version="3.1.0.0" Architecture="x64" FileName="Notes_x64.msix" Offset="0" Size="${x64.length}"><Resources><Resource Language="en-us"/></Resources></Package>
    <Package Type="application" Version="3.1.0.0" Architecture="arm64" FileName="Notes_arm64.msix" Offset="0" Size="${arm64.length}"><Resources><Resource Language="en-us"/></Resources></Package>
  </Packages>
</Bundle>`;
  const bundle = await zip([
    { name: 'Notes_scale-200.msix', data: res, store: true },
    { name: 'Notes_x64.msix', data: x64, store: true },
    { name: 'Notes_arm64.msix', data: arm64, store: true },
    { name: 'AppxMetadata/AppxBundleManifest.xml', data: bundleManifest },
    { name: 'AppxBlockMap.xml', data: blockMap },
    { name: 'AppxSignature.p7x', data: randomBytes(100) },
  ]);
  const got = await read(bundle, 'notes.msixbundle');
  t.same(got, {
    format: 'msixbundle',
    name: 'Contoso.Notes',
    publisher: CONTOSO,
    version: '3.1.0.0',
    architecture: 'x64,arm64',
    packageFamilyName: `Contoso.Notes_${publisherId(CONTOSO)}`,
    packageFullName: `Contoso.Notes_3.1.0.0_neutral_~_${publisherId(CONTOSO)}`,
    displayName: 'Contoso Notes',
    publisherDisplayName: 'Contoso',
    signed: true,
    dependencies: [{ name: 'Microsoft.VCLibs.140.00.UWPDesktop', publisher: MS, minVersion: '14.0.30704.0' }],
  });
  t.equal((await read(bundle, 'notes.appxbundle')).format, 'appxbundle');
  t.equal((await read(bundle)).format, 'msixbundle');

  // A broken inner package is named in the error.
  const broken = await zip([
    { name: 'Notes_x64.msix', data: x64.subarray(0, 200), store: true },
    { name: 'AppxMetadata/AppxBundleManifest.xml', data: bundleManifest },
  ]);
  const err = await failure(read(broken));
  t.type(err, PackageError);
  t.match(err?.message, /^Notes_x64\.msix in the bundle: not a readable zip/);
});

/** Patches the central directory record of `name` (offsets from its 0x02014b50 signature). */
function patchCentral(buf: Buffer, name: string, patch: (b: Buffer, at: number) => void): Buffer {
  const b = Buffer.from(buf);
  for (let at = b.lastIndexOf(Buffer.from('PK\x01\x02', 'latin1')); at >= 0; at = b.lastIndexOf(Buffer.from('PK\x01\x02', 'latin1'), at - 1)) {
    const len = b.readUInt16LE(at + 28);
    if (b.toString('latin1', at + 46, at + 46 + len) === name) {
      patch(b, at);
      return b;
    }
  }
  throw new Error(`${name} not in the central directory`);
}

t.test('hostile zips: PackageError, bounded', async (t) => {
  const good = await msix(manifest({ name: 'Contoso.App', publisher: CONTOSO, version: '1.0.0.0' }));
  const zeros = Buffer.alloc(4 * 1024 * 1024);
  const bomb = await zip([
    { name: 'AppxManifest.xml', data: Buffer.concat([Buffer.from(manifest({ name: 'Contoso.App', publisher: CONTOSO, version: '1.0.0.0' })), zeros]) },
  ]);
  const cases: [string, () => Promise<Buffer> | Buffer, RegExp, string][] = [
    ['not a zip', () => Buffer.from('MZ'.padEnd(4096, '\0')), /^not a readable zip/, 'zip'],
    ['empty file', () => Buffer.alloc(0), /^not a readable zip/, 'zip'],
    ['truncated (no end of central directory)', () => good.subarray(0, good.length - 30), /^not a readable zip/, 'zip'],
    ['no manifest', () => zip([{ name: 'readme.txt', data: 'hello' }]), /^not an MSIX or APPX package: no AppxManifest\.xml/, 'AppxManifest.xml'],
    [
      'a DOCTYPE with entities',
      () => msix(`<?xml version="1.0"?><!DOCTYPE Package [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><Package><Identity Name="&b;"/></Package>`),
      /^AppxManifest\.xml: DOCTYPE and entity declarations are not accepted/,
      'AppxManifest.xml',
    ],
    ['malformed XML', () => msix('<Package><Identity Name="x"></Package>'), /^AppxManifest\.xml: malformed XML/, 'AppxManifest.xml'],
    ['wrong root', () => msix('<Bundle/>'), /^AppxManifest\.xml: the root element is Bundle, Package expected/, 'AppxManifest.xml'],
    [
      'no Publisher',
      () => msix(manifest({ name: 'Contoso.App', version: '1.0.0.0' })),
      /^AppxManifest\.xml: Identity\/@Publisher missing$/,
      'AppxManifest.xml',
    ],
    [
      'bad version',
      () => msix(manifest({ name: 'Contoso.App', publisher: CONTOSO, version: '1.0' })),
      /Identity\/@Version '1\.0' is not Major\.Minor\.Build\.Revision/,
      'AppxManifest.xml',
    ],
    ['bad name', () => msix(manifest({ name: 'a b', publisher: CONTOSO, version: '1.0.0.0' })), /Identity\/@Name 'a b' is not/, 'AppxManifest.xml'],
    [
      'bad architecture',
      () => msix(manifest({ name: 'Contoso.App', publisher: CONTOSO, version: '1.0.0.0', arch: 'mips' })),
      /ProcessorArchitecture 'mips'/,
      'AppxManifest.xml',
    ],
    ['manifest over 1 MiB', () => bomb, /^AppxManifest\.xml is \d+ bytes, over the 1048576-byte limit/, 'AppxManifest.xml'],
    [
      'an entry claiming 4 GiB',
      () => patchCentral(good, 'AppxManifest.xml', (b, at) => b.writeUInt32LE(0xfffffff0, at + 24)),
      /over the 1048576-byte limit/,
      'AppxManifest.xml',
    ],
    [
      'a bomb declaring 2000 bytes that inflates to 4 MiB',
      () => patchCentral(bomb, 'AppxManifest.xml', (b, at) => b.writeUInt32LE(2000, at + 24)),
      /^AppxManifest\.xml cannot be read: too many bytes in the stream/,
      'AppxManifest.xml',
    ],
    [
      'an unknown compression method',
      () => patchCentral(good, 'AppxManifest.xml', (b, at) => b.writeUInt16LE(14, at + 10)),
      /compression method 14/,
      'AppxManifest.xml',
    ],
    [
      'an entry past the end of the file',
      () => patchCentral(good, 'AppxManifest.xml', (b, at) => b.writeUInt32LE(0x7ffffff0, at + 20)),
      /.+/,
      'AppxManifest.xml',
    ],
  ];
  for (const [name, make, message, field] of cases) {
    const buf = await make();
    const reader = bufferReader(buf);
    const err = await failure(readMsix(reader, buf.length));
    t.type(err, PackageError, `${name}: PackageError`);
    t.match(err?.message, message, `${name}: ${err?.message}`);
    t.equal((err as PackageError | undefined)?.field, field, `${name}: field ${field}`);
    t.ok(reader.calls < 50, `${name}: ${reader.calls} reads`);
  }
  // A file shorter than the size it was stored with (reads come back short).
  const short = await failure(readMsix(bufferReader(good), good.length + 5000));
  t.type(short, PackageError, 'shorter than its size: PackageError');
  t.match(short?.message, /not enough bytes|not a readable zip/, `shorter than its size: ${short?.message}`);
  t.equal(sniffPackage(Buffer.from('MZ\x90\x00')), undefined);
  t.equal(sniffPackage(Buffer.from('PK')), undefined, 'too short to tell');
});

t.test('a storage error is passed on as it is, not called a bad package', async (t) => {
  // The manifest first, then 1 MiB: the second read (the manifest, after the central directory) fails.
  const good = await zip([
    { name: 'AppxManifest.xml', data: manifest({ name: 'Contoso.App', publisher: CONTOSO, version: '1.0.0.0' }) },
    { name: 'App.exe', data: randomBytes(1024 * 1024), store: true },
  ]);
  t.ok(await readMsix(bufferReader(good), good.length), 'reads when storage works');
  const boom = new Error('storage unavailable');
  let calls = 0;
  const readAt: ReadAt = async (offset, length) => {
    if (++calls > 1) throw boom;
    return good.subarray(offset, offset + length);
  };
  const err = await failure(readMsix(readAt, good.length));
  t.equal(calls, 2);
  t.equal(err, boom);
});
