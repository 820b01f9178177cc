// The simulated device's app CSPs: EnterpriseDesktopAppManagement (MSI) and
// EnterpriseModernAppManagement (MSIX/APPX) in ./Device and in every user's ./User tree, hooked
// into the DM tree (DmTreeHooks).
//
// * Exec MSI/{ProductCode}/DownloadInstall (after the Add of its node, 404 without) and
//   AppInstallation/{PFN}/HostedInstall answer 202 and queue a job; Windows runs it outside the
//   OMA-DM session, and so does the simulator: `run()` (after each session by default, see
//   SimDevice) downloads the package over HTTPS to a file under `dir`, resuming with Range and
//   If-Range after a dropped connection, checks the MSI's SHA-256 against <FileHash>, reads the
//   package itself (src/protocol/packages) and records it as installed.
// * MSI Status walks 10 → 20 → 40 → 50 → 70; 25 while a download waits for its retry (the next
//   run), 48 while the job's user is not signed in, 30 / 60 on failure, with LastError (the
//   HRESULT, as a signed int) and LastErrorDesc. A new ProductCode with the UpgradeCode of an
//   installed product replaces it (the MSI major upgrade). Delete of MSI/{ProductCode} uninstalls.
// * MSIX Status 0 → 1 → 3, 2 on failure; once installed, the AppInstallation/{PFN} node is
//   cleaned up (Learn) and the package appears under AppManagement/nonStore/{PFN}/{full name}.
//   Exec AppManagement/RemovePackage (./User) or a Delete under AppManagement removes it.
// * Each job's end is reported by an alert in the next session's package 1 (of the job's user
//   for a ./User job): MSI 1224 win32csp_install, as Learn's example shows it; MSIX 1226.
// * AppManagement/AppInventoryQuery (Replace) and AppInventoryResults (Get, computed then).
import fs from 'node:fs';
import path from 'node:path';
import type { MsiMetadata, MsixMetadata } from '../../domain/app.js';
import { readMsi, readMsix } from '../../protocol/packages/index.js';
import { STATUS } from '../../protocol/syncml/types.js';
import type { GenericAlert } from '../dm-client.js';
import type { DmHookContext, DmTree } from '../dm-tree.js';
import {
  HRESULT,
  MSIX_INSTALL_ALERT_TYPE,
  MSIX_STATUS,
  MSIX_UNINSTALL_ALERT_TYPE,
  MSI_ALERT_CODE,
  MSI_ALERT_TYPE,
  MSI_STATUS,
  asInt,
  httpError,
  type HResult,
} from './codes.js';
import { downloadAttempt, sha256File, type DownloadAttempt } from './download.js';
import type { AppFaults } from './faults.js';
import { readMsiInstallJob } from './msi.js';
import { SOURCES, inventoryResults, readHostedInstall, readInventoryQuery, readRemovePackage, type InventoryPackage } from './msix.js';

const DESKTOP = 'Vendor/MSFT/EnterpriseDesktopAppManagement';
const MODERN = 'Vendor/MSFT/EnterpriseModernAppManagement';
const MSI_EXEC = /^Vendor\/MSFT\/EnterpriseDesktopAppManagement\/MSI\/([^/]+)\/DownloadInstall$/;
const MSI_PRODUCT = /^Vendor\/MSFT\/EnterpriseDesktopAppManagement\/MSI\/([^/]+)$/;
const MSIX_EXEC = /^Vendor\/MSFT\/EnterpriseModernAppManagement\/AppInstallation\/([^/]+)\/HostedInstall$/;
const REMOVE_PACKAGE = `${MODERN}/AppManagement/RemovePackage`;
const INVENTORY_RESULTS = `${MODERN}/AppManagement/AppInventoryResults`;
const INVENTORY_QUERY = `${MODERN}/AppManagement/AppInventoryQuery`;

/** One HTTP exchange of a download, as the device saw it. */
export interface AppHttpRecord {
  url: string;
  status: number;
  /** The Range start asked for (0: none). */
  requestedFrom: number;
  contentRange?: string;
  received: number;
  error?: string;
}

