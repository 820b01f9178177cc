// App profiles (kind 'app', settings { app, intent }) compiled from the app's live version
// (CompileContext.app) to the commands of the CSP that installs it (Learn: "Enterprise app
// management", "EnterpriseDesktopAppManagement CSP", "EnterpriseModernAppManagement CSP",
// "Office CSP"; the DDFs in ../shared/schemas-ref/ddf). Pure.
//
// * MSI: Add then Exec of MSI/{ProductCode}/DownloadInstall with the MsiInstallJob (Learn: the
//   Add "is required to precede the Exec"); progress in Status / LastError / LastErrorDesc;
//   uninstall: Delete of MSI/{ProductCode}.
// * MSIX/APPX: Add of AppInstallation/{PFN}, Exec of its HostedInstall with
//   <Application PackageUri=…><Dependencies><Dependency PackageUri=…/>; progress in Status;
//   completion alert 1226 Reversed-Domain-Name:com.microsoft.mdm.EnterpriseHostedAppInstall.result
//   (MSI: 1224 …win32csp_install) — it comes in a session, where the plan reads the status anyway;
//   uninstall: ./User → Exec AppManagement/RemovePackage <Package Name="{full name}"/>;
//   ./Device has no RemovePackage (DDF): the provisioned package is removed by a Delete of
//   AppManagement/nonStore/{PFN}.
// * Office: Exec of Installation/{id}/Install with the configuration; uninstall: the same
//   Exec with a <Remove> configuration.
//
// Package URLs are `{{content:<sha256>}}` tokens: the signed URL expires, the compiled profile
// must not; the reconciler resolves them when the command is sent.
import { createHash } from 'node:crypto';
import type { AppDelivery } from '../../domain/app.js';
import type { CommandPayload } from '../../domain/command.js';
import { el, empty } from '../xml-write.js';
import type { Problems } from './common.js';
import { msiInstallJob } from './msi-job.js';
import { OFFICE_DONE, OFFICE_IN_PROGRESS, officeRemoveConfiguration, officeRoot } from './office.js';
import type { AppSettings } from './schemas.js';
import type { AppTracking, CompileContext, CompiledApp, CompiledProfile, Scope } from './types.js';
import { cspRoot, encodeSegment } from './uri.js';

/** The token a command carries for a package; the content URL signer replaces it (contract 3/4 of issue #15). */
export const contentToken = (sha256: string) => `{{content:${sha256}}}`;

const GUID = /^\{?([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})\}?$/;
const SHA256 = /^[0-9a-f]{64}$/;

/** `{GUID}` upper case, as Windows names MSI products; undefined when not a GUID. */
export function productCodeOf(s: string): string | undefined {
  const m = GUID.exec(s.trim());
  return m ? `{${m[1].toUpperCase()}}` : undefined;
}

export function msiRoot(scope: Scope, productCode: string): string {
  return `${cspRoot(scope, 'EnterpriseDesktopAppManagement')}/MSI/${encodeSegment(productCode)}`;
}

export function msixRoot(scope: Scope, packageFamilyName: string): string {
  return `${cspRoot(scope, 'EnterpriseModernAppManagement')}/AppInstallation/${encodeSegment(packageFamilyName)}`;
}

const exec = (target: string, format: string, data: string, type?: string): CommandPayload => ({
  kind: 'Exec',
  items: [{ target, format, ...(type ? { type } : {}), data }],
});

type Body = Omit<CompiledProfile, 'kind' | 'scope'>;

function compileMsi(scope: Scope, a: AppDelivery, intent: AppSettings['intent'], p: Problems): CompiledApp | undefined {
  const productCode = a.msi && productCodeOf(a.msi.productCode);
  if (!productCode) return void p.add('/app', 'the live version has no MSI ProductCode');
  const root = msiRoot(scope, productCode);
  const undo: CommandPayload[] = [{ kind: 'Delete', items: [{ target: root }] }];
  if (intent === 'uninstall') return { kind: 'msi', intent, package: productCode, apply: undo, undo: [] };
  if (!a.sha256 || !SHA256.test(a.sha256)) return void p.add('/app', 'the live version has no package (SHA-256)');
  const job = msiInstallJob({ productCode, productVersion: a.msi!.productVersion || a.version, contentUrl: contentToken(a.sha256), sha256: a.sha256 });
  const di = `${root}/DownloadInstall`;
  return {
    kind: 'msi',
    intent,
    package: `${productCode}:${a.sha256}`,
    apply: [{ kind: 'Add', items: [{ target: di }] }, exec(di, 'xml', job, 'text/plain')],
    track: { kind: 'msi', status: `${root}/Status`, lastError: `${root}/LastError`, lastErrorDesc: `${root}/LastErrorDesc` },
    undo,
  };
}

