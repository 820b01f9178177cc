// The simulated device's Enrollment Status Page (issue #16): what Windows shows after an Entra
// join (the device phase) and at each user's first sign-in (the user phase), driven by DMClient
// Provider/{ProviderID}/FirstSyncStatus in ./Device and in the user's ./User tree.
//
// * The FirstSyncStatus nodes exist on the device with their defaults (DMClient DDF): the
//   Expected* lists empty (Add or Replace), TimeOutUntilSyncFailure 60, BlockInStatusPage 0,
//   the bool leaves false, CustomErrorText empty. The server fills them with Replace.
// * A phase begins on the device at enrollment (the device phase) or at a user's first sign-in on
//   the joined device (that user's phase; never again for the same user), and shows once the
//   server has written into its FirstSyncStatus (before: 'not-declared', and a server that
//   declares nothing never gets a page that times out); its time-out counts from its beginning.
// * While a phase is open, each evaluation (after every session, after the app jobs ran, when the
//   server writes ServerHasFinishedProvisioning, whenever the state is read) reads the Expected*
//   lists with the parser of src/protocol/csp/esp.ts and what each entry names: a policy or
//   network LocURI, a PFX/SCEP certificate node is done when present; an MSI's
//   …/MSI/{ProductCode}/Status is done at 70 and failed at 30 or 60; a modern app's
//   AppManagement/…/Name is done when present, failed when its AppInstallation Status is 2.
// * ServerHasFinishedProvisioning=true ends the phase 'done' (the items as they stood then are
//   kept); otherwise, when TimeOutUntilSyncFailure minutes (the device's value, for the user page
//   too) have passed since the phase opened, it ends 'timed-out' and the page shows
//   CustomErrorText (the phase tree's, else the device's, else Windows' own text). A failed item
//   does not end the page early: it waits for the server or the time-out.
// * SkipDeviceStatusPage / SkipUserStatusPage (./Device) true: the phase is 'skipped'.
//
// Time is the device's clock (SimDeviceOptions.now): tests move it instead of waiting.
import { EXPECTED_LISTS, parseExpectedList, type ExpectedList } from '../protocol/csp/esp.js';
import type { DmHookContext, DmTree } from './dm-tree.js';

/** What Windows shows when the time-out passes and the server set no CustomErrorText. */
export const WINDOWS_DEFAULT_ERROR_TEXT = 'Setup could not be completed. Please try again or contact your support person for help.';

const DEFAULT_TIMEOUT_MIN = 60;
const FSS = /^Vendor\/MSFT\/DMClient\/Provider\/([^/]+)\/FirstSyncStatus\/([A-Za-z]+)$/;
const MSI_STATUS = /^(?:\.\/(?:Device|User)\/|\.\/)Vendor\/MSFT\/EnterpriseDesktopAppManagement\/MSI\/[^/]+\/Status$/;
const MODERN_NAME = /^(\.\/(?:Device\/|User\/)?)Vendor\/MSFT\/EnterpriseModernAppManagement\/AppManagement\/[^/]+\/([^/]+)\/[^/]+\/Name$/;

/** 'not-declared': the phase began but the server has written nothing in its FirstSyncStatus (no page shows, nothing times out). */
export type EspPhaseStatus = 'not-declared' | 'in-progress' | 'done' | 'timed-out' | 'skipped';
export type EspCategory = 'policies' | 'network' | 'certificates' | 'apps';

export interface SimEspItem {
  list: ExpectedList;
  category: EspCategory;
  uri: string;
  /** The app count after `;` in the app lists. */
  count?: number;
  status: 'pending' | 'done' | 'failed';
  /** When it was first seen done or failed. */
  at?: string;
  /** Why it failed (the MSI Status, the MSIX Status). */
  detail?: string;
}

export interface SimEspEvent {
  at: string;
  /** The device's session counter then. */
  session: number;
  type: 'started' | 'declared' | 'item-done' | 'item-failed' | 'server-finished' | 'done' | 'timed-out' | 'skipped' | 'declared-after-end';
  uri?: string;
  detail?: string;
}

