// readMsi against real MSIs built here with wixl, compared with what msiinfo (msitools) reads of
// the same files; version 4 and DIFAT-chained compound files written by the test's own writer
// from those MSIs' streams; and broken files, which must end in a PackageError after a bounded
// number of reads.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { CompoundFile } from '../../src/protocol/packages/compound-file.js';
import { PackageError, readMsi, sniffPackage } from '../../src/protocol/packages/index.js';
import { decodeStreamName, decodeStringPool } from '../../src/protocol/packages/msi.js';
import { bufferReader } from '../helpers/packages.js';
import { writeCompoundFile } from './cfb-writer.js';

const hasTools = !spawnSync('wixl', ['--version']).error && !spawnSync('msiinfo', ['--version']).error;
const SKIP = hasTools ? false : 'wixl and msiinfo (Debian wixl, msitools) are not installed on this machine';

const readBuf = (buf: Buffer) => readMsi(bufferReader(buf), buf.length);

function wxs(o: { version: string; scope: 'perMachine' | 'perUser'; manufacturer: string; extraProperties?: string; file: string; upgrade?: boolean }): string {
  const folder = o.scope === 'perMachine' ? 'ProgramFilesFolder' : 'LocalAppDataFolder';
  return `<?xml version="1.0" encoding="utf-8"?>
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
  <Product Id="*" Name="Fenestra Test ${o.scope}" Language="1033" Version="${o.version}" Manufacturer="${o.manufacturer}"${o.upgrade === false ? '' : ` UpgradeCode="abcdef01-2345-6789-abcd-ef0123456789"`}>
    <Package InstallerVersion="200" Compressed="yes" InstallScope="${o.scope}"/>
    ${o.extraProperties ?? ''}
    <Media Id="1" Cabinet="app.cab" EmbedCab="yes"/>
    <Directory Id="TARGETDIR" Name="SourceDir">
      <Directory Id="${folder}">
        <Directory Id="INSTALLDIR" Name="FenestraTest">
          <Component Id="Main" Guid="11111111-2222-3333-4444-555555555555">
            <File Id="payload" Name="payload.bin" Source="${o.file}"/>
          </Component>
        </Directory>
      </Directory>
    </Directory>
    <Feature Id="Complete" Level="1"><ComponentRef Id="Main"/></Feature>
  </Product>
</Wix>
`;
}

/** msiinfo's reading of the Property table (its idt export: two header lines and the key line, then rows). */
function msiinfoProperties(file: string): Map<string, string> {
  const r = spawnSync('msiinfo', ['export', file, 'Property'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`msiinfo export: ${r.stderr}`);
  const rows = r.stdout.split('\r\n').slice(3).filter(Boolean);
  return new Map(rows.map((l) => [l.slice(0, l.indexOf('\t')), l.slice(l.indexOf('\t') + 1)]));
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-msi-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));

function build(name: string, source: string, payload: Buffer): Buffer {
  const file = path.join(tmp, `${name}.bin`);
  fs.writeFileSync(file, payload);
  const src = path.join(tmp, `${name}.wxs`);
  // wixl looks sources up relative to its working directory.
  fs.writeFileSync(src, source.replace('__FILE__', path.basename(file)));
  const out = path.join(tmp, `${name}.msi`);
  const r = spawnSync('wixl', ['-o', out, src], { encoding: 'utf8', cwd: tmp });
  if (r.status !== 0) throw new Error(`wixl ${name}: ${r.stderr}`);
  return fs.readFileSync(out);
}

const CASES = () => [
  // Per-machine, a non-ASCII manufacturer (code page 1252), an 8 MiB incompressible file in the embedded cabinet.
  {
    name: 'machine',
    src: wxs({ version: '1.2.3', scope: 'perMachine', manufacturer: 'Fenestra Héllo', file: '__FILE__' }),
    payload: randomBytes(8 * 1024 * 1024),
  },
  // Per-user: no ALLUSERS; a four-part version; no UpgradeCode.
  {
    name: 'user',
    src: wxs({ version: '2.0.1.7', scope: 'perUser', manufacturer: 'Contoso', file: '__FILE__', upgrade: false }),
    payload: Buffer.from('hello\n'),
  },
  // Over 65535 strings (3-byte string references) and a 70000-character value (a long string-pool entry).
  {
    name: 'large-pool',
    src: wxs({
      version: '10.20.300',
      scope: 'perMachine',
      manufacturer: 'Contoso',
      file: '__FILE__',
      extraProperties:
        Array.from({ length: 34000 }, (_, i) => `<Property Id="P${i}" Value="value ${i}"/>`).join('') +
        `<Property Id="LONGVALUE" Value="${'x'.repeat(70000)}"/>`,
    }),
    payload: Buffer.from('hello\n'),
  },
];