function compileMsix(scope: Scope, a: AppDelivery, intent: AppSettings['intent'], p: Problems): CompiledApp | undefined {
  const m = a.msix;
  if (!m?.packageFamilyName || !m.packageFullName) return void p.add('/app', 'the live version has no package family name');
  const undo: CommandPayload[] =
    scope === 'user'
      ? [
          exec(
            `${cspRoot('user', 'EnterpriseModernAppManagement')}/AppManagement/RemovePackage`,
            'xml',
            empty('Package', { Name: m.packageFullName, RemoveForAllUsers: '0' }),
          ),
        ]
      : [
          {
            kind: 'Delete',
            items: [{ target: `${cspRoot('device', 'EnterpriseModernAppManagement')}/AppManagement/nonStore/${encodeSegment(m.packageFamilyName)}` }],
          },
        ];
  if (intent === 'uninstall') return { kind: 'msix', intent, package: m.packageFullName, apply: undo, undo: [] };
  if (!a.sha256 || !SHA256.test(a.sha256)) return void p.add('/app', 'the live version has no package (SHA-256)');
  const deps = m.dependencies.filter((d) => SHA256.test(d.sha256));
  const doc = el(
    'Application',
    // DeploymentOptions exists in the user context only (Learn, "Enterprise app management").
    scope === 'user' ? { PackageUri: contentToken(a.sha256), DeploymentOptions: '0' } : { PackageUri: contentToken(a.sha256) },
    deps.length ? el('Dependencies', null, ...deps.map((d) => empty('Dependency', { PackageUri: contentToken(d.sha256) }))) : '',
  );
  const root = msixRoot(scope, m.packageFamilyName);
  return {
    kind: 'msix',
    intent,
    package: `${m.packageFullName}:${a.sha256}`,
    // The {PFN} node goes away once the install succeeded (DDF, Status): each install adds it again.
    apply: [{ kind: 'Add', items: [{ target: root, format: 'node' }] }, exec(`${root}/HostedInstall`, 'xml', doc)],
    track: { kind: 'msix', status: `${root}/Status`, lastError: `${root}/LastError`, lastErrorDesc: `${root}/LastErrorDesc` },
    undo,
  };
}

function compileOffice(scope: Scope, a: AppDelivery, intent: AppSettings['intent'], p: Problems): CompiledApp | undefined {
  const o = a.office;
  if (!o?.configurationXml || !o.installationId) return void p.add('/app', 'the live version has no Office configuration');
  const root = officeRoot(scope, o.installationId);
  const remove = exec(`${root}/Install`, 'chr', officeRemoveConfiguration(o.configurationXml));
  const track: AppTracking = { kind: 'office', status: `${root}/Status` };
  const digest = createHash('sha256').update(o.configurationXml, 'utf8').digest('hex').slice(0, 16);
  if (intent === 'uninstall') return { kind: 'office', intent, package: `${o.installationId}:${digest}`, apply: [remove], track, undo: [] };
  return {
    kind: 'office',
    intent,
    package: `${o.installationId}:${digest}`,
    apply: [exec(`${root}/Install`, 'chr', o.configurationXml)],
    track,
    undo: [remove],
  };
}

export function compileApp(scope: Scope, s: AppSettings, ctx: CompileContext, p: Problems): Body {
  const a = ctx.app;
  const body: Body = { units: [], removal: [], requires: [] };
  if (!a) {
    p.add('/app', 'app has no live version');
    return body;
  }
  if (a.appId !== s.app) {
    p.add('/app', `the delivery context is of app ${a.appId}, not ${s.app}`);
    return body;
  }
  const app =
    a.kind === 'msi' ? compileMsi(scope, a, s.intent, p) : a.kind === 'msix' ? compileMsix(scope, a, s.intent, p) : compileOffice(scope, a, s.intent, p);
  return app ? { ...body, app } : body;
}

/**
 * The commands that take a device that acknowledged `base` (null: nothing known) to `next`:
 * nothing when both name the same package with the same intent, else `next`'s commands.
 * Upgrades: a new MSI ProductCode gets its own DownloadInstall job, and the old product is not
 * deleted first — the new package's major upgrade removes it (deleting first would leave the
 * device without the app if the new install fails); the same ProductCode (a minor update or a
 * rebuilt package) runs DownloadInstall again without the Add (the node exists).
 */
export function appDelta(base: CompiledProfile | null, next: CompiledApp): CommandPayload[] {
  const b = base?.app;
  if (b && b.intent === next.intent && b.package === next.package) return [];
  if (b && b.intent === 'install' && next.intent === 'install' && next.kind === 'msi' && b.kind === 'msi') {
    const di = (x: CompiledApp) => x.apply.find((c) => c.kind === 'Exec')?.items?.[0]?.target;
    if (di(b) === di(next)) return next.apply.filter((c) => c.kind !== 'Add');
  }
  return next.apply;
}