export interface SimEspPhase {
  /** '' = the device phase; else the user's key (as SimDevice names users: the token's oid). */
  user: string;
  startedAt: string;
  status: EspPhaseStatus;
  items: SimEspItem[];
  /** TimeOutUntilSyncFailure as last read, minutes. */
  timeoutMinutes: number;
  /** startedAt + timeoutMinutes. */
  deadline: string;
  /** When the server set ServerHasFinishedProvisioning=true. */
  serverFinishedAt?: string;
  /** Items not done when the server said it had finished (should be none). */
  notDoneAtServerFinish?: string[];
  finishedAt?: string;
  /** What the page shows after the time-out. */
  errorText?: string;
  /** Entries of the Expected* lists that did not parse (kept out of the items). */
  errors: string[];
  events: SimEspEvent[];
}

export interface SavedEsp {
  phases: SimEspPhase[];
}

export interface SimEspOptions {
  tree: DmTree;
  now: () => Date;
  providerId: () => string | undefined;
  /** The device's session counter (for the events). */
  session: () => number;
}

const CATEGORY: Record<ExpectedList, EspCategory> = {
  ExpectedPolicies: 'policies',
  ExpectedNetworkProfiles: 'network',
  ExpectedPFXCerts: 'certificates',
  ExpectedSCEPCerts: 'certificates',
  ExpectedMSIAppPackages: 'apps',
  ExpectedModernAppPackages: 'apps',
};

/** The FirstSyncStatus leaves Windows has, with their defaults: ./Device has them all, ./User the first ones. */
const USER_LEAVES: [string, string, string, boolean?][] = [
  ...EXPECTED_LISTS.map((n): [string, string, string, boolean] => [n, 'chr', '', true]),
  ['ServerHasFinishedProvisioning', 'bool', 'false'],
  ['IsSyncDone', 'bool', 'false'],
  ['WasDeviceSuccessfullyProvisioned', 'int', '2'],
  ['AllowCollectLogsButton', 'bool', 'false'],
  ['CustomErrorText', 'chr', ''],
];
const DEVICE_LEAVES: [string, string, string, boolean?][] = [
  ...USER_LEAVES,
  ['TimeOutUntilSyncFailure', 'int', String(DEFAULT_TIMEOUT_MIN)],
  ['BlockInStatusPage', 'int', '0'],
  ['SkipDeviceStatusPage', 'bool', 'false'],
  ['SkipUserStatusPage', 'bool', 'false'],
];

export class SimEsp {
  phases: SimEspPhase[] = [];
  private readonly o: SimEspOptions;

  constructor(o: SimEspOptions) {
    this.o = o;
    const h = o.tree.hooks;
    const seedUser = h.userTree;
    h.userTree = (key) => {
      seedUser?.(key);
      this.seed(key);
    };
    h.written = (x) => this.written(x);
  }

  private root(user: string | null): string | undefined {
    const id = this.o.providerId();
    if (id === undefined) return undefined;
    return `./${user === null ? 'Device' : 'User'}/Vendor/MSFT/DMClient/Provider/${encodeURIComponent(id)}/FirstSyncStatus`;
  }

  /** The FirstSyncStatus nodes with their defaults, where missing (the device tree: user null). */
  seed(user: string | null): void {
    const root = this.root(user);
    if (!root) return;
    this.inTree(user, () => {
      for (const [name, format, value, addReplaces] of user === null ? DEVICE_LEAVES : USER_LEAVES)
        if (!this.o.tree.has(`${root}/${name}`)) this.o.tree.set(`${root}/${name}`, { format, value, addReplaces });
    });
  }

  /** The device phase starts (at enrollment). */
  startDevicePhase(): void {
    this.seed(null);
    this.start('');
  }

  /** A user signs in: their phase starts at their first sign-in only. */
  userSignedIn(key: string): void {
    if (this.phases.some((p) => p.user === key)) return;
    this.start(key);
  }

  private start(user: string): void {
    const at = this.o.now();
    const timeoutMinutes = this.timeoutMinutes();
    const p: SimEspPhase = {
      user,
      startedAt: at.toISOString(),
      status: 'not-declared',
      items: [],
      timeoutMinutes,
      deadline: new Date(at.getTime() + timeoutMinutes * 60_000).toISOString(),
      errors: [],
      events: [],
    };
    this.phases.push(p);
    this.event(p, 'started');
    this.evaluate();
  }

  /** The phase of the device ('') or of a user; undefined when it never started. */
  phase(user = ''): SimEspPhase | undefined {
    this.evaluate();
    return this.phases.find((p) => p.user === user);
  }

  // ---- evaluation --------------------------------------------------------------------------------

