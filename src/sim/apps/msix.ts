// The EnterpriseModernAppManagement documents the simulated device reads and writes (Learn,
// "EnterpriseModernAppManagement CSP" and "Enterprise app management"): the HostedInstall
// <Application PackageUri=…><Dependencies><Dependency PackageUri=…/>, RemovePackage's
// <Package Name=…/>, and the AppInventoryQuery / AppInventoryResults pair.
import { esc } from '../../protocol/xml-write.js';
import { attr, child, childText, children, parseXml, type XmlElement } from '../../protocol/xml.js';

export interface HostedInstallDoc {
  packageUri: string;
  dependencies: string[];
  deploymentOptions?: string;
}

export function readHostedInstall(xml: string): HostedInstallDoc {
  const app = child(parseXml(xml, { maxBytes: 64 * 1024 }), 'Application');
  if (!app) throw new Error('not an <Application> document');
  const packageUri = attr(app, 'PackageUri')?.trim();
  if (!packageUri) throw new Error('<Application> has no PackageUri');
  const dependencies = children(child(app, 'Dependencies'), 'Dependency')
    .map((d) => attr(d, 'PackageUri')?.trim() ?? '')
    .filter(Boolean);
  return { packageUri, dependencies, deploymentOptions: attr(app, 'DeploymentOptions') };
}

export function readRemovePackage(xml: string): { name: string; forAllUsers: boolean } {
  const p = child(parseXml(xml, { maxBytes: 16 * 1024 }), 'Package');
  const name = attr(p, 'Name')?.trim();
  if (!p || !name) throw new Error('not a <Package Name="{PackageFullName}"/> document');
  return { name, forAllUsers: attr(p, 'RemoveForAllUsers') === '1' };
}

/** App origins under AppManagement. */
export const SOURCES = ['AppStore', 'nonStore', 'System'] as const;
export type PackageSource = (typeof SOURCES)[number];

export interface InventoryQuery {
  /** Output: PackageNames (names only) or PackageDetails (every property). */
  details: boolean;
  sources: PackageSource[];
  /** PackageTypeFilter: Main, Bundle, Framework, Resource (empty: all). */
  types: string[];
  publisher?: string;
}

/**
 * The query last written to AppInventoryQuery. Its parameters (Output, Source, PackageTypeFilter,
 * Publisher) are read as attributes of the root element or as child elements of that name,
 * `|`-separated; an empty or unreadable query inventories everything with details.
 */
export function readInventoryQuery(xml: string): InventoryQuery {
  const all: InventoryQuery = { details: true, sources: [...SOURCES], types: [] };
  if (!xml.trim()) return all;
  let root: XmlElement | undefined;
  try {
    const doc = parseXml(xml, { maxBytes: 16 * 1024 });
    root = Object.values(doc).find((v): v is XmlElement[] => Array.isArray(v))?.[0];
  } catch {
    return all;
  }
  const param = (name: string): string[] => {
    const el = child(root, name);
    const v = attr(root, name) ?? (childText(root, name) || childText(el, 'Type') || '');
    return v
      .split('|')
      .map((s) => s.trim())
      .filter(Boolean);
  };
  const output = param('Output');
  const sources = param('Source').filter((s): s is PackageSource => (SOURCES as readonly string[]).includes(s));
  return {
    details: output.length === 0 || output.includes('PackageDetails'),
    sources: sources.length ? sources : all.sources,
    types: param('PackageTypeFilter'),
    publisher: param('Publisher')[0],
  };
}

export interface InventoryPackage {
  source: PackageSource;
  packageFamilyName: string;
  packageFullName: string;
  /** Name, Version, Publisher, Architecture, InstallLocation, IsFramework, IsBundle, InstallDate, ResourceID, PackageStatus, RequiresReinstall, Users, IsProvisioned, IsStub. */
  properties: Record<string, string>;
}

/** AppInventoryResults: one <Package> per package full name, its properties as attributes. */
export function inventoryResults(q: InventoryQuery, packages: InventoryPackage[]): string {
  const kept = packages.filter((p) => {
    if (!q.sources.includes(p.source)) return false;
    if (q.publisher && p.properties.Publisher !== q.publisher) return false;
    if (q.types.length) {
      const type = p.properties.IsFramework === '1' ? 'Framework' : p.properties.IsBundle === '1' ? 'Bundle' : 'Main';
      if (!q.types.includes(type)) return false;
    }
    return true;
  });
  const rows = kept.map((p) => {
    const attrs: [string, string][] = [
      ['PackageFamilyName', p.packageFamilyName],
      ['PackageFullName', p.packageFullName],
      ['Source', p.source],
      ...(q.details ? Object.entries(p.properties) : []),
    ];
    return `<Package ${attrs.map(([k, v]) => `${k}="${esc(v)}"`).join(' ')}/>`;
  });
  return `<AppInventoryResults>${rows.join('')}</AppInventoryResults>`;
}
