// The Enrollment Status Page as the device reads it: DMClient
// ./{Device|User}/Vendor/MSFT/DMClient/Provider/{ProviderID}/FirstSyncStatus/* (DMClient DDF;
// Learn "DMClient CSP"). Pure builders of what fenestra declares and of the finishing Replace,
// and the parser of the Expected* lists (the simulator reads them with it).
//
// Value formats (DDF descriptions):
// * Expected* nodes are `chr` lists of LocURIs delimited by U+F000 (CSP_LIST_DELIMITER).
// * ExpectedPolicies: the LocURIs of the policy nodes (custom, Hello, mail, trusted certificates:
//   every node the profile writes). ExpectedNetworkProfiles: the Wi-Fi profile's and the VPNv2
//   profile's root. ExpectedPFXCerts / ExpectedSCEPCerts: ClientCertificateInstall/PFXCertInstall/{id}
//   and ClientCertificateInstall/SCEP/{id}.
// * ExpectedMSIAppPackages: `…/EnterpriseDesktopAppManagement/MSI/{ProductCode}/Status;N` and
//   ExpectedModernAppPackages: `…/EnterpriseModernAppManagement/AppManagement/{AppStore|nonStore}/{PFN}/{PackageFullName}/Name;N`,
//   N the number of apps in the package (Windows does not check it; fenestra says 1).
// * TimeOutUntilSyncFailure: int minutes, 1..1440 (default 60). BlockInStatusPage (device only):
//   int flags, 0 = the user may leave the page, 0x1 Reset PC, 0x2 Try again, 0x4 Continue anyway
//   on failure. SkipDeviceStatusPage / SkipUserStatusPage (device only), AllowCollectLogsButton,
//   ServerHasFinishedProvisioning: bool. CustomErrorText: chr.
// * The ./User tree has the Expected* lists, AllowCollectLogsButton, CustomErrorText and
//   ServerHasFinishedProvisioning only: the device's time-out and blocking apply to the user page.
// * ServerHasFinishedProvisioning=true ends the page; Windows refuses setting it back to false.
//   When the time-out passes first, the device shows CustomErrorText itself (fenestra sends nothing then).
import type { CommandPayload } from '../../domain/command.js';
import { cspRoot, encodeSegment } from './uri.js';
import type { CompiledProfile, Scope } from './types.js';

/** CSP_LIST_DELIMITER: between the LocURIs of an Expected* list. */
export const CSP_LIST_DELIMITER = '\uF000';

export const ESP_TIMEOUT_MIN = 1;
export const ESP_TIMEOUT_MAX = 1440;

/** The Expected* lists, by node name. */
export type ExpectedList =
  'ExpectedPolicies' | 'ExpectedNetworkProfiles' | 'ExpectedPFXCerts' | 'ExpectedSCEPCerts' | 'ExpectedMSIAppPackages' | 'ExpectedModernAppPackages';

export const EXPECTED_LISTS: readonly ExpectedList[] = [
  'ExpectedPolicies',
  'ExpectedNetworkProfiles',
  'ExpectedPFXCerts',
  'ExpectedSCEPCerts',
  'ExpectedMSIAppPackages',
  'ExpectedModernAppPackages',
];

/** What one required profile adds to the lists; undefined when the device has no list for it (Office, uninstalls): fenestra still waits for it. */
export function expectedEntries(c: CompiledProfile): { list: ExpectedList; entries: string[] } | undefined {
  switch (c.kind) {
    case 'wifi':
    case 'vpn':
      return { list: 'ExpectedNetworkProfiles', entries: [...c.removal] };
    case 'certificate': {
      const type = c.provides?.certificateType;
      if (type === 'pfx') return { list: 'ExpectedPFXCerts', entries: [...c.removal] };
      if (type === 'scep') return { list: 'ExpectedSCEPCerts', entries: [...c.removal] };
      return { list: 'ExpectedPolicies', entries: nodeUris(c) };
    }
    case 'app':
      return appEntry(c);
    default:
      return { list: 'ExpectedPolicies', entries: nodeUris(c) };
  }
}

function nodeUris(c: CompiledProfile): string[] {
  return [...new Set(c.units.flatMap((u) => u.nodes.map((n) => n.uri)))];
}

function appEntry(c: CompiledProfile): { list: ExpectedList; entries: string[] } | undefined {
  const a = c.app;
  if (!a || a.intent !== 'install' || !a.track) return undefined;
  if (a.kind === 'msi') return { list: 'ExpectedMSIAppPackages', entries: [`${a.track.status};1`] };
  if (a.kind !== 'msix') return undefined;
  // track.status is …/EnterpriseModernAppManagement/AppInstallation/{PFN}/Status; package is `{PackageFullName}:{sha256}`.
  const m = /^(\.\/(?:Device|User))\/Vendor\/MSFT\/EnterpriseModernAppManagement\/AppInstallation\/([^/]+)\/Status$/.exec(a.track.status);
  const cut = a.package.lastIndexOf(':');
  if (!m || cut <= 0) return undefined;
  const fullName = encodeSegment(a.package.slice(0, cut));
  return {
    list: 'ExpectedModernAppPackages',
    entries: [`${m[1]}/Vendor/MSFT/EnterpriseModernAppManagement/AppManagement/nonStore/${m[2]}/${fullName}/Name;1`],
  };
}