export interface AppJob {
  kind: 'msi' | 'msix';
  scope: 'device' | 'user';
  user: string | null;
  /** Scope-relative path of the job's node: …/MSI/{ProductCode} or …/AppInstallation/{PFN}. */
  node: string;
  /** The Exec LocURI as the server sent it (the alert's Source). */
  target: string;
  /** ProductCode or package family name, as in the LocURI. */
  id: string;
  /** MSI Product@Version. */
  version?: string;
  /** MSI FileHash. */
  sha256?: string;
  retryCount: number;
  /** The main package first, then the dependencies (MSIX). */
  packages: { url: string; file: string; have: number; etag?: string; done: boolean }[];
  state: 'queued' | 'retry' | 'done' | 'failed';
  /** Download attempts that failed so far. */
  failures: number;
  /** Every Status the job went through, in order. */
  statuses: number[];
  http: AppHttpRecord[];
  lastError?: number;
  lastErrorDesc?: string;
  /** The first download attempt was cut by the cut-download fault. */
  cut?: boolean;
}

export interface SimAppsOptions {
  tree: DmTree;
  /** Where downloads go (a directory created on first use). */
  dir: () => string;
  /** HTTPS settings of the downloads: the management connection's. */
  http: () => { ca?: string | string[]; connectTo?: { host: string; port: number }; managementHost?: string; timeoutMs?: number };
}

export interface SavedApps {
  jobs: AppJob[];
  alerts: { user: string | null; alert: GenericAlert }[];
}

const now = () => new Date();
/** Finished jobs kept. */
const KEEP_ENDED = 20;
const ymd = (d: Date) => d.toISOString().slice(0, 10).replace(/-/g, '');

export class SimApps {
  faults: AppFaults = {};
  readonly jobs: AppJob[] = [];
  /** Alerts waiting for a session (a ./User job's for a session of its user). */
  alerts: { user: string | null; alert: GenericAlert }[] = [];
  private readonly o: SimAppsOptions;
  private running?: Promise<void>;

  constructor(o: SimAppsOptions) {
    this.o = o;
    const t = o.tree;
    this.seed(null);
    t.hooks.userTree = (key) => this.seed(key);
    t.hooks.exec = (x) => this.exec(x);
    t.hooks.value = (x) => (x.path === INVENTORY_RESULTS ? this.inventory(x.scope, x.user) : undefined);
    t.hooks.deleted = (x) => this.deleted(x);
    // A rolled-back Atomic takes back the jobs its Execs queued.
    t.hooks.snapshot = () => this.save();
    t.hooks.restore = (s) => this.load(s as SavedApps);
  }

  // ---- the tree -----------------------------------------------------------------------------------

  private uri(scope: 'device' | 'user', rel: string): string {
    return `./${scope === 'user' ? 'User' : 'Device'}/${rel}`;
  }

  /** Run `fn` with the tree's ./User addressing `user` (the job's), then restore the session's. */
  private as<T>(user: string | null, fn: () => T): T {
    const t = this.o.tree;
    const prev = t.currentUser;
    if (user !== null) t.setUser(user);
    try {
      return fn();
    } finally {
      if (user !== null) t.setUser(prev);
    }
  }

  /** The CSP nodes a tree has from the start (idempotent: restored trees keep theirs). */
  seed(user: string | null): void {
    const scope = user === null ? 'device' : 'user';
    this.as(user, () => {
      const t = this.o.tree;
      const u = (rel: string) => this.uri(scope, rel);
      const ensure = (rel: string, init: Parameters<DmTree['set']>[1]) => {
        if (!t.has(u(rel))) t.set(u(rel), init);
      };
      ensure(DESKTOP, { format: 'node', readOnly: true });
      ensure(`${DESKTOP}/MSI`, { format: 'node', readOnly: true });
      ensure(`${DESKTOP}/MSI/UpgradeCode`, { format: 'node', readOnlyTree: true });
      ensure(MODERN, { format: 'node', readOnly: true });
      ensure(`${MODERN}/AppInstallation`, { format: 'node', readOnly: true });
      ensure(`${MODERN}/AppManagement`, { format: 'node', readOnly: true });
      for (const s of SOURCES) ensure(`${MODERN}/AppManagement/${s}`, { format: 'node' });
      ensure(INVENTORY_QUERY, { format: 'xml', value: '' });
      ensure(INVENTORY_RESULTS, { format: 'xml', value: '', readOnly: true });
      ensure(`${MODERN}/AppManagement/LastScanError`, { format: 'int', value: '0', readOnly: true });
      // The DDF has RemovePackage in ./User only.
      if (scope === 'user') ensure(REMOVE_PACKAGE, { format: 'xml', value: '' });
    });
  }