  /** Bring every open phase up to date with the tree and the clock. */
  evaluate(): void {
    for (const p of this.phases) if (p.status === 'in-progress' || p.status === 'not-declared') this.evaluatePhase(p);
  }

  private evaluatePhase(p: SimEspPhase): void {
    const user = p.user === '' ? null : p.user;
    const root = this.root(user);
    if (!root) return;
    const skip = this.read(null, `${this.root(null)}/${user === null ? 'SkipDeviceStatusPage' : 'SkipUserStatusPage'}`);
    if (skip === 'true') {
      this.end(p, 'skipped', this.o.now());
      return;
    }
    if (p.status === 'not-declared') return;
    this.readItems(p, user, root);
    p.timeoutMinutes = this.timeoutMinutes();
    const deadline = new Date(Date.parse(p.startedAt) + p.timeoutMinutes * 60_000);
    p.deadline = deadline.toISOString();
    const now = this.o.now();
    if (this.read(user, `${root}/ServerHasFinishedProvisioning`) === 'true' && now < deadline) {
      this.serverFinished(p);
      this.end(p, 'done', now);
    } else if (now >= deadline) {
      p.errorText = this.read(user, `${root}/CustomErrorText`) || this.read(null, `${this.root(null)}/CustomErrorText`) || WINDOWS_DEFAULT_ERROR_TEXT;
      this.end(p, 'timed-out', deadline, p.errorText);
    }
  }

  private readItems(p: SimEspPhase, user: string | null, root: string): void {
    const errors: string[] = [];
    const seen = new Set<string>();
    for (const list of EXPECTED_LISTS) {
      const value = this.read(user, `${root}/${list}`) ?? '';
      let entries: ReturnType<typeof parseExpectedList> = [];
      try {
        entries = parseExpectedList(value, { apps: list === 'ExpectedMSIAppPackages' || list === 'ExpectedModernAppPackages' });
      } catch (err) {
        errors.push(`${list}: ${(err as Error).message}`);
      }
      for (const e of entries) {
        const id = `${list} ${e.uri}`;
        seen.add(id);
        let item = p.items.find((i) => i.list === list && i.uri === e.uri);
        if (!item) {
          item = { list, category: CATEGORY[list], uri: e.uri, status: 'pending' };
          if (e.count !== undefined) item.count = e.count;
          p.items.push(item);
        }
        if (item.status === 'done') continue;
        const s = this.itemStatus(list, e.uri, user);
        if (s.status !== item.status) {
          item.status = s.status;
          if (s.status === 'pending') delete item.at;
          else {
            item.at = this.o.now().toISOString();
            this.event(p, s.status === 'done' ? 'item-done' : 'item-failed', e.uri, s.detail);
          }
          if (s.detail) item.detail = s.detail;
          else delete item.detail;
        }
      }
    }
    // Entries the server took out of the lists are no longer tracked.
    p.items = p.items.filter((i) => seen.has(`${i.list} ${i.uri}`));
    p.errors = errors;
  }

  private itemStatus(list: ExpectedList, uri: string, user: string | null): { status: SimEspItem['status']; detail?: string } {
    const at = (u: string) => (u.startsWith('./User/') ? user : null);
    if (list === 'ExpectedMSIAppPackages') {
      if (!MSI_STATUS.test(uri)) return { status: this.read(at(uri), uri) === undefined ? 'pending' : 'done' };
      const v = this.read(at(uri), uri);
      if (v === '70') return { status: 'done' };
      if (v === '30' || v === '60') return { status: 'failed', detail: `MSI Status ${v}` };
      return { status: 'pending' };
    }
    if (this.read(at(uri), uri) !== undefined) return { status: 'done' };
    if (list === 'ExpectedModernAppPackages') {
      const m = MODERN_NAME.exec(uri);
      const st = m && this.read(at(uri), `${m[1]}Vendor/MSFT/EnterpriseModernAppManagement/AppInstallation/${m[2]}/Status`);
      if (st === '2') return { status: 'failed', detail: 'AppInstallation Status 2' };
    }
    return { status: 'pending' };
  }

  private serverFinished(p: SimEspPhase): void {
    if (p.serverFinishedAt) return;
    p.serverFinishedAt = this.o.now().toISOString();
    p.notDoneAtServerFinish = p.items.filter((i) => i.status !== 'done').map((i) => i.uri);
    this.event(p, 'server-finished', undefined, p.notDoneAtServerFinish.length ? `not done: ${p.notDoneAtServerFinish.join(', ')}` : undefined);
  }

