// Reads what fenestra needs of an MSIX/APPX package or bundle from the package itself: the
// manifest's identity (name, publisher, version, architecture), display names, dependencies, and
// whether it carries a signature (AppxSignature.p7x). A bundle's identity is in
// AppxMetadata/AppxBundleManifest.xml; its display names and dependencies come from its first
// application package, read in place inside the bundle (packages are stored uncompressed).
import type { MsixDependency, MsixMetadata } from '../../domain/app.js';
import { attr, child, children, parseXml, XmlError, type XmlElement } from '../xml.js';
import { PackageError, type ReadAt } from './errors.js';
import { packageFamilyName, packageFullName } from './package-id.js';
import { Zip } from './zip.js';

/** A manifest is a few KiB; one over this is refused rather than parsed. */
export const MAX_MANIFEST_BYTES = 1024 * 1024;
const MAX_ENTRIES = 100_000;
const PACKAGE_MANIFEST = 'AppxManifest.xml';
const BUNDLE_MANIFEST = 'AppxMetadata/AppxBundleManifest.xml';
const SIGNATURE = 'AppxSignature.p7x';
const ARCHITECTURES = new Set(['x86', 'x64', 'arm', 'arm64', 'neutral', 'x86a64']);
const NAME_RE = /^[A-Za-z0-9.-]{3,50}$/;
const VERSION_RE = /^\d{1,5}\.\d{1,5}\.\d{1,5}\.\d{1,5}$/;

export interface ReadMsixOptions {
  /** The uploaded file's name: its extension (.msix, .appx, .msixbundle, .appxbundle) sets `format`; without it, msix or msixbundle. */
  fileName?: string;
}

export async function readMsix(readAt: ReadAt, size: number, opts: ReadMsixOptions = {}): Promise<MsixMetadata> {
  const zip = await Zip.open(readAt, size, MAX_ENTRIES);
  try {
    const signature = zip.find(SIGNATURE);
    const signed = signature !== undefined && signature.uncompressedSize > 0;
    const bundleEntry = zip.find(BUNDLE_MANIFEST);
    if (bundleEntry) {
      const bundle = parseManifest(await zip.read(bundleEntry, MAX_MANIFEST_BYTES), BUNDLE_MANIFEST, 'Bundle');
      return await readBundle(zip, readAt, bundle, signed, formatOf(opts.fileName, true));
    }
    const manifestEntry = zip.find(PACKAGE_MANIFEST);
    if (!manifestEntry) throw new PackageError(PACKAGE_MANIFEST, `not an MSIX or APPX package: no ${PACKAGE_MANIFEST} (nor ${BUNDLE_MANIFEST} for a bundle)`);
    const pkg = packageInfo(parseManifest(await zip.read(manifestEntry, MAX_MANIFEST_BYTES), PACKAGE_MANIFEST, 'Package'), PACKAGE_MANIFEST);
    return {
      format: formatOf(opts.fileName, false),
      name: pkg.name,
      publisher: pkg.publisher,
      version: pkg.version,
      architecture: pkg.architecture,
      packageFamilyName: packageFamilyName(pkg.name, pkg.publisher),
      packageFullName: packageFullName(pkg),
      ...displayNames(pkg),
      signed,
      dependencies: pkg.dependencies,
    };
  } finally {
    zip.close();
  }
}

function formatOf(fileName: string | undefined, bundle: boolean): MsixMetadata['format'] {
  const ext = fileName?.toLowerCase().match(/\.(msix|appx|msixbundle|appxbundle)$/)?.[1];
  if (bundle) return ext === 'appxbundle' ? 'appxbundle' : 'msixbundle';
  return ext === 'appx' ? 'appx' : 'msix';
}

function parseManifest(buf: Buffer, file: string, rootName: string): XmlElement {
  let xml: string | Buffer = buf;
  // Manifests are UTF-8; a UTF-16 one (with its BOM) is accepted too.
  if (buf.length >= 2 && buf[0] === 0xff && buf[1] === 0xfe) xml = buf.subarray(2).toString('utf16le');
  let doc: XmlElement;
  try {
    doc = parseXml(xml, { maxBytes: MAX_MANIFEST_BYTES, maxDepth: 64 });
  } catch (err) {
    if (err instanceof XmlError) throw new PackageError(file, `${file}: ${err.message}`);
    throw err;
  }
  const root = child(doc, rootName);
  if (!root) {
    const found = Object.keys(doc).find((k) => !k.startsWith('#') && !k.startsWith('@'));
    throw new PackageError(file, `${file}: the root element is ${found ?? 'missing'}, ${rootName} expected`);
  }
  return root;
}

interface PackageInfo {
  name: string;
  publisher: string;
  version: string;
  architecture: string;
  resourceId?: string;
  displayName?: string;
  publisherDisplayName?: string;
  dependencies: MsixDependency[];
}

function identity(root: XmlElement, file: string): { el: XmlElement; name: string; publisher: string; version: string } {
  const el = child(root, 'Identity');
  if (!el) throw new PackageError(file, `${file}: Identity missing`);
  const get = (a: string) => {
    const v = attr(el, a);
    if (!v) throw new PackageError(file, `${file}: Identity/@${a} missing`);
    return v;
  };
  const name = get('Name');
  if (!NAME_RE.test(name)) throw new PackageError(file, `${file}: Identity/@Name '${name}' is not 3 to 50 letters, digits, dots and dashes`);
  const publisher = get('Publisher');
  if (publisher.length > 8192) throw new PackageError(file, `${file}: Identity/@Publisher is over 8192 characters`);
  const version = get('Version');
  if (!VERSION_RE.test(version)) throw new PackageError(file, `${file}: Identity/@Version '${version}' is not Major.Minor.Build.Revision`);
  return { el, name, publisher, version };
}