let built: Map<string, Buffer> | undefined;
/** The three MSIs, built once by wixl for all the tests here. */
function msis(): Map<string, Buffer> {
  built ??= new Map(CASES().map((c) => [c.name, build(c.name, c.src, c.payload)]));
  return built;
}

t.test('MSIs built by wixl read as msiinfo reads them', { skip: SKIP }, async (t) => {
  for (const c of CASES()) {
    const buf = msis().get(c.name) as Buffer;
    const expected = msiinfoProperties(path.join(tmp, `${c.name}.msi`));
    const reader = bufferReader(buf);
    const got = await readMsi(reader, buf.length);
    t.same(
      got,
      {
        productCode: expected.get('ProductCode'),
        productVersion: expected.get('ProductVersion'),
        productName: expected.get('ProductName'),
        manufacturer: expected.get('Manufacturer'),
        ...(expected.get('UpgradeCode') ? { upgradeCode: expected.get('UpgradeCode')?.toUpperCase() } : {}),
        ...(expected.get('ProductLanguage') ? { productLanguage: expected.get('ProductLanguage') } : {}),
        ...(expected.has('ALLUSERS') ? { allUsers: expected.get('ALLUSERS') } : {}),
      },
      `${c.name}: the Property table as msiinfo reads it`,
    );
    t.match(got.productCode, /^\{[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}\}$/, `${c.name}: ProductCode an upper-case GUID in braces`);
    t.equal(sniffPackage(buf.subarray(0, 8)), 'msi');
    if (c.name === 'machine') {
      t.equal(got.manufacturer, 'Fenestra Héllo');
      t.equal(got.allUsers, '1');
      t.equal(got.upgradeCode, '{ABCDEF01-2345-6789-ABCD-EF0123456789}', 'UpgradeCode upper-cased');
      t.ok(reader.bytes < 512 * 1024, `${reader.bytes} bytes read of ${buf.length}: the cabinet is not read`);
      t.ok(reader.calls <= 8, `${reader.calls} reads: the small reads of the tables come from a few cached blocks`);
    }
    if (c.name === 'user') t.notOk('allUsers' in got, 'per-user: ALLUSERS absent');
  }
});