  private end(p: SimEspPhase, status: 'done' | 'timed-out' | 'skipped', at: Date, detail?: string): void {
    p.status = status;
    p.finishedAt = at.toISOString();
    this.event(p, status, undefined, detail);
    if (p.user === '' && status !== 'skipped') {
      // What Windows records once the device page is over (DMClient DDF).
      const root = this.root(null);
      this.o.tree.set(`${root}/IsSyncDone`, { format: 'bool', value: 'true' });
      this.o.tree.set(`${root}/WasDeviceSuccessfullyProvisioned`, { format: 'int', value: status === 'done' ? '1' : '0' });
    }
  }

  /** A server write into the tree: FirstSyncStatus declarations and the finishing Replace. */
  private written(x: DmHookContext & { kind: 'Add' | 'Replace'; data?: string }): void {
    const m = FSS.exec(x.path);
    if (!m) return;
    const id = this.o.providerId();
    if (id === undefined || (m[1] !== id && m[1] !== encodeURIComponent(id))) return;
    const p = this.phases.find((ph) => ph.user === (x.scope === 'device' ? '' : (x.user ?? '')));
    if (!p) return;
    const name = m[2];
    if (p.status === 'not-declared') p.status = 'in-progress';
    if (p.status !== 'in-progress') {
      if ((EXPECTED_LISTS as readonly string[]).includes(name)) this.event(p, 'declared-after-end', name);
      return;
    }
    if ((EXPECTED_LISTS as readonly string[]).includes(name)) this.event(p, 'declared', name);
    // The items as they stand when the server says it has finished.
    if (name === 'ServerHasFinishedProvisioning' && x.data === 'true') this.evaluatePhase(p);
  }

  // ---- helpers -----------------------------------------------------------------------------------

  private timeoutMinutes(): number {
    const v = this.read(null, `${this.root(null)}/TimeOutUntilSyncFailure`);
    return v !== undefined && /^\d{1,4}$/.test(v) && Number(v) >= 1 ? Number(v) : DEFAULT_TIMEOUT_MIN;
  }

  private event(p: SimEspPhase, type: SimEspEvent['type'], uri?: string, detail?: string): void {
    const e: SimEspEvent = { at: this.o.now().toISOString(), session: this.o.session(), type };
    if (uri !== undefined) e.uri = uri;
    if (detail !== undefined) e.detail = detail;
    p.events.push(e);
  }

  /** Read a node of the device tree (user null) or of a user's tree. */
  private read(user: string | null, uri: string): string | undefined {
    return this.inTree(user, () => this.o.tree.read(uri)?.data);
  }

  private inTree<T>(user: string | null, fn: () => T): T {
    if (user === null) return fn();
    const before = this.o.tree.currentUser;
    if (before === user) return fn();
    this.o.tree.setUser(user);
    try {
      return fn();
    } finally {
      this.o.tree.setUser(before);
    }
  }

  // ---- persistence -------------------------------------------------------------------------------

  save(): SavedEsp {
    return structuredClone({ phases: this.phases });
  }

  load(s: SavedEsp | undefined): void {
    this.phases = s ? structuredClone(s.phases) : [];
  }
}

/** The page as text, one line per phase and per item (`fenestra sim` prints it). */
export function describeEsp(phases: SimEspPhase[]): string[] {
  const out: string[] = [];
  for (const p of phases) {
    if (p.status === 'not-declared') continue;
    const who = p.user === '' ? 'device' : `user ${p.user}`;
    const done = p.items.filter((i) => i.status === 'done').length;
    let line = `ESP ${who}: ${p.status} (${done}/${p.items.length} items done, time-out ${p.timeoutMinutes} min`;
    line += p.finishedAt ? `, ended ${p.finishedAt})` : `, until ${p.deadline})`;
    if (p.status === 'timed-out') line += ` — "${p.errorText}"`;
    out.push(line);
    for (const i of p.items) out.push(`  ${i.status.padEnd(7)} ${i.category.padEnd(12)} ${i.uri}${i.detail ? ` (${i.detail})` : ''}`);
    for (const e of p.errors) out.push(`  unreadable ${e}`);
  }
  return out;
}