const APP_INSTALL_EXEC =
  /\/Vendor\/MSFT\/(?:EnterpriseDesktopAppManagement\/MSI\/[^/]+\/DownloadInstall|EnterpriseModernAppManagement\/AppInstallation\/[^/]+\/HostedInstall|Office\/Installation\/[^/]+\/Install)$/;

/** The Exec starts an asynchronous install (its 200/202 says "accepted", not "installed"). */
export function startsInstall(uri: string | undefined): boolean {
  return !!uri && APP_INSTALL_EXEC.test(uri);
}

const TRACK_NODE =
  /\/Vendor\/MSFT\/(EnterpriseDesktopAppManagement\/MSI|EnterpriseModernAppManagement\/AppInstallation|Office\/Installation)\/[^/]+\/(Status|LastError|LastErrorDesc)$/;

/** Which app CSP and progress node a LocURI names (undefined: not one). */
export function trackedNode(uri: string): { kind: AppTracking['kind']; node: 'Status' | 'LastError' | 'LastErrorDesc' } | undefined {
  const m = TRACK_NODE.exec(uri);
  if (!m) return undefined;
  const kind = m[1].startsWith('EnterpriseDesktop') ? 'msi' : m[1].startsWith('EnterpriseModern') ? 'msix' : 'office';
  return { kind, node: m[2] as 'Status' | 'LastError' | 'LastErrorDesc' };
}

/** MSI Status codes (Learn, EnterpriseDesktopAppManagement Status). */
const MSI_STAGES: Record<number, string> = {
  10: 'initialized',
  20: 'download in progress',
  25: 'pending download retry',
  30: 'download failed',
  40: 'download completed',
  48: 'pending user session',
  50: 'enforcement in progress',
  55: 'pending enforcement retry',
  60: 'enforcement failed',
  70: 'enforcement completed',
};
/** MSIX Status (DDF): 0 not installed yet, 1 installing, 2 failed, 3 installed. */
const MSIX_STAGES: Record<number, string> = { 0: 'not started', 1: 'installing', 2: 'failed', 3: 'installed' };

/** A LastError as Windows' HRESULT reads: 0x80070005 (the node is an int, often negative). */
export function hresult(v: string | undefined): string | undefined {
  if (v === undefined || !/^[+-]?\d+$/.test(v.trim())) return v?.trim() || undefined;
  return `0x${(Number(v.trim()) >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;
}

export interface AppProgress {
  state: 'installed' | 'failed' | 'installing';
  detail: string;
}

/**
 * What the progress nodes say. `status` undefined with `statusCode` '404': the node is not there —
 * MSI and Office: not installed; MSIX: Windows removes AppInstallation/{PFN} once the install
 * succeeded (DDF, Status), so it is installed.
 */
export function appProgress(kind: AppTracking['kind'], r: { status?: string; statusCode?: string; lastError?: string; lastErrorDesc?: string }): AppProgress {
  const why = () => {
    const e = hresult(r.lastError);
    const parts = [e && e !== '0x00000000' ? `LastError ${e}` : undefined, r.lastErrorDesc?.trim() || undefined].filter(Boolean);
    return parts.length ? `: ${parts.join(' ')}` : '';
  };
  if (r.status === undefined || !/^\s*[+-]?\d+\s*$/.test(r.status)) {
    if (r.statusCode === '404') {
      return kind === 'msix'
        ? { state: 'installed', detail: 'installed (Windows removed its installation node)' }
        : { state: 'failed', detail: 'not installed (the device has no Status for it)' };
    }
    return { state: 'failed', detail: `install status unreadable (${r.statusCode ?? 'no value'})` };
  }
  const code = Number(r.status.trim());
  if (kind === 'msi') {
    const stage = MSI_STAGES[code] ?? 'unknown status';
    if (code === 70) return { state: 'installed', detail: `${stage} (70)` };
    if (code === 30 || code === 60) return { state: 'failed', detail: `${stage} (${code})${why()}` };
    return { state: 'installing', detail: `${stage} (${code})` };
  }
  if (kind === 'msix') {
    const stage = MSIX_STAGES[code] ?? 'unknown status';
    if (code === 3) return { state: 'installed', detail: `${stage} (3)` };
    if (code === 2) return { state: 'failed', detail: `${stage} (2)${why()}` };
    return { state: 'installing', detail: `${stage} (${code})` };
  }
  if (code === OFFICE_DONE) return { state: 'installed', detail: 'Office installation succeeded (0)' };
  if (code === OFFICE_IN_PROGRESS) return { state: 'installing', detail: 'Office installation in progress (997)' };
  return { state: 'failed', detail: `Office installation failed (${code}, ${hresult(String(code))})` };
}
