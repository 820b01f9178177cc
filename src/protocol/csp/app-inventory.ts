// What is installed, read back from a device's tree (issue #15): the commands that ask and pure
// readers of the answers. Everything a device answers is hostile: a value that is not what the
// CSP documents is left out with the reason (the caller traces it), never a throw.
//
// * MSI (EnterpriseDesktopAppManagement, DDF): a Get of the interior node `MSI` answers its
//   children, the ProductCodes, URI-encoded and separated by "/" (OMA-DM: a Get of an interior
//   node lists its children); each product's Name, Version and Publisher are leaves read with
//   one Get per chunk of products.
// * MSIX/APPX (EnterpriseModernAppManagement, Learn "AppInventoryQuery"): a Replace of
//   AppManagement/AppInventoryQuery with `<Inventory Output=… Source=… PackageTypeFilter=…/>`,
//   then a Get of AppManagement/AppInventoryResults. Learn documents the query, not the shape of
//   the results: every element carrying a PackageFullName (attribute or child element) is a
//   package, wherever it sits, except under an element named System (the OS's own packages).
import type { CommandPayload } from '../../domain/command.js';
import { XmlError, parseXml, type XmlElement } from '../xml.js';
import { empty } from '../xml-write.js';
import type { Scope } from './types.js';
import { cspRoot, encodeSegment } from './uri.js';

/** An installed app as read from the device. `key`: the ProductCode (MSI) or PackageFullName (MSIX). */
export interface InstalledApp {
  key: string;
  name?: string;
  version?: string;
  publisher?: string;
}

export interface InventoryRead<T> {
  value: T;
  /** What was left out, and why (for the trace; never stored). */
  ignored: string[];
}

export const APP_INVENTORY_LIMITS = {
  /** Products or packages kept from one answer; the rest are left out (and said so). */
  apps: 2000,
  /** MSI products whose Name/Version/Publisher one Get reads (3 items each): well inside a 64 KiB message. */
  msiDetailChunk: 40,
  fieldChars: 256,
  keyChars: 256,
  /** Largest AppInventoryResults document read. */
  resultsBytes: 4 * 1024 * 1024,
} as const;

/** The MSI product list: the interior node whose children are the ProductCodes. */
export const msiListUri = (scope: Scope) => `${cspRoot(scope, 'EnterpriseDesktopAppManagement')}/MSI`;
export const appInventoryQueryUri = (scope: Scope) => `${cspRoot(scope, 'EnterpriseModernAppManagement')}/AppManagement/AppInventoryQuery`;
export const appInventoryResultsUri = (scope: Scope) => `${cspRoot(scope, 'EnterpriseModernAppManagement')}/AppManagement/AppInventoryResults`;

/**
 * The AppInventoryQuery document: every attribute of the main and bundle packages acquired from
 * the Store or not (Learn: values of one attribute separated by "|"; PackageNames would give
 * the names only, and frameworks and the System classification are not apps a person installs).
 */
export const APP_INVENTORY_QUERY = empty('Inventory', { Output: 'PackageDetails', Source: 'AppStore|nonStore', PackageTypeFilter: 'Main|Bundle' });

/** The reads of one tree, in order, in one Sequence: the MSI product list, then the query and its results. */
export function appInventoryPayload(scope: Scope): CommandPayload {
  return {
    kind: 'Sequence',
    commands: [
      { kind: 'Get', items: [{ target: msiListUri(scope) }] },
      { kind: 'Replace', items: [{ target: appInventoryQueryUri(scope), format: 'xml', data: APP_INVENTORY_QUERY }] },
      { kind: 'Get', items: [{ target: appInventoryResultsUri(scope) }] },
    ],
  };
}

/** Gets of Name, Version and Publisher of these products, `APP_INVENTORY_LIMITS.msiDetailChunk` products per Get. */
export function msiDetailPayloads(scope: Scope, productCodes: string[]): CommandPayload[] {
  const out: CommandPayload[] = [];
  const n = APP_INVENTORY_LIMITS.msiDetailChunk;
  for (let i = 0; i < productCodes.length; i += n) {
    const items = productCodes.slice(i, i + n).flatMap((code) => {
      const root = `${msiListUri(scope)}/${encodeSegment(code)}`;
      return MSI_LEAVES.map((leaf) => ({ target: `${root}/${leaf}` }));
    });
    out.push({ kind: 'Get', items });
  }
  return out;
}