function packageInfo(root: XmlElement, file: string): PackageInfo {
  const id = identity(root, file);
  const architecture = (attr(id.el, 'ProcessorArchitecture') ?? 'neutral').toLowerCase();
  if (!ARCHITECTURES.has(architecture))
    throw new PackageError(file, `${file}: Identity/@ProcessorArchitecture '${architecture}' is not one of ${[...ARCHITECTURES].join(', ')}`);
  const resourceId = attr(id.el, 'ResourceId') || undefined;
  const props = child(root, 'Properties');
  const dependencies: MsixDependency[] = [];
  for (const dep of children(child(root, 'Dependencies'), 'PackageDependency')) {
    const name = attr(dep, 'Name');
    if (!name) throw new PackageError(file, `${file}: Dependencies/PackageDependency/@Name missing`);
    const d: MsixDependency = { name };
    const publisher = attr(dep, 'Publisher');
    if (publisher) d.publisher = publisher;
    const minVersion = attr(dep, 'MinVersion');
    if (minVersion) d.minVersion = minVersion;
    dependencies.push(d);
  }
  return {
    name: id.name,
    publisher: id.publisher,
    version: id.version,
    architecture,
    ...(resourceId ? { resourceId } : {}),
    displayName: plainText(child(props, 'DisplayName')),
    publisherDisplayName: plainText(child(props, 'PublisherDisplayName')),
    dependencies,
  };
}

/** An element's text, unless empty or a resource reference (ms-resource:…), which only Windows can resolve. */
function plainText(el: XmlElement | undefined): string | undefined {
  const t = typeof el?.['#text'] === 'string' ? (el['#text'] as string).trim() : '';
  return t && !t.toLowerCase().startsWith('ms-resource:') ? t : undefined;
}

function displayNames(p: { displayName?: string; publisherDisplayName?: string }): Pick<MsixMetadata, 'displayName' | 'publisherDisplayName'> {
  return {
    ...(p.displayName ? { displayName: p.displayName } : {}),
    ...(p.publisherDisplayName ? { publisherDisplayName: p.publisherDisplayName } : {}),
  };
}

async function readBundle(zip: Zip, readAt: ReadAt, bundle: XmlElement, signed: boolean, format: MsixMetadata['format']): Promise<MsixMetadata> {
  const id = identity(bundle, BUNDLE_MANIFEST);
  const packages = children(child(bundle, 'Packages'), 'Package');
  const apps = packages.filter((p) => (attr(p, 'Type') ?? 'application') === 'application');
  if (apps.length === 0) throw new PackageError(BUNDLE_MANIFEST, `${BUNDLE_MANIFEST}: no application package in Packages`);
  const archs: string[] = [];
  for (const p of apps) {
    const a = (attr(p, 'Architecture') ?? 'neutral').toLowerCase();
    if (!ARCHITECTURES.has(a))
      throw new PackageError(BUNDLE_MANIFEST, `${BUNDLE_MANIFEST}: Package/@Architecture '${a}' is not one of ${[...ARCHITECTURES].join(', ')}`);
    if (!archs.includes(a)) archs.push(a);
  }
  const inner = await firstPackage(zip, readAt, apps);
  return {
    format,
    name: id.name,
    publisher: id.publisher,
    version: id.version,
    architecture: archs.join(','),
    packageFamilyName: packageFamilyName(id.name, id.publisher),
    packageFullName: packageFullName({ name: id.name, version: id.version, architecture: 'neutral', resourceId: '~', publisher: id.publisher }),
    ...displayNames(inner ?? {}),
    signed,
    dependencies: inner?.dependencies ?? [],
  };
}

/** The manifest of the bundle's first application package that is in the bundle, read in place. */
async function firstPackage(zip: Zip, readAt: ReadAt, apps: XmlElement[]): Promise<PackageInfo | undefined> {
  for (const p of apps) {
    const fileName = attr(p, 'FileName');
    const entry = fileName ? zip.find(fileName) : undefined;
    // Packages in a bundle are stored; a compressed one cannot be read in place (and is unusual).
    if (!entry || entry.compressionMethod !== 0) continue;
    const start = await zip.dataStart(entry);
    const sub: ReadAt = (offset, length) => readAt(start + offset, Math.max(0, Math.min(length, entry.compressedSize - offset)));
    const innerZip = await Zip.open(sub, entry.compressedSize, MAX_ENTRIES).catch((err: unknown) => {
      throw err instanceof PackageError ? new PackageError(entry.name, `${entry.name} in the bundle: ${err.message}`) : err;
    });
    try {
      const m = innerZip.find(PACKAGE_MANIFEST);
      if (!m) throw new PackageError(entry.name, `${entry.name} in the bundle has no ${PACKAGE_MANIFEST}`);
      const file = `${entry.name}/${PACKAGE_MANIFEST}`;
      return packageInfo(parseManifest(await innerZip.read(m, MAX_MANIFEST_BYTES), file, 'Package'), file);
    } finally {
      innerZip.close();
    }
  }
  return undefined;
}
