// Test packages built at test time: an MSI by wixl (msitools) from a tiny WiX source, its
// ProductCode and properties read back with `msiinfo export` (not by fenestra's reader), and an
// MSIX/APPX as a zip with a real AppxManifest.xml (yazl). Tests that need wixl skip, saying so,
// when it is missing (`noWixl`): .ci/run installs it.
import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import yazl from 'yazl';
import type { ReadAt } from '../../src/protocol/packages/index.js';

/** Why MSI tests cannot run here, or undefined when wixl and msiinfo are installed. */
export const noWixl: string | undefined = ['wixl', 'msiinfo'].every((tool) => spawnSync(tool, ['--version']).status === 0)
  ? undefined
  : 'wixl and msiinfo (msitools) are not installed: .ci/run installs them';

export interface BuiltMsi {
  file: string;
  sha256: string;
  size: number;
  /** As msiinfo reads them from the built package. */
  productCode: string;
  upgradeCode: string;
  productVersion: string;
  properties: Record<string, string>;
}

export interface MsiSpec {
  name: string;
  version: string;
  manufacturer: string;
  /** Braced upper-case GUID; a new one when absent. */
  upgradeCode?: string;
  /** Per-user package (no ALLUSERS): wixl's InstallScope="perUser". */
  perUser?: boolean;
  /** Bytes of the payload file (default 1 KiB): a larger package without a larger source. */
  payloadBytes?: number;
}

const guid = () => `{${crypto.randomUUID().toUpperCase()}}`;
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

/** Builds `<name>-<version>.msi` in `dir` with wixl. */
export async function buildMsi(dir: string, spec: MsiSpec): Promise<BuiltMsi> {
  const base = `${spec.name.replace(/[^A-Za-z0-9]+/g, '-')}-${spec.version}${spec.perUser ? '-user' : ''}`;
  const work = fs.mkdtempSync(path.join(dir, 'wixl-'));
  const payload = path.join(work, 'payload.txt');
  fs.writeFileSync(
    payload,
    crypto
      .randomBytes(Math.ceil((spec.payloadBytes ?? 1024) / 2))
      .toString('hex')
      .slice(0, spec.payloadBytes ?? 1024),
  );
  const upgradeCode = spec.upgradeCode ?? guid();
  const wxs = `<?xml version="1.0" encoding="utf-8"?>
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
  <Product Id="*" Name="${esc(spec.name)}" Language="1033" Version="${esc(spec.version)}" Manufacturer="${esc(spec.manufacturer)}" UpgradeCode="${upgradeCode}">
    <Package InstallerVersion="200" Compressed="yes" InstallScope="${spec.perUser ? 'perUser' : 'perMachine'}" />
    <Media Id="1" Cabinet="payload.cab" EmbedCab="yes" />
    <Directory Id="TARGETDIR" Name="SourceDir">
      <Directory Id="${spec.perUser ? 'LocalAppDataFolder' : 'ProgramFilesFolder'}">
        <Directory Id="INSTALLDIR" Name="${esc(base)}">
          <Component Id="Payload" Guid="${guid()}">
            <File Id="PayloadFile" Source="payload.txt" KeyPath="yes" />
          </Component>
        </Directory>
      </Directory>
    </Directory>
    <Feature Id="Main" Level="1"><ComponentRef Id="Payload" /></Feature>
  </Product>
</Wix>
`;
  const source = path.join(work, 'package.wxs');
  fs.writeFileSync(source, wxs);
  const file = path.join(dir, `${base}.msi`);
  execFileSync('wixl', ['-o', file, source], { cwd: work, stdio: ['ignore', 'ignore', 'pipe'] });
  fs.rmSync(work, { recursive: true, force: true });
  const properties = msiProperties(file);
  const bytes = fs.readFileSync(file);
  return {
    file,
    sha256: crypto.createHash('sha256').update(bytes).digest('hex'),
    size: bytes.length,
    productCode: properties.ProductCode,
    upgradeCode: properties.UpgradeCode,
    productVersion: properties.ProductVersion,
    properties,
  };
}