  private setNode(job: Pick<AppJob, 'scope' | 'user'>, rel: string, value: string, format = 'chr'): void {
    this.as(job.user, () => this.o.tree.set(this.uri(job.scope, rel), { format, value, readOnly: true }));
  }

  private status(job: AppJob, code: number): void {
    job.statuses.push(code);
    if (job.kind === 'msix' && !this.as(job.user, () => this.o.tree.has(this.uri(job.scope, job.node)))) return;
    this.setNode(job, `${job.node}/Status`, String(code), 'int');
  }

  private error(job: AppJob, e: HResult | undefined): void {
    job.lastError = e?.code ?? 0;
    job.lastErrorDesc = e?.desc ?? '';
    if (job.kind === 'msix' && !this.as(job.user, () => this.o.tree.has(this.uri(job.scope, job.node)))) return;
    this.setNode(job, `${job.node}/LastError`, asInt(job.lastError), 'int');
    this.setNode(job, `${job.node}/LastErrorDesc`, job.lastErrorDesc);
  }

  // ---- hooks --------------------------------------------------------------------------------------

  private exec(x: DmHookContext & { data?: string }): string | undefined {
    let m = MSI_EXEC.exec(x.path);
    if (m) return this.queueMsi(x, m[1], x.data ?? '');
    m = MSIX_EXEC.exec(x.path);
    if (m) return this.queueMsix(x, m[1], x.data ?? '');
    // The DDF has RemovePackage in ./User only.
    if (x.path === REMOVE_PACKAGE) return x.scope === 'user' ? this.removePackage(x, x.data ?? '') : STATUS.NOT_FOUND;
    return undefined;
  }

  private newJob(x: DmHookContext, kind: AppJob['kind'], node: string, id: string): AppJob {
    // A new Exec of the same node replaces its earlier job (a reinstall or an update).
    const i = this.jobs.findIndex((j) => j.scope === x.scope && j.user === x.user && j.node === node);
    if (i >= 0) this.jobs.splice(i, 1);
    // Finished jobs are kept for a while (tests and the CLI read them), not forever.
    const ended = this.jobs.filter((j) => j.state === 'done' || j.state === 'failed');
    for (const j of ended.slice(0, Math.max(0, ended.length - KEEP_ENDED))) this.jobs.splice(this.jobs.indexOf(j), 1);
    const job: AppJob = {
      kind,
      scope: x.scope,
      user: x.user,
      node,
      target: x.target,
      id,
      retryCount: 3,
      packages: [],
      state: 'queued',
      failures: 0,
      statuses: [],
      http: [],
    };
    this.jobs.push(job);
    return job;
  }

  private queueMsi(x: DmHookContext, productCode: string, data: string): string {
    const node = `${DESKTOP}/MSI/${productCode}`;
    // Learn: the Add of the product node must precede the Exec.
    if (!this.o.tree.has(this.uri(x.scope, node))) return STATUS.NOT_FOUND;
    let doc;
    try {
      doc = readMsiInstallJob(data);
    } catch {
      return STATUS.BAD_REQUEST;
    }
    const job = this.newJob(x, 'msi', node, productCode);
    job.version = doc.version;
    job.sha256 = doc.fileHash;
    job.retryCount = doc.retryCount;
    job.packages = [{ url: doc.urls[0], file: this.fileFor(job, 0), have: 0, done: false }];
    this.status(job, MSI_STATUS.initialized);
    this.error(job, undefined);
    return STATUS.ACCEPTED;
  }