/** The lists of a phase from its required profiles (in the order given, each LocURI once; empty lists left out). */
export function expectedLists(profiles: CompiledProfile[]): Partial<Record<ExpectedList, string[]>> {
  const out: Partial<Record<ExpectedList, string[]>> = {};
  for (const p of profiles) {
    const e = expectedEntries(p);
    if (!e || !e.entries.length) continue;
    const list = (out[e.list] ??= []);
    for (const x of e.entries) if (!list.includes(x)) list.push(x);
  }
  return out;
}

/** The settings of the status page as declared (EspPolicy's, validated by the service). */
export interface EspPageSettings {
  timeoutMinutes: number;
  errorText?: string;
  blockDevice: boolean;
  allowReset?: boolean;
  allowContinue?: boolean;
  allowCollectLogs: boolean;
  skipUserPhase: boolean;
  skipDevicePhase: boolean;
}

/** BlockInStatusPage flags: 0 unless blocking; blocking always offers Try again (0x2), Reset PC (0x1) and Continue anyway (0x4) when allowed. */
export function blockInStatusPage(s: Pick<EspPageSettings, 'blockDevice' | 'allowReset' | 'allowContinue'>): number {
  if (!s.blockDevice) return 0;
  return 0x2 | (s.allowReset ? 0x1 : 0) | (s.allowContinue ? 0x4 : 0);
}

/** ./{Device|User}/Vendor/MSFT/DMClient/Provider/{ProviderID}/FirstSyncStatus. */
export function firstSyncStatusRoot(providerId: string, tree: Scope): string {
  return `${cspRoot(tree, 'DMClient')}/Provider/${encodeSegment(providerId)}/FirstSyncStatus`;
}

type Item = NonNullable<CommandPayload['items']>[number];

/**
 * The declaration of a phase: one Replace with the non-empty Expected* lists, then the page's
 * settings — in ./Device the time-out, blocking and skip flags too; in ./User only the Collect
 * logs button and the error text (an absent error text is not sent: Windows shows its own).
 */
export function declarationPayload(providerId: string, tree: Scope, lists: Partial<Record<ExpectedList, string[]>>, s: EspPageSettings): CommandPayload {
  const base = firstSyncStatusRoot(providerId, tree);
  const chr = (name: string, v: string): Item => ({ target: `${base}/${name}`, format: 'chr', data: v });
  const int = (name: string, v: number): Item => ({ target: `${base}/${name}`, format: 'int', data: String(v) });
  const bool = (name: string, v: boolean): Item => ({ target: `${base}/${name}`, format: 'bool', data: String(v) });
  const items: Item[] = [];
  for (const name of EXPECTED_LISTS) {
    const l = lists[name];
    if (l?.length) items.push(chr(name, l.join(CSP_LIST_DELIMITER)));
  }
  if (tree === 'device') {
    items.push(int('TimeOutUntilSyncFailure', Math.min(ESP_TIMEOUT_MAX, Math.max(ESP_TIMEOUT_MIN, Math.round(s.timeoutMinutes)))));
    items.push(int('BlockInStatusPage', blockInStatusPage(s)));
    items.push(bool('SkipDeviceStatusPage', s.skipDevicePhase));
    items.push(bool('SkipUserStatusPage', s.skipUserPhase));
  }
  items.push(bool('AllowCollectLogsButton', s.allowCollectLogs));
  if (s.errorText) items.push(chr('CustomErrorText', s.errorText));
  return { kind: 'Replace', items };
}

/** ServerHasFinishedProvisioning=true: every required item of the phase is in place. */
export function finishedPayload(providerId: string, tree: Scope): CommandPayload {
  return { kind: 'Replace', items: [{ target: `${firstSyncStatusRoot(providerId, tree)}/ServerHasFinishedProvisioning`, format: 'bool', data: 'true' }] };
}

/** One entry of an Expected* list: the LocURI and, for the app lists, the package's app count. */
export interface ExpectedEntry {
  uri: string;
  count?: number;
}

/**
 * An Expected* value as the device reads it: split at U+F000, blanks dropped; `;N` after an app
 * package's LocURI is its count. A LocURI outside ./Device, ./User or ./Vendor, or a count that is
 * not a positive integer, is refused (thrown), naming the entry.
 */
export function parseExpectedList(value: string, o: { apps?: boolean } = {}): ExpectedEntry[] {
  const out: ExpectedEntry[] = [];
  for (const raw of value.split(CSP_LIST_DELIMITER)) {
    const v = raw.trim();
    if (!v) continue;
    let uri = v;
    let count: number | undefined;
    if (o.apps) {
      const m = /^(.*);(\d{1,6})$/.exec(v);
      if (!m || Number(m[2]) < 1) throw new Error(`expected "<LocURI>;<count>": ${JSON.stringify(v.slice(0, 200))}`);
      uri = m[1];
      count = Number(m[2]);
    }
    if (!/^\.\/(Device|User|Vendor)\/\S+$/.test(uri)) throw new Error(`not a LocURI: ${JSON.stringify(uri.slice(0, 200))}`);
    out.push(count === undefined ? { uri } : { uri, count });
  }
  return out;
}