t.test('stream names decode as msiinfo lists them', { skip: SKIP }, async (t) => {
  const buf = msis().get('user') as Buffer;
  const cf = await CompoundFile.open(bufferReader(buf), buf.length);
  const names = [...cf.rootChildren().keys()].map(decodeStreamName);
  const streams = spawnSync('msiinfo', ['streams', path.join(tmp, 'user.msi')], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter(Boolean);
  t.same(names.filter((n) => !n.startsWith('!')).sort(), streams.sort(), 'the streams that are not tables');
  const tables = new Set(
    spawnSync('msiinfo', ['tables', path.join(tmp, 'user.msi')], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter(Boolean),
  );
  const internal = new Set(['_StringPool', '_StringData', '_Tables', '_Columns']);
  for (const n of names.filter((n) => n.startsWith('!')))
    t.ok(tables.has(n.slice(1)) || internal.has(n.slice(1)), `table stream ${n} is a table msiinfo knows`);
  t.ok(names.includes('!Property'));
});

/** The raw streams of a wixl MSI (names as stored), to rewrite in other compound-file layouts. */
async function rawStreams(buf: Buffer, withoutCab = true): Promise<{ name: string; data: Buffer }[]> {
  const cf = await CompoundFile.open(bufferReader(buf), buf.length);
  const out: { name: string; data: Buffer }[] = [];
  for (const [name, e] of cf.rootChildren()) {
    if (withoutCab && decodeStreamName(name) === 'app.cab') continue;
    out.push({ name, data: await cf.readStream(e, 1 << 30, name) });
  }
  return out;
}

t.test('version 4 (4096-byte sectors) and a FAT listed through a DIFAT chain', { skip: SKIP }, async (t) => {
  const buf = msis().get('large-pool') as Buffer;
  const expected = await readBuf(buf);
  const streams = await rawStreams(buf);
  const v4 = writeCompoundFile(streams, 4);
  t.equal(v4.file.readUInt16LE(26), 4);
  t.same(await readBuf(v4.file), expected, 'version 4 reads the same');
  // A 9 MiB stream first: the MSI tables then sit past the sectors the header's 109 FAT entries map.
  const withCab = [{ name: 'filler', data: Buffer.alloc(9 * 1024 * 1024, 1) }, ...streams];
  const v3 = writeCompoundFile(withCab, 3);
  t.ok(v3.layout.difat.length >= 1, `${v3.layout.difat.length} DIFAT sectors`);
  t.same(await readBuf(v3.file), expected, 'version 3 with a DIFAT chain reads the same');
  // Version 3 writers may leave garbage in the high half of a stream size (MS-CFB 2.6.3): ignored.
  const v3garbage = writeCompoundFile(streams, 3);
  for (const { id } of v3garbage.layout.streams.values()) v3garbage.file.writeUInt32LE(0xdeadbeef, v3garbage.layout.entryOffset(id) + 124);
  t.same(await readBuf(v3garbage.file), expected, 'version 3: the high half of stream sizes ignored');
  const v4big = writeCompoundFile(withCab, 4);
  t.same(await readBuf(v4big.file), expected, 'version 4 with a large stream reads the same');
});

t.test('broken compound files: a PackageError after a bounded number of reads', { skip: SKIP }, async (t) => {
  const msi = msis().get('user') as Buffer;
  const streams = await rawStreams(msi);
  const fresh = () => writeCompoundFile(streams, 3);
  const { layout } = fresh();
  const u32 = (b: Buffer, off: number, v: number) => (b.writeUInt32LE(v >>> 0, off), b);
  const fatOffset = (L: typeof layout, sector: number) => L.offset(L.fat[Math.floor(sector / (L.sectorSize / 4))]) + (sector % (L.sectorSize / 4)) * 4;
  const entryOf = (name: string) => layout.streams.get(streams.find((s) => decodeStreamName(s.name) === name)?.name ?? '') ?? t.fail(name);
  const poolData = entryOf('!_StringData') as { id: number; mini: boolean; start: number };
  const property = entryOf('!Property') as { id: number };
  const bigger = streams.find((s) => s.data.length > 200 && s.data.length < 4096);
  const biggerEntry = layout.streams.get(bigger?.name ?? '') as { start: number };

  const cases: [string, () => Buffer, RegExp, string?][] = [
    ['wrong signature', () => Buffer.concat([Buffer.from('MZ'), msi.subarray(2)]), /not a compound file: wrong signature/, 'compound file'],
    ['shorter than a header', () => msi.subarray(0, 100), /shorter than its 512-byte header/],
    ['truncated to 2 KiB', () => msi.subarray(0, 2048), /beyond the end of the file|truncated/],
    ['truncated in the middle', () => msi.subarray(0, Math.floor(msi.length / 2)), /beyond the end of the file|truncated/],
    ['major version 5', () => u32(Buffer.from(msi), 26, 0xfffe0005), /unsupported major version 5/],
    ['version 3 with 4096-byte sectors', () => ((f) => (f.writeUInt16LE(12, 30), f))(Buffer.from(msi)), /sector shift 12 does not match version 3/],
    ['a billion FAT sectors', () => u32(Buffer.from(msi), 44, 1e9), /1000000000 FAT sectors/],
    ['directory start beyond the file', () => u32(Buffer.from(msi), 48, 0x00ffffff), /beyond the end of the file/],
    [
      'directory chain looping on itself',
      () => ((f) => u32(f, fatOffset(layout, layout.directory[0]), layout.directory[0]))(fresh().file),
      /sector loop in the directory chain/,
    ],
    [
      'stream size beyond the file',
      () => ((f) => u32(f, layout.entryOffset(property.id) + 120, 0xfffff000))(fresh().file),
      /claims 4294963200 bytes in a file of/,
    ],
    [
      'mini chain looping on itself',
      () => ((f) => u32(f, layout.offset(layout.miniFat[0]) + biggerEntry.start * 4, biggerEntry.start))(fresh().file),
      /mini sector loop/,
    ],
    ['mini sector beyond the mini stream', () => ((f) => u32(f, layout.entryOffset(poolData.id) + 116, 1_000_000))(fresh().file), /beyond the mini stream/],
    [
      'no Property table',
      () => ((f) => (f.writeUInt16LE(0x4840 + 1, layout.entryOffset(property.id) + 2), f))(fresh().file),
      /not an MSI: no Property table/,
      'Property',
    ],
    ['directory tree loop', () => ((f) => u32(f, layout.entryOffset(property.id) + 72, property.id))(fresh().file), /directory tree loop/],
  ];
  for (const [name, make, message, field] of cases) {
    const file = make();
    const reader = bufferReader(file);
    const err = await readMsi(reader, file.length).then(
      () => undefined,
      (e: unknown) => e,
    );
    t.type(err, PackageError, `${name}: PackageError`);
    t.match((err as Error).message, message, `${name}: ${(err as Error).message}`);
    if (field) t.equal((err as PackageError).field, field, `${name}: field ${field}`);
    t.ok(reader.calls < 200, `${name}: ${reader.calls} reads`);
  }
  t.ok(bigger, 'a mini stream of several mini sectors to loop');

  // A DIFAT chain pointing at itself, in a file large enough to need its second DIFAT sector
  // (past 109 + 127 FAT sectors: 236 × 128 sectors of 512 bytes, 15.1 MiB).
  const big = writeCompoundFile([{ name: 'filler', data: Buffer.alloc(16 * 1024 * 1024, 1) }, ...streams], 3);
  t.ok(big.layout.difat.length >= 2, `${big.layout.difat.length} DIFAT sectors`);
  t.same(await readBuf(big.file), await readBuf(msi), 'read through two DIFAT sectors');
  const d0 = big.layout.difat[0];
  u32(big.file, big.layout.offset(d0) + 127 * 4, d0);
  const reader = bufferReader(big.file);
  const err = await readMsi(reader, big.file.length).catch((e: unknown) => e);
  t.type(err, PackageError);
  t.match((err as Error).message, /sector loop in the DIFAT chain/);
  t.ok(reader.calls < 200, `${reader.calls} reads`);
});

t.test('Property table without ProductVersion or with a ProductCode that is not a GUID', { skip: SKIP }, async (t) => {
  const msi = msis().get('user') as Buffer;
  // Same-length edits of the string pool's bytes keep every length right.
  const edit = (from: string, to: string) => {
    const b = Buffer.from(msi);
    const at = b.indexOf(from, 0, 'latin1');
    t.ok(at > 0, `${from} found in the string data`);
    b.write(to, at, 'latin1');
    return b;
  };
  const noVersion = await readBuf(edit('ProductVersion', 'ProductVersioX')).catch((e: unknown) => e);
  t.type(noVersion, PackageError);
  t.equal((noVersion as PackageError).field, 'ProductVersion');
  t.match((noVersion as Error).message, "the MSI's Property table has no ProductVersion");
  const noCode = await readBuf(edit('ProductCode', 'ProductCodX')).catch((e: unknown) => e);
  t.equal((noCode as PackageError).field, 'ProductCode');
  const got = await readBuf(msi);
  const badGuid = await readBuf(edit(got.productCode.slice(1, 9), 'zzzzzzzz')).catch((e: unknown) => e);
  t.equal((badGuid as PackageError).field, 'ProductCode');
  t.match((badGuid as Error).message, /is not a GUID in braces/);
});

t.test('string pool: code pages, long entries, references past the pool', async (t) => {
  const pool = (header: number, entries: [number, number][]) => {
    const b = Buffer.alloc(4 + entries.length * 4);
    b.writeUInt32LE(header >>> 0, 0);
    entries.forEach(([a, c], i) => (b.writeUInt16LE(a, 4 + i * 4), b.writeUInt16LE(c, 6 + i * 4)));
    return b;
  };
  const utf8 = Buffer.from('Fenêtre 窓', 'utf8');
  const long = Buffer.alloc(70000, 0x61);
  const p = decodeStringPool(
    pool(65001 | 0x80000000, [
      [utf8.length, 1],
      [0, 0],
      [0, 1],
      [70000 & 0xffff, 70000 >>> 16],
    ]),
    Buffer.concat([utf8, long]),
  );
  t.equal(p.refSize, 3, 'bit 31: 3-byte references');
  t.equal(p.codepage, 65001);
  t.same(p.strings.slice(1, 3), ['Fenêtre 窓', undefined], 'UTF-8 string, then an empty id');
  t.equal(p.strings[3]?.length, 70000, 'the long entry takes two slots and one id');
  const sjis = decodeStringPool(pool(932, [[4, 1]]), Buffer.from([0x91, 0x8b, 0x82, 0xa0]));
  t.equal(sjis.strings[1], '窓あ', 'code page 932');
  t.throws(() => decodeStringPool(pool(1252, [[10, 1]]), Buffer.alloc(5)), PackageError, 'string data shorter than the pool says');
  t.throws(() => decodeStringPool(Buffer.alloc(6), Buffer.alloc(0)), PackageError, 'a pool that is not whole entries');
  t.throws(() => decodeStringPool(pool(1, [[1, 1]]), Buffer.alloc(1)), /code page 1 is not supported/);
});