  private queueMsix(x: DmHookContext, pfn: string, data: string): string {
    let doc;
    try {
      doc = readHostedInstall(data);
    } catch {
      return STATUS.BAD_REQUEST;
    }
    const node = `${MODERN}/AppInstallation/${pfn}`;
    if (!this.o.tree.has(this.uri(x.scope, node))) this.o.tree.set(this.uri(x.scope, node), { format: 'node' });
    const job = this.newJob(x, 'msix', node, pfn);
    job.packages = [doc.packageUri, ...doc.dependencies].map((url, i) => ({ url, file: this.fileFor(job, i), have: 0, done: false }));
    this.status(job, MSIX_STATUS.notInstalled);
    this.error(job, undefined);
    return STATUS.ACCEPTED;
  }

  private removePackage(x: DmHookContext, data: string): string {
    let name: string;
    try {
      name = readRemovePackage(data).name;
    } catch {
      return STATUS.BAD_REQUEST;
    }
    const found = this.findPackage('user', x.user, name);
    let result: HResult | undefined;
    let pfn = name;
    if (found) {
      pfn = found.pfn;
      const t = this.o.tree;
      t.remove(this.uri('user', `${MODERN}/AppManagement/${found.source}/${found.pfn}/${name}`));
      const left = t.read(this.uri('user', `${MODERN}/AppManagement/${found.source}/${found.pfn}`));
      if (left && left.data === '') t.remove(this.uri('user', `${MODERN}/AppManagement/${found.source}/${found.pfn}`));
    } else {
      result = HRESULT.appxNotFound;
    }
    this.alert(x.user, {
      type: MSIX_UNINSTALL_ALERT_TYPE,
      format: 'int',
      source: this.uri('user', `${MODERN}/AppManagement/${pfn}`),
      data: asInt(result?.code ?? 0),
    });
    return STATUS.OK;
  }

  private deleted(x: DmHookContext): void {
    const m = MSI_PRODUCT.exec(x.path);
    if (!m) return;
    // Uninstalled: its job is over, its UpgradeCode entry goes with it.
    for (let i = this.jobs.length - 1; i >= 0; i--) {
      const j = this.jobs[i];
      if (j.scope === x.scope && j.user === x.user && j.node === x.path) {
        this.jobs.splice(i, 1);
        for (const p of j.packages) fs.rmSync(p.file, { force: true });
      }
    }
    const uc = this.o.tree.read(this.uri(x.scope, `${DESKTOP}/MSI/UpgradeCode`));
    for (const code of uc?.data ? uc.data.split('/') : []) {
      const rel = `${DESKTOP}/MSI/UpgradeCode/${code}`;
      if (this.o.tree.read(this.uri(x.scope, rel))?.data === m[1]) this.o.tree.remove(this.uri(x.scope, rel));
    }
  }

  private alert(user: string | null, a: GenericAlert): void {
    this.alerts.push({ user, alert: a });
  }

  /** The alerts a session of `user` (null: nobody) carries; they are taken (see `giveBack`). */
  takeAlerts(user: string | null): SavedApps['alerts'] {
    const out = this.alerts.filter((a) => a.user === null || a.user === user);
    this.alerts = this.alerts.filter((a) => !(a.user === null || a.user === user));
    return out;
  }

  /** Alerts a session did not deliver go back in the queue. */
  giveBack(alerts: SavedApps['alerts']): void {
    this.alerts.unshift(...alerts);
  }

  // ---- jobs -----------------------------------------------------------------------------------------

  /** Jobs that still have something to do. */
  get pending(): AppJob[] {
    return this.jobs.filter((j) => j.state === 'queued' || j.state === 'retry');
  }