const MSI_LEAVES = ['Name', 'Version', 'Publisher'] as const;
const GUID = /^\{([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})\}$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** A node name as the device wrote it in a LocURI or a child list; undefined for a broken %-escape. */
function decodeSegment(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

/** `{GUID}` upper case, or undefined. */
function productCode(s: string): string | undefined {
  const m = GUID.exec(s.trim());
  return m ? `{${m[1].toUpperCase()}}` : undefined;
}

// eslint-disable-next-line no-control-regex
const CONTROLS = /[\u0000-\u001f\u007f]+/g;

const clip = (s: string | undefined) => {
  if (s === undefined) return undefined;
  const t = s.replace(CONTROLS, ' ').trim();
  return t ? t.slice(0, APP_INVENTORY_LIMITS.fieldChars) : undefined;
};

/**
 * The ProductCodes in the data of a Get of the MSI node: child names separated by "/",
 * URI-encoded. Its UpgradeCode child is skipped; anything else that is not a `{GUID}` is left
 * out with the reason; duplicates once.
 */
export function parseMsiProductList(data: string | undefined): InventoryRead<string[]> {
  const ignored: string[] = [];
  const seen = new Set<string>();
  for (const raw of (data ?? '').split('/')) {
    const part = raw.trim();
    if (!part) continue;
    const name = decodeSegment(part);
    // MSI/UpgradeCode is a sibling of the products in the DDF, not one of them.
    if (name === 'UpgradeCode') continue;
    const code = productCode(name ?? '');
    if (!code) {
      ignored.push(`not a ProductCode: ${JSON.stringify(part.slice(0, 80))}`);
      continue;
    }
    if (seen.has(code)) continue;
    if (seen.size >= APP_INVENTORY_LIMITS.apps) {
      ignored.push(`more than ${APP_INVENTORY_LIMITS.apps} products: the rest left out`);
      break;
    }
    seen.add(code);
  }
  return { value: [...seen], ignored };
}

/**
 * Name, Version and Publisher per ProductCode from the Results of the detail Gets (LocURI
 * `…/EnterpriseDesktopAppManagement/MSI/<code>/<leaf>`). Results naming another node are left out.
 */
export function parseMsiDetails(results: readonly { locUri: string; data?: string }[]): InventoryRead<InstalledApp[]> {
  const ignored: string[] = [];
  const byCode = new Map<string, InstalledApp>();
  const re = /\/Vendor\/MSFT\/EnterpriseDesktopAppManagement\/MSI\/([^/]+)\/(Name|Version|Publisher)$/;
  for (const r of results) {
    const m = re.exec(r.locUri);
    const code = m && productCode(decodeSegment(m[1]) ?? '');
    if (!m || !code) {
      ignored.push(`not an MSI product's Name, Version or Publisher: ${JSON.stringify(r.locUri.slice(0, 120))}`);
      continue;
    }
    let app = byCode.get(code);
    if (!app) {
      if (byCode.size >= APP_INVENTORY_LIMITS.apps) continue;
      byCode.set(code, (app = { key: code }));
    }
    const v = clip(r.data);
    if (m[2] === 'Name') app.name = v;
    else if (m[2] === 'Version') app.version = v;
    else app.publisher = v;
  }
  return { value: [...byCode.values()], ignored };
}

/** A package full name: `Name_Version_Architecture_ResourceId_PublisherId` (ResourceId may be empty, `~` for a bundle). */
const FULL_NAME = /^[A-Za-z0-9.-]{1,50}_[0-9]+(\.[0-9]+){0,3}_[A-Za-z0-9]*_[^_\s/\\]*_[a-z0-9]{1,13}$/;

function field(e: XmlElement, name: string): string | undefined {
  const a = e[`@${name}`];
  if (typeof a === 'string') return a;
  const c = e[name];
  if (Array.isArray(c) && c[0]) {
    const t = c[0]['#text'];
    return typeof t === 'string' ? t : undefined;
  }
  return undefined;
}

/**
 * The packages in an AppInventoryResults document. A document that is not well-formed XML (a
 * truncated answer, a DOCTYPE, too deep, too large) gives no packages and says why; a package
 * whose full name is malformed is left out.
 */
export function parseAppInventoryResults(data: string | undefined): InventoryRead<InstalledApp[]> {
  const ignored: string[] = [];
  const text = (data ?? '').trim();
  if (!text) return { value: [], ignored };
  let root: XmlElement;
  try {
    root = parseXml(text, { maxBytes: APP_INVENTORY_LIMITS.resultsBytes, maxDepth: 16 });
  } catch (err) {
    const why = err instanceof XmlError ? err.message : String(err);
    return { value: [], ignored: [`AppInventoryResults is not readable XML: ${why.slice(0, 200)}`] };
  }
  const apps = new Map<string, InstalledApp>();
  let over = false;
  const walk = (e: XmlElement, depth: number) => {
    for (const [k, v] of Object.entries(e)) {
      if (k.startsWith('@') || k.startsWith('#') || !Array.isArray(v)) continue;
      // The OS's own packages, if Windows groups the results by classification.
      if (k.toLowerCase() === 'system') continue;
      for (const c of v) {
        const full = field(c, 'PackageFullName')?.trim();
        if (full !== undefined) {
          take(c, full);
          continue;
        }
        if (depth < 16) walk(c, depth + 1);
      }
    }
  };
  const take = (e: XmlElement, full: string) => {
    if (full.length > APP_INVENTORY_LIMITS.keyChars || CONTROL.test(full) || !FULL_NAME.test(full)) {
      ignored.push(`not a package full name: ${JSON.stringify(full.slice(0, 80))}`);
      return;
    }
    if (apps.has(full)) return;
    if (apps.size >= APP_INVENTORY_LIMITS.apps) {
      over = true;
      return;
    }
    const [idName, idVersion] = full.split('_');
    apps.set(full, {
      key: full,
      name: clip(field(e, 'Name')) ?? idName,
      version: clip(field(e, 'Version')) ?? idVersion,
      publisher: clip(field(e, 'Publisher')),
    });
  };
  walk(root, 0);
  if (over) ignored.push(`more than ${APP_INVENTORY_LIMITS.apps} packages: the rest left out`);
  return { value: [...apps.values()], ignored };
}