/** The Property table as `msiinfo export` prints it. */
export function msiProperties(file: string): Record<string, string> {
  const text = execFileSync('msiinfo', ['export', file, 'Property'], { encoding: 'utf8' });
  const out: Record<string, string> = {};
  // Three header lines (names, types, table name), then Property<TAB>Value rows.
  for (const line of text.split(/\r?\n/).slice(3)) {
    const tab = line.indexOf('\t');
    if (tab > 0) out[line.slice(0, tab)] = line.slice(tab + 1);
  }
  return out;
}

export interface MsixSpec {
  name: string;
  publisher: string;
  version: string;
  displayName?: string;
  publisherDisplayName?: string;
  architecture?: string;
  dependencies?: { name: string; publisher: string; minVersion: string }[];
  /** Adds an AppxSignature.p7x entry (not a real signature: fenestra records whether there is one). */
  signed?: boolean;
}

export function msixManifest(spec: MsixSpec): string {
  const deps = (spec.dependencies ?? []).map((d) => `<PackageDependency Name="${esc(d.name)}" Publisher="${esc(d.publisher)}" MinVersion="${d.minVersion}" />`);
  return `<?xml version="1.0" encoding="utf-8"?>
<Package xmlns="http://schemas.microsoft.com/appx/manifest/foundation/windows10" xmlns:uap="http://schemas.microsoft.com/appx/manifest/uap/windows10">
  <Identity Name="${esc(spec.name)}" Publisher="${esc(spec.publisher)}" Version="${spec.version}" ProcessorArchitecture="${spec.architecture ?? 'x64'}" />
  <Properties>
    <DisplayName>${esc(spec.displayName ?? spec.name)}</DisplayName>
    <PublisherDisplayName>${esc(spec.publisherDisplayName ?? 'Contoso')}</PublisherDisplayName>
    <Logo>logo.png</Logo>
  </Properties>
  <Dependencies>
    <TargetDeviceFamily Name="Windows.Desktop" MinVersion="10.0.17763.0" MaxVersionTested="10.0.22621.0" />
    ${deps.join('\n    ')}
  </Dependencies>
  <Resources><Resource Language="en-us" /></Resources>
  <Applications>
    <Application Id="App" Executable="app.exe" EntryPoint="Windows.FullTrustApplication">
      <uap:VisualElements DisplayName="${esc(spec.displayName ?? spec.name)}" Description="test" BackgroundColor="transparent" Square150x150Logo="logo.png" Square44x44Logo="logo.png" />
    </Application>
  </Applications>
</Package>
`;
}

/** Builds an MSIX (a zip holding the manifest and a payload) in `dir`; `ext` .msix or .appx. */
export async function buildMsix(dir: string, spec: MsixSpec, ext: '.msix' | '.appx' = '.msix'): Promise<{ file: string; sha256: string; size: number }> {
  const zip = new yazl.ZipFile();
  zip.addBuffer(Buffer.from(msixManifest(spec)), 'AppxManifest.xml');
  zip.addBuffer(crypto.randomBytes(2048), 'app.exe', { compress: false });
  zip.addBuffer(Buffer.from('png'), 'logo.png');
  if (spec.signed) zip.addBuffer(Buffer.from('PKCX-test-signature'), 'AppxSignature.p7x', { compress: false });
  zip.end();
  const chunks: Buffer[] = [];
  for await (const c of zip.outputStream as AsyncIterable<Buffer>) chunks.push(c);
  const bytes = Buffer.concat(chunks);
  const file = path.join(dir, `${spec.name}_${spec.version}${ext}`);
  fs.writeFileSync(file, bytes);
  return { file, sha256: crypto.createHash('sha256').update(bytes).digest('hex'), size: bytes.length };
}

/** A ReadAt over a package held in memory, counting its calls and the bytes it returned (what the readers fetch). */
export function bufferReader(buf: Buffer): ReadAt & { calls: number; bytes: number } {
  const fn = (async (offset: number, length: number) => {
    fn.calls++;
    const out = buf.subarray(offset, offset + length);
    fn.bytes += out.length;
    return out;
  }) as ReadAt & { calls: number; bytes: number };
  fn.calls = 0;
  fn.bytes = 0;
  return fn;
}