  /**
   * Run every pending job as far as it goes now: to its end, or to a retry point (a failed
   * download waits for the next run). ./User jobs of users not signed in wait (MSI Status 48).
   */
  run(signedIn: Iterable<string> = []): Promise<void> {
    const users = new Set(signedIn);
    const go = async () => {
      for (const job of this.pending) {
        if (job.scope === 'user' && !users.has(job.user!)) {
          if (job.kind === 'msi' && job.statuses.at(-1) !== MSI_STATUS.pendingUserSession) this.status(job, MSI_STATUS.pendingUserSession);
          continue;
        }
        await (job.kind === 'msi' ? this.stepMsi(job) : this.stepMsix(job));
      }
    };
    const p = (this.running ?? Promise.resolve()).then(go);
    this.running = p.catch(() => {});
    return p;
  }

  private fileFor(job: AppJob, i: number): string {
    const name = `${job.scope}-${(job.user ?? 'device').replace(/[^\w.-]/g, '_')}-${job.id.replace(/[^\w.-]/g, '_')}-${i}.part`;
    return path.join(this.o.dir(), name);
  }

  /** Download every package of the job not yet complete; the failure that stopped it, or undefined. */
  private async download(job: AppJob): Promise<HResult | undefined> {
    const dir = this.o.dir();
    fs.mkdirSync(dir, { recursive: true });
    for (const p of job.packages) {
      if (p.done) continue;
      if (p.have > 0 && (!fs.existsSync(p.file) || fs.statSync(p.file).size !== p.have)) p.have = 0;
      let cutAfter: number | undefined;
      if (this.faults.download) cutAfter = 0;
      else if (this.faults.cutDownloadAfter !== undefined && !job.cut) {
        cutAfter = this.faults.cutDownloadAfter;
        job.cut = true;
      }
      const h = this.o.http();
      const host = new URL(p.url, 'https://invalid').host;
      const a: DownloadAttempt = await downloadAttempt({
        url: p.url,
        file: p.file,
        have: p.have,
        etag: p.etag,
        ca: h.ca,
        // The management server's host goes where the management connection goes (tests, --connect).
        connectTo: h.managementHost && host === h.managementHost ? h.connectTo : undefined,
        timeoutMs: h.timeoutMs,
        cutAfter,
      });
      job.http.push({ url: p.url, status: a.status, requestedFrom: a.requestedFrom, contentRange: a.contentRange, received: a.received, error: a.error });
      p.have = a.have;
      if (a.etag) p.etag = a.etag;
      if (!a.complete) return a.httpError ? httpError(a.status) : HRESULT.connectionAborted;
      p.done = true;
    }
    return undefined;
  }

  /** A failed download: retried at the next run until RetryCount is used up, or failed for good. */
  private downloadFailed(job: AppJob, e: HResult, retryStatus?: number): 'retry' | 'failed' {
    job.failures++;
    this.error(job, e);
    if (this.faults.download || job.failures > job.retryCount) return 'failed';
    if (retryStatus !== undefined) this.status(job, retryStatus);
    job.state = 'retry';
    return 'retry';
  }

  private async stepMsi(job: AppJob): Promise<void> {
    this.status(job, MSI_STATUS.downloading);
    const failure = await this.download(job);
    if (failure) {
      if (this.downloadFailed(job, failure, MSI_STATUS.downloadRetry) === 'failed') this.finish(job, MSI_STATUS.downloadFailed, failure);
      return;
    }
    const file = job.packages[0].file;
    if (this.faults.hash) corrupt(file);
    if ((await sha256File(file)) !== job.sha256) return this.finish(job, MSI_STATUS.downloadFailed, HRESULT.badDigest);
    this.status(job, MSI_STATUS.downloaded);
    this.status(job, MSI_STATUS.enforcing);
    if (this.faults.install) return this.finish(job, MSI_STATUS.enforcementFailed, HRESULT.installFailure);
    let msi: MsiMetadata;
    try {
      msi = await readMsi(readAtOf(file), fs.statSync(file).size);
    } catch {
      return this.finish(job, MSI_STATUS.enforcementFailed, HRESULT.msiInvalid);
    }
    this.installMsi(job, msi);
    this.finish(job, MSI_STATUS.installed, undefined);
  }

  /** Record the product; a major upgrade removes the products of the same UpgradeCode. */
  private installMsi(job: AppJob, msi: MsiMetadata): void {
    const t = this.o.tree;
    this.as(job.user, () => {
      const u = (rel: string) => this.uri(job.scope, rel);
      if (msi.upgradeCode) {
        const entry = `${DESKTOP}/MSI/UpgradeCode/${msi.upgradeCode}`;
        const old = t.read(u(entry))?.data;
        if (old && old !== job.id) {
          t.remove(u(`${DESKTOP}/MSI/${old}`));
          const gone = this.jobs.findIndex((j) => j.scope === job.scope && j.user === job.user && j.node === `${DESKTOP}/MSI/${old}`);
          if (gone >= 0) this.jobs.splice(gone, 1);
        }
        t.set(u(entry), { value: job.id, readOnly: true });
      }
    });
    this.setNode(job, `${job.node}/Version`, msi.productVersion);
    this.setNode(job, `${job.node}/Name`, msi.productName);
    this.setNode(job, `${job.node}/Publisher`, msi.manufacturer);
    this.setNode(job, `${job.node}/InstallPath`, `C:\\Program Files\\${msi.manufacturer}\\${msi.productName}\\`);
    this.setNode(job, `${job.node}/InstallDate`, ymd(now()));
  }

  private async stepMsix(job: AppJob): Promise<void> {
    if (job.statuses.at(-1) !== MSIX_STATUS.installing) this.status(job, MSIX_STATUS.installing);
    const failure = await this.download(job);
    if (failure) {
      if (this.downloadFailed(job, failure) === 'failed') this.finish(job, MSIX_STATUS.failed, failure);
      return;
    }
    if (this.faults.hash) {
      // The package's bytes no longer match its block map: the deployment refuses it.
      corrupt(job.packages[0].file);
      return this.finish(job, MSIX_STATUS.failed, HRESULT.appxBlockHash);
    }
    if (this.faults.install) return this.finish(job, MSIX_STATUS.failed, HRESULT.appxInstallFailed);
    const read: MsixMetadata[] = [];
    for (const [i, p] of job.packages.entries()) {
      try {
        read.push(await readMsix(readAtOf(p.file), fs.statSync(p.file).size));
      } catch {
        return this.finish(job, MSIX_STATUS.failed, i === 0 ? HRESULT.appxOpenFailed : HRESULT.appxInstallFailed);
      }
    }
    for (const [i, m] of read.entries()) this.installMsix(job, m, i > 0);
    this.finish(job, MSIX_STATUS.installed, undefined);
    // Learn: once an install succeeded, its AppInstallation node is cleaned up.
    this.as(job.user, () => this.o.tree.remove(this.uri(job.scope, job.node)));
  }

  private installMsix(job: AppJob, m: MsixMetadata, dependency: boolean): void {
    const t = this.o.tree;
    const family = `${MODERN}/AppManagement/nonStore/${m.packageFamilyName}`;
    this.as(job.user, () => {
      // An update replaces the family's earlier versions.
      const fam = t.read(this.uri(job.scope, family));
      if (fam?.format === 'node' && fam.data)
        for (const full of fam.data.split('/')) if (full !== m.packageFullName) t.remove(this.uri(job.scope, `${family}/${full}`));
    });
    const props: Record<string, string> = {
      Name: m.name,
      Version: m.version,
      Publisher: m.publisher,
      Architecture: m.architecture,
      InstallLocation: `C:\\Program Files\\WindowsApps\\${m.packageFullName}`,
      IsFramework: dependency ? '1' : '0',
      IsBundle: m.format.endsWith('bundle') ? '1' : '0',
      InstallDate: now().toISOString(),
      ResourceID: '',
      PackageStatus: '0',
      RequiresReinstall: '0',
      Users: job.user ?? '',
      IsProvisioned: job.scope === 'device' ? '1' : '0',
      IsStub: '0',
    };
    const ints = new Set(['IsFramework', 'IsBundle', 'PackageStatus', 'RequiresReinstall', 'IsProvisioned', 'IsStub']);
    for (const [k, v] of Object.entries(props)) this.setNode(job, `${family}/${m.packageFullName}/${k}`, v, ints.has(k) ? 'int' : 'chr');
  }

  private finish(job: AppJob, code: number, e: HResult | undefined): void {
    this.error(job, e);
    this.status(job, code);
    job.state = e ? 'failed' : 'done';
    for (const p of job.packages) fs.rmSync(p.file, { force: true });
    this.alert(
      job.user,
      job.kind === 'msi'
        ? { code: MSI_ALERT_CODE, type: MSI_ALERT_TYPE, format: 'int', mark: 'informational', source: job.target, data: asInt(e?.code ?? 0) }
        : { type: MSIX_INSTALL_ALERT_TYPE, format: 'int', source: job.target, data: asInt(e?.code ?? 0) },
    );
  }

  // ---- inventory ------------------------------------------------------------------------------------

  /** Installed MSIX/APPX packages of a tree (the source, family and full name of each). */
  private packagesOf(scope: 'device' | 'user', user: string | null): InventoryPackage[] {
    const t = this.o.tree;
    return this.as(user, () => {
      const out: InventoryPackage[] = [];
      for (const source of SOURCES) {
        const base = `${MODERN}/AppManagement/${source}`;
        const families = t.read(this.uri(scope, base))?.data;
        for (const pfn of families ? families.split('/') : []) {
          const fulls = t.read(this.uri(scope, `${base}/${pfn}`));
          if (fulls?.format !== 'node') continue;
          for (const full of fulls.data ? fulls.data.split('/') : []) {
            const node = t.read(this.uri(scope, `${base}/${pfn}/${full}`));
            if (node?.format !== 'node') continue;
            const properties: Record<string, string> = {};
            for (const k of node.data ? node.data.split('/') : []) properties[k] = t.read(this.uri(scope, `${base}/${pfn}/${full}/${k}`))?.data ?? '';
            out.push({ source, packageFamilyName: pfn, packageFullName: full, properties });
          }
        }
      }
      return out;
    });
  }

  private findPackage(scope: 'device' | 'user', user: string | null, fullName: string): { source: string; pfn: string } | undefined {
    const p = this.packagesOf(scope, user).find((x) => x.packageFullName === fullName);
    return p && { source: p.source, pfn: p.packageFamilyName };
  }

  /** AppInventoryResults of a tree: the device's lists every user's packages too (Learn). */
  private inventory(scope: 'device' | 'user', user: string | null): string {
    const q = readInventoryQuery(this.as(user, () => this.o.tree.read(this.uri(scope, INVENTORY_QUERY))?.data ?? ''));
    const packages = this.packagesOf(scope, user);
    if (scope === 'device') for (const k of this.o.tree.userKeys()) packages.push(...this.packagesOf('user', k));
    return inventoryResults(q, packages);
  }

  // ---- persistence ----------------------------------------------------------------------------------

  save(): SavedApps {
    return structuredClone({ jobs: this.jobs, alerts: this.alerts });
  }

  load(s: SavedApps | undefined): void {
    this.jobs.length = 0;
    this.alerts = [];
    if (!s) return;
    if (!Array.isArray(s.jobs) || !Array.isArray(s.alerts)) throw new Error('apps: not saved app jobs');
    this.jobs.push(...structuredClone(s.jobs));
    this.alerts = structuredClone(s.alerts);
  }
}

function readAtOf(file: string): (offset: number, length: number) => Promise<Buffer> {
  return async (offset, length) => {
    const fh = await fs.promises.open(file, 'r');
    try {
      const buf = Buffer.alloc(length);
      const { bytesRead } = await fh.read(buf, 0, length, offset);
      return buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  };
}

/** The hash fault: one byte of the downloaded file flipped, as a corrupting proxy would. */
function corrupt(file: string): void {
  const fd = fs.openSync(file, 'r+');
  try {
    const size = fs.fstatSync(fd).size;
    if (size === 0) {
      fs.writeSync(fd, Buffer.from([0]));
      return;
    }
    const at = Math.floor(size / 2);
    const b = Buffer.alloc(1);
    fs.readSync(fd, b, 0, 1, at);
    b[0] ^= 0xff;
    fs.writeSync(fd, b, 0, 1, at);
  } finally {
    fs.closeSync(fd);
  }
}
