// The device simulator's OMA-DM management tree: an in-memory model of the Windows DM tree and
// of how Windows answers the commands a server sends into it (MS-MDM; docs/protocol-notes.md
// "Commands", "LocURIs and scope", "DMClient", "DevInfo and DevDetail").
//
// Semantics (what the DM client of a real Windows device answers):
// * Add: creates a leaf (Meta/Format, default chr) or an interior node (Format node); missing
//   parents are created implicitly; an existing node → 418.
// * Replace: overwrites an existing leaf; a missing node → 404; an interior node → 405.
// * Delete: removes the node and its subtree; missing → 404.
// * Get: leaf → Results with the node's Format; interior node → Results Format `node`, Data =
//   the child names, `/`-separated; missing → 404.
// * Exec: known executable nodes (DMClient Unenroll, Reboot, RemoteWipe, SCEP Enroll, …) → 200,
//   recorded in `execs`; another existing node → 405; unknown → 404.
// * Read-only nodes (./DevInfo, ./DevDetail and the Get-only DMClient leaves) → 405 for
//   Add/Replace/Delete/Exec.
// * ./User/… while no user context exists for the session → 405 (every command).
// * Atomic: all or nothing. When any member fails the tree is rolled back, the Atomic gets 507,
//   each member that had succeeded gets 216 and the failing ones keep their codes. A nested
//   Atomic → 500 (its members are not executed: 215), the outer one 507; Get inside Atomic → 500.
// * Sequence: members run in order, each with its own status; the Sequence itself 200.
//
// `./Device/…` and `./…` address the same device tree, as on Windows. Every command received is
// appended to `log`, every successful Exec to `execs` (not those of a rolled-back Atomic).
import type { AlertCommand, ContainerCommand, Item, ItemCommand, SyncCommand } from '../protocol/syncml/types.js';
import { STATUS } from '../protocol/syncml/types.js';

interface DmNode {
  /** Meta/Format: 'node' for interior nodes. */
  format: string;
  type?: string;
  value?: string;
  children?: Map<string, DmNode>;
  /** Add/Replace/Delete/Exec refused (405) on this node. */
  readOnly?: boolean;
  /** …and on everything below it. */
  readOnlyTree?: boolean;
  /** Add on the existing leaf overwrites it (200) instead of 418 (DMClient Push/PFN: servers Add or Replace it). */
  addReplaces?: boolean;
}

/** A node as the state file keeps it (DmTree.save / DmTree.load). */
export interface SavedDmNode {
  format: string;
  type?: string;
  value?: string;
  readOnly?: boolean;
  readOnlyTree?: boolean;
  addReplaces?: boolean;
  children?: Record<string, SavedDmNode>;
}

/** The device tree and every user's tree. */
export interface SavedDmTree {
  device: SavedDmNode;
  users: Record<string, SavedDmNode>;
}

export interface DmLeafInit {
  /** Default chr; 'node' makes an interior node. */
  format?: string;
  type?: string;
  value?: string;
  readOnly?: boolean;
  readOnlyTree?: boolean;
  addReplaces?: boolean;
}

/** One command as the tree received it (nested members get their own entries). */
export interface DmLogEntry {
  kind: string;
  cmdId: string;
  /** Server MsgID of the message that carried it, when the caller said. */
  msgId?: string;
  /** Item targets (or the Alert code for alerts). */
  targets: string[];
  /** Item data, in item order (undefined where an item has none). */
  data: (string | undefined)[];
  formats: (string | undefined)[];
  /** Final status (after any Atomic rollback). */
  status: string;
  /** Enclosing Atomic/Sequence CmdIDs, outermost first. */
  parents: string[];
  user: string | null;
}

export interface DmExecRecord {
  target: string;
  data?: string;
  format?: string;
  cmdId: string;
  msgId?: string;
  user: string | null;
}

export interface ItemOutcome {
  target: string;
  status: string;
  /** For a successful Get: the Results item. */
  result?: Item;
}

/** What one command did: item statuses, container members, overall status. */
export interface CommandOutcome {
  kind: SyncCommand['kind'];
  cmdId: string;
  /** One code when all items agree; otherwise the first failing item's code. */
  status: string;
  items: ItemOutcome[];
  /** Atomic/Sequence members, in order. */
  children?: CommandOutcome[];
  /** Log entry of this command (kept in sync on rollback). */
  entry?: DmLogEntry;
}

export interface DmTreeOptions {
  now?: () => Date;
}

/** Where a hooked command lands: the scope, the user of a ./User tree, the scope-relative path. */
export interface DmHookContext {
  scope: 'device' | 'user';
  user: string | null;
  /** Scope-relative node path, `/`-joined (`Vendor/MSFT/…`), braces decoded. */
  path: string;
  /** The LocURI as the server sent it. */
  target: string;
}

/**
 * Behaviour a CSP model adds to the tree (the app CSPs, src/sim/apps): asynchronous Execs, values
 * computed at Get time in any tree, and what happens after a Delete.
 */
export interface DmTreeHooks {
  /** An Exec: the status to answer, or undefined to leave it to the tree. */
  exec?(x: DmHookContext & { data?: string; format?: string }): string | undefined;
  /** A leaf's value at Get time, or undefined to read the stored one. */
  value?(x: DmHookContext): string | undefined;
  /** After a successful Delete. */
  deleted?(x: DmHookContext): void;
  /** After a successful Add or Replace of a leaf (the Enrollment Status Page watches FirstSyncStatus, src/sim/esp.ts). */
  written?(x: DmHookContext & { kind: 'Add' | 'Replace'; data?: string }): void;
  /** A user's ./User tree was just created (setUser of a new key): seed its nodes. */
  userTree?(key: string): void;
  /** The hooks' own state at the start of an Atomic, given back to `restore` when it is rolled back. */
  snapshot?(): unknown;
  restore?(state: unknown): void;
}

export interface ExecuteContext {
  msgId?: string;
}

const is2xx = (code: string) => code.length === 3 && code[0] === '2';
/** Executed successfully (215 not executed and 216 rolled back are 2xx but not that). */
const succeeded = (code: string) => is2xx(code) && code !== STATUS.NOT_EXECUTED && code !== STATUS.ATOMIC_ROLLBACK_OK;

/**
 * Executable nodes (the Exec verb), as paths relative to the scope root (device or user).
 * The first group must name an existing node for the Exec to succeed (e.g. the provider).
 */
const EXECUTABLE: { re: RegExp; mustExist?: (m: RegExpExecArray) => string }[] = [
  { re: /^Vendor\/MSFT\/DMClient\/Provider\/([^/]+)\/Unenroll$/, mustExist: (m) => `Vendor/MSFT/DMClient/Provider/${m[1]}` },
  { re: /^Vendor\/MSFT\/DMClient\/Provider\/([^/]+)\/Recovery\/InitiateRecovery$/, mustExist: (m) => `Vendor/MSFT/DMClient/Provider/${m[1]}` },
  { re: /^Vendor\/MSFT\/DMClient\/Provider\/([^/]+)\/LinkedEnrollment\/(Enroll|Unenroll)$/, mustExist: (m) => `Vendor/MSFT/DMClient/Provider/${m[1]}` },
  { re: /^Vendor\/MSFT\/DMClient\/Unenroll$/ },
  { re: /^Vendor\/MSFT\/Reboot\/RebootNow$/ },
  { re: /^Vendor\/MSFT\/RemoteWipe\/(doWipe|doWipePersistProvisionedData|doWipeProtected|doWipePersistUserData|doWipeCloudReset)$/ },
  { re: /^Vendor\/MSFT\/ClientCertificateInstall\/SCEP\/[^/]+\/Install\/Enroll$/ },
  { re: /^Vendor\/MSFT\/CertificateStore\/My\/WSTEP\/Renew\/RenewNow$/ },
  { re: /^Vendor\/MSFT\/EnterpriseModernAppManagement\/AppInstallation\/[^/]+\/(StoreInstall|HostedInstall)$/ },
  { re: /^Vendor\/MSFT\/EnterpriseModernAppManagement\/AppManagement\/RemovePackage$/ },
  { re: /^Vendor\/MSFT\/EnterpriseModernAppManagement\/AppLicenses\/StoreLicenses\/[^/]+\/(AddLicense|GetLicenseFromStore)$/ },
];

type Resolved = { ok: true; scope: 'device' | 'user'; root: DmNode; segs: string[] } | { ok: false; status: string };

const newInterior = (): DmNode => ({ format: 'node', children: new Map() });

export class DmTree {
  readonly log: DmLogEntry[] = [];
  readonly execs: DmExecRecord[] = [];
  private device: DmNode = newInterior();
  private users = new Map<string, DmNode>();
  private user: string | null = null;
  private readonly now: () => Date;
  /** Values computed at Get time (e.g. DevDetail LocalTime), by device-relative path. */
  private computed = new Map<string, () => string>();
  /** CSP behaviour beyond the generic tree (see DmTreeHooks). */
  hooks: DmTreeHooks = {};

  constructor(opts: DmTreeOptions = {}) {
    this.now = opts.now ?? (() => new Date());
  }

  // ---- user context ---------------------------------------------------------------------------

  /** The user whose ./User tree commands address in this session; null = no user context. */
  setUser(key: string | null): void {
    this.user = key;
    if (key !== null && !this.users.has(key)) {
      this.users.set(key, newInterior());
      this.hooks.userTree?.(key);
    }
  }

  get currentUser(): string | null {
    return this.user;
  }

  /** The users that have a ./User tree on this device. */
  userKeys(): string[] {
    return [...this.users.keys()];
  }

  // ---- direct access (seeding, tests) ---------------------------------------------------------

  /** Create or overwrite a node, creating parents; bypasses every protection. */
  set(uri: string, init: DmLeafInit = {}): void {
    const r = this.resolve(uri);
    if (!r.ok) throw new Error(`cannot set ${uri}: ${r.status}`);
    if (r.segs.length === 0) throw new Error('cannot set a tree root');
    const parent = this.ensureParents(r.root, r.segs.slice(0, -1));
    if (!parent) throw new Error(`cannot set ${uri}: a parent is a leaf`);
    const name = r.segs[r.segs.length - 1];
    const existing = parent.children!.get(name);
    const format = init.format ?? existing?.format ?? 'chr';
    const node: DmNode = format === 'node' ? { format, children: existing?.children ?? new Map() } : { format, value: init.value ?? '' };
    if (init.type !== undefined) node.type = init.type;
    if (init.readOnly) node.readOnly = true;
    if (init.readOnlyTree) node.readOnlyTree = true;
    if (init.addReplaces) node.addReplaces = true;
    parent.children!.set(name, node);
  }

  // ---- persistence (the simulator's state file) -------------------------------------------------

  /** The nodes as plain JSON (values computed at Get time are not kept: they are registered again by whoever builds the tree). */
  save(): SavedDmTree {
    return { device: saveNode(this.device), users: Object.fromEntries([...this.users].map(([k, n]) => [k, saveNode(n)])) };
  }

  /** Replace every node with saved ones (the computed values registered on this tree stay). */
  load(s: SavedDmTree): void {
    this.device = loadNode(s.device, 'device');
    this.users = new Map(Object.entries(s.users).map(([k, n]) => [k, loadNode(n, `users.${k}`)]));
    this.user = null;
  }

  /** Remove a node (and subtree) directly; false when absent. */
  remove(uri: string): boolean {
    const r = this.resolve(uri);
    if (!r.ok || r.segs.length === 0) return false;
    const parent = this.find(r.root, r.segs.slice(0, -1));
    return !!parent?.children?.delete(r.segs[r.segs.length - 1]);
  }

  /** A Get-like read without logging or protections; undefined when absent. */
  read(uri: string): { format: string; type?: string; data: string } | undefined {
    const r = this.resolve(uri);
    if (!r.ok) return undefined;
    const node = this.find(r.root, r.segs);
    if (!node) return undefined;
    return this.valueOf(node, r);
  }

  has(uri: string): boolean {
    return this.read(uri) !== undefined;
  }

  /** Value computed at each Get (device tree only). */
  setComputed(uri: string, fn: () => string): void {
    const r = this.resolve(uri);
    if (!r.ok || r.scope !== 'device') throw new Error(`cannot compute ${uri}`);
    this.computed.set(r.segs.join('/'), fn);
  }

  // ---- command execution ----------------------------------------------------------------------

  /** Execute one server command (top level) and return what happened. */
  execute(cmd: ItemCommand | ContainerCommand | AlertCommand, ctx: ExecuteContext = {}): CommandOutcome {
    return this.run(cmd, ctx, [], false);
  }

  private run(cmd: ItemCommand | ContainerCommand | AlertCommand, ctx: ExecuteContext, parents: string[], inAtomic: boolean): CommandOutcome {
    const entry = this.logEntry(cmd, ctx, parents);
    let out: CommandOutcome;
    if (isContainer(cmd)) out = cmd.kind === 'Atomic' ? this.runAtomic(cmd, ctx, parents, inAtomic) : this.runSequence(cmd, ctx, parents, inAtomic);
    else if (cmd.kind === 'Alert') out = { kind: 'Alert', cmdId: cmd.cmdId, status: alertStatus(cmd.data), items: [] };
    else out = this.runItems(cmd, ctx, inAtomic);
    out.entry = entry;
    entry.status = out.status;
    return out;
  }

  private logEntry(cmd: ItemCommand | ContainerCommand | AlertCommand, ctx: ExecuteContext, parents: string[]): DmLogEntry {
    const entry: DmLogEntry = { kind: cmd.kind, cmdId: cmd.cmdId, msgId: ctx.msgId, targets: [], data: [], formats: [], status: '', parents, user: this.user };
    if (cmd.kind === 'Alert') {
      entry.targets = [cmd.data];
      entry.data = cmd.items.map((i) => i.data);
      entry.formats = cmd.items.map((i) => i.meta?.format);
    } else if (!isContainer(cmd)) {
      entry.targets = cmd.items.map((i) => i.target ?? '');
      entry.data = cmd.items.map((i) => i.data);
      entry.formats = cmd.items.map((i) => i.meta?.format ?? cmd.meta?.format);
    }
    this.log.push(entry);
    return entry;
  }

  private runSequence(cmd: ContainerCommand, ctx: ExecuteContext, parents: string[], inAtomic: boolean): CommandOutcome {
    const inner = [...parents, cmd.cmdId];
    const children = cmd.commands.map((c) => this.run(c, ctx, inner, inAtomic));
    return { kind: 'Sequence', cmdId: cmd.cmdId, status: STATUS.OK, items: [], children };
  }

  private runAtomic(cmd: ContainerCommand, ctx: ExecuteContext, parents: string[], inAtomic: boolean): CommandOutcome {
    const inner = [...parents, cmd.cmdId];
    if (inAtomic) {
      // Windows does not support nested Atomic: the inner one fails, its members never run.
      const children = cmd.commands.map((c) => this.notExecuted(c, ctx, inner));
      return { kind: 'Atomic', cmdId: cmd.cmdId, status: STATUS.COMMAND_FAILED, items: [], children };
    }
    const snapshot = this.snapshot();
    const execCount = this.execs.length;
    const hooked = this.hooks.snapshot?.();
    const children = cmd.commands.map((c) => this.run(c, ctx, inner, true));
    if (!children.some(failed)) return { kind: 'Atomic', cmdId: cmd.cmdId, status: STATUS.OK, items: [], children };
    this.restore(snapshot);
    this.execs.length = execCount;
    this.hooks.restore?.(hooked);
    for (const c of children) markRolledBack(c);
    return { kind: 'Atomic', cmdId: cmd.cmdId, status: STATUS.ATOMIC_FAILED, items: [], children };
  }

  /** Members of a command that is refused as a whole: logged, status 215. */
  private notExecuted(cmd: ItemCommand | ContainerCommand | AlertCommand, ctx: ExecuteContext, parents: string[]): CommandOutcome {
    const entry = this.logEntry(cmd, ctx, parents);
    entry.status = STATUS.NOT_EXECUTED;
    const out: CommandOutcome = { kind: cmd.kind, cmdId: cmd.cmdId, status: STATUS.NOT_EXECUTED, items: [], entry };
    if (isContainer(cmd)) out.children = cmd.commands.map((c) => this.notExecuted(c, ctx, [...parents, cmd.cmdId]));
    else if (cmd.kind !== 'Alert') out.items = cmd.items.map((i) => ({ target: i.target ?? '', status: STATUS.NOT_EXECUTED }));
    return out;
  }

  private runItems(cmd: ItemCommand, ctx: ExecuteContext, inAtomic: boolean): CommandOutcome {
    let items: ItemOutcome[];
    if (cmd.items.length === 0) {
      items = [];
    } else if (cmd.kind === 'Get' && inAtomic) {
      items = cmd.items.map((it) => ({ target: it.target ?? '', status: STATUS.COMMAND_FAILED }));
    } else {
      items = cmd.items.map((it) => this.runItem(cmd, it, ctx));
    }
    const status = items.length === 0 ? STATUS.BAD_REQUEST : overall(items.map((i) => i.status));
    return { kind: cmd.kind, cmdId: cmd.cmdId, status, items };
  }

  private runItem(cmd: ItemCommand, it: Item, ctx: ExecuteContext): ItemOutcome {
    const target = it.target ?? '';
    const done = (status: string, result?: Item): ItemOutcome => (result ? { target, status, result } : { target, status });
    if (!target) return done(STATUS.BAD_REQUEST);
    const r = this.resolve(target);
    if (!r.ok) return done(r.status);
    const format = it.meta?.format ?? cmd.meta?.format;
    const type = it.meta?.type ?? cmd.meta?.type;
    switch (cmd.kind) {
      case 'Get': {
        const node = this.find(r.root, r.segs);
        if (!node) return done(STATUS.NOT_FOUND);
        const v = this.valueOf(node, r);
        const meta: Item['meta'] = { format: v.format };
        if (v.type) meta.type = v.type;
        return done(STATUS.OK, { source: target, meta, data: v.data });
      }
      case 'Add': {
        if (r.segs.length === 0) return done(STATUS.ALREADY_EXISTS);
        if (this.readOnlyAt(r.root, r.segs)) return done(STATUS.NOT_ALLOWED);
        const existing = this.find(r.root, r.segs);
        if (existing?.addReplaces && !existing.children && format !== 'node') {
          existing.value = it.data ?? '';
          this.hooks.written?.({ ...this.hookContext(r, target), kind: 'Add', data: it.data });
          return done(STATUS.OK);
        }
        if (existing) return done(STATUS.ALREADY_EXISTS);
        const parent = this.ensureParents(r.root, r.segs.slice(0, -1));
        if (!parent) return done(STATUS.COMMAND_FAILED); // a parent is a leaf
        const node: DmNode = format === 'node' ? newInterior() : { format: format ?? 'chr', value: it.data ?? '' };
        if (type && format !== 'node') node.type = type;
        parent.children!.set(r.segs[r.segs.length - 1], node);
        if (format !== 'node') this.hooks.written?.({ ...this.hookContext(r, target), kind: 'Add', data: it.data });
        return done(STATUS.OK);
      }
      case 'Replace': {
        if (this.readOnlyAt(r.root, r.segs)) return done(STATUS.NOT_ALLOWED);
        const node = this.find(r.root, r.segs);
        if (!node) return done(STATUS.NOT_FOUND);
        if (node.format === 'node' || format === 'node') return done(STATUS.NOT_ALLOWED);
        node.value = it.data ?? '';
        if (format) node.format = format;
        if (type) node.type = type;
        this.hooks.written?.({ ...this.hookContext(r, target), kind: 'Replace', data: it.data });
        return done(STATUS.OK);
      }
      case 'Delete': {
        if (r.segs.length === 0) return done(STATUS.NOT_ALLOWED);
        if (this.readOnlyAt(r.root, r.segs)) return done(STATUS.NOT_ALLOWED);
        const parent = this.find(r.root, r.segs.slice(0, -1));
        if (!parent?.children?.delete(r.segs[r.segs.length - 1])) return done(STATUS.NOT_FOUND);
        this.hooks.deleted?.(this.hookContext(r, target));
        return done(STATUS.OK);
      }
      case 'Exec': {
        const rel = r.segs.join('/');
        const hooked = this.hooks.exec?.({ ...this.hookContext(r, target), data: it.data, format });
        if (hooked !== undefined) {
          if (succeeded(hooked))
            this.execs.push({ target, data: it.data, format, cmdId: cmd.cmdId, msgId: ctx.msgId, user: r.scope === 'user' ? this.user : null });
          return done(hooked);
        }
        for (const x of EXECUTABLE) {
          const m = x.re.exec(rel);
          if (!m) continue;
          if (x.mustExist && !this.find(r.root, x.mustExist(m).split('/'))) return done(STATUS.NOT_FOUND);
          this.execs.push({ target, data: it.data, format, cmdId: cmd.cmdId, msgId: ctx.msgId, user: r.scope === 'user' ? this.user : null });
          return done(STATUS.OK);
        }
        return done(this.find(r.root, r.segs) ? STATUS.NOT_ALLOWED : STATUS.NOT_FOUND);
      }
    }
  }

  // ---- internals ------------------------------------------------------------------------------

  /**
   * A LocURI → scope root and segments. `./User/…` needs a user context (405 otherwise),
   * `./Device/…` is the device tree. Malformed URIs → 400.
   */
  private resolve(uri: string): Resolved {
    let u = uri.trim();
    if (u === '.' || u === './') u = '.';
    else if (u.startsWith('./')) u = u.replace(/\/+$/, '');
    else if (u.startsWith('/') || u === '') return { ok: false, status: STATUS.BAD_REQUEST };
    else u = './' + u.replace(/\/+$/, ''); // relative URI without the leading "./"
    // Windows unescapes node names: `%7BGUID%7D` and `{GUID}` name the same node (MSI product codes).
    const segs =
      u === '.'
        ? []
        : u
            .slice(2)
            .split('/')
            .map((s) => s.replace(/%7B/gi, '{').replace(/%7D/gi, '}'));
    if (segs.some((s) => s === '' || s === '.' || s === '..' || s === '*')) return { ok: false, status: STATUS.BAD_REQUEST };
    if (segs[0] === 'User') {
      if (this.user === null) return { ok: false, status: STATUS.NOT_ALLOWED };
      return { ok: true, scope: 'user', root: this.users.get(this.user)!, segs: segs.slice(1) };
    }
    if (segs[0] === 'Device') return { ok: true, scope: 'device', root: this.device, segs: segs.slice(1) };
    return { ok: true, scope: 'device', root: this.device, segs };
  }

  private find(root: DmNode, segs: string[]): DmNode | undefined {
    let n: DmNode | undefined = root;
    for (const s of segs) {
      n = n.children?.get(s);
      if (!n) return undefined;
    }
    return n;
  }

  /** Parents of a new node, created as interior nodes; undefined when one of them is a leaf. */
  private ensureParents(root: DmNode, segs: string[]): DmNode | undefined {
    let n = root;
    for (const s of segs) {
      if (!n.children) return undefined;
      let next = n.children.get(s);
      if (!next) {
        next = newInterior();
        n.children.set(s, next);
      }
      n = next;
    }
    return n.children ? n : undefined;
  }

  /** Is the node at segs (existing or not) protected by itself or a read-only ancestor? */
  private readOnlyAt(root: DmNode, segs: string[]): boolean {
    let n: DmNode | undefined = root;
    for (let i = 0; i < segs.length; i++) {
      n = n.children?.get(segs[i]);
      if (!n) return false;
      if (n.readOnlyTree) return true;
      if (i === segs.length - 1 && n.readOnly) return true;
    }
    return false;
  }

  private valueOf(node: DmNode, r: Extract<Resolved, { ok: true }>): { format: string; type?: string; data: string } {
    if (node.children) return { format: 'node', data: [...node.children.keys()].join('/') };
    const fn = r.scope === 'device' ? this.computed.get(r.segs.join('/')) : undefined;
    const hooked = fn ? undefined : this.hooks.value?.(this.hookContext(r, ''));
    const out: { format: string; type?: string; data: string } = { format: node.format, data: fn ? fn() : (hooked ?? node.value ?? '') };
    if (node.type) out.type = node.type;
    return out;
  }

  private hookContext(r: Extract<Resolved, { ok: true }>, target: string): DmHookContext {
    return { scope: r.scope, user: r.scope === 'user' ? this.user : null, path: r.segs.join('/'), target };
  }

  private snapshot(): { device: DmNode; users: Map<string, DmNode> } {
    return structuredClone({ device: this.device, users: this.users });
  }

  private restore(s: { device: DmNode; users: Map<string, DmNode> }): void {
    this.device = s.device;
    this.users = s.users;
  }

  /** Current time as Windows writes DevDetail LocalTime. */
  localTime(): string {
    return isoLocal(this.now());
  }
}

function saveNode(n: DmNode): SavedDmNode {
  const out: SavedDmNode = { format: n.format };
  if (n.type !== undefined) out.type = n.type;
  if (n.value !== undefined) out.value = n.value;
  if (n.readOnly) out.readOnly = true;
  if (n.readOnlyTree) out.readOnlyTree = true;
  if (n.addReplaces) out.addReplaces = true;
  if (n.children) out.children = Object.fromEntries([...n.children].map(([k, c]) => [k, saveNode(c)]));
  return out;
}

/** A saved node, checked (it comes from a file an operator may have edited): throws naming the path. */
function loadNode(v: unknown, where: string): DmNode {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error(`${where}: not a DM tree node`);
  const o = v as Record<string, unknown>;
  if (typeof o.format !== 'string') throw new Error(`${where}.format: not a string`);
  for (const k of ['type', 'value'] as const) if (o[k] !== undefined && typeof o[k] !== 'string') throw new Error(`${where}.${k}: not a string`);
  const n: DmNode = { format: o.format };
  if (o.type !== undefined) n.type = o.type as string;
  if (o.readOnly === true) n.readOnly = true;
  if (o.readOnlyTree === true) n.readOnlyTree = true;
  if (o.addReplaces === true) n.addReplaces = true;
  if (o.format === 'node') {
    const c = o.children ?? {};
    if (!c || typeof c !== 'object' || Array.isArray(c)) throw new Error(`${where}.children: not an object`);
    n.children = new Map(Object.entries(c).map(([k, x]) => [k, loadNode(x, `${where}/${k}`)]));
  } else {
    n.value = (o.value as string | undefined) ?? '';
  }
  return n;
}

function isContainer(c: ItemCommand | ContainerCommand | AlertCommand): c is ContainerCommand {
  return c.kind === 'Atomic' || c.kind === 'Sequence';
}

function alertStatus(code: string): string {
  switch (code) {
    case '1222': // next message
    case '1223': // session abort
      return STATUS.OK;
    default:
      return STATUS.OPTIONAL_FEATURE;
  }
}

function overall(codes: string[]): string {
  if (codes.every((c) => c === codes[0])) return codes[0];
  return codes.find((c) => !is2xx(c)) ?? codes[0];
}

function failed(o: CommandOutcome): boolean {
  if (!is2xx(o.status)) return true;
  if (o.items.some((i) => !is2xx(i.status))) return true;
  return (o.children ?? []).some(failed);
}

/** After a rollback: whatever succeeded is now 216; failures keep their codes. */
function markRolledBack(o: CommandOutcome): void {
  for (const it of o.items) {
    if (succeeded(it.status)) {
      it.status = STATUS.ATOMIC_ROLLBACK_OK;
      delete it.result;
    }
  }
  if (succeeded(o.status)) o.status = o.items.length ? overall(o.items.map((i) => i.status)) : STATUS.ATOMIC_ROLLBACK_OK;
  if (o.entry) o.entry.status = o.status;
  for (const c of o.children ?? []) markRolledBack(c);
}

function isoLocal(d: Date): string {
  const off = -d.getTimezoneOffset();
  const pad = (n: number) => String(Math.floor(Math.abs(n))).padStart(2, '0');
  const local = new Date(d.getTime() + off * 60_000).toISOString().slice(0, 19);
  return `${local}${off >= 0 ? '+' : '-'}${pad(off / 60)}:${pad(off % 60)}`;
}

// ---- a realistic Windows tree -------------------------------------------------------------------

export interface DeviceInventory {
  deviceId: string;
  manufacturer: string;
  model: string;
  language: string;
  /** OMA-DM client version (./DevInfo/DmV). */
  dmVersion: string;
  osVersion: string;
  osPlatform: string;
  deviceName: string;
  serialNumber: string;
  oem: string;
  hardwareVersion: string;
  firmwareVersion: string;
  /** PROCESSOR_ARCHITECTURE value: 9 = AMD64, 12 = ARM64. */
  processorArchitecture: string;
  totalRamMb: number;
  totalStorageMb: number;
  freeStorageMb: number;
  wlanMac?: string;
  /** Extra LocURIs to leave out (Get → 404). */
  absent?: string[];
  /** DeviceStatus values (compliance reads them); default a healthy Windows 11 laptop. */
  health?: Partial<DeviceHealth>;
}

/**
 * The DeviceStatus CSP values a compliance policy reads (DeviceStatus.ddf), as the device reports
 * them; undefined leaves the node out (Get → 404, as an edition without it answers).
 */
export interface DeviceHealth {
  /** Compliance/EncryptionCompliance: 1 encrypted OS drive, 0 not. */
  encryption?: '0' | '1';
  /** Antivirus/Status: 0 on and monitoring, 1 disabled, 2 not monitoring, 3 temporarily not, 4 not applicable. */
  antivirus?: string;
  /** Antivirus/SignatureStatus: 1 up to date, 0 not, 2 not applicable. */
  antivirusSignatures?: string;
  /** Firewall/Status: 0 on and monitoring, 1 disabled, 2, 3, 4 as the antivirus. */
  firewall?: string;
  /** SecureBootState: 1 enabled, 2 disabled, 0 not supported. */
  secureBoot?: string;
  /** TPM/SpecificationVersion, e.g. "2.0, 0, 1.38"; '' without a TPM. */
  tpm?: string;
}

export const HEALTHY_DEVICE: Required<DeviceHealth> = {
  encryption: '1',
  antivirus: '0',
  antivirusSignatures: '1',
  firewall: '0',
  secureBoot: '1',
  tpm: '2.0, 0, 1.38',
};

const DEVICE_STATUS = './Vendor/MSFT/DeviceStatus';
const HEALTH_NODES: Record<keyof DeviceHealth, { path: string; format: string }> = {
  encryption: { path: `${DEVICE_STATUS}/Compliance/EncryptionCompliance`, format: 'int' },
  antivirus: { path: `${DEVICE_STATUS}/Antivirus/Status`, format: 'int' },
  antivirusSignatures: { path: `${DEVICE_STATUS}/Antivirus/SignatureStatus`, format: 'int' },
  firewall: { path: `${DEVICE_STATUS}/Firewall/Status`, format: 'int' },
  secureBoot: { path: `${DEVICE_STATUS}/SecureBootState`, format: 'int' },
  tpm: { path: `${DEVICE_STATUS}/TPM/SpecificationVersion`, format: 'chr' },
};

/** Write these DeviceStatus values into the tree (read-only nodes, as on Windows); a key given as undefined removes its node. */
export function setDeviceHealth(t: DmTree, h: Partial<DeviceHealth>): void {
  if (!t.has(DEVICE_STATUS)) t.set(DEVICE_STATUS, { format: 'node', readOnlyTree: true });
  for (const [k, v] of Object.entries(h) as [keyof DeviceHealth, string | undefined][]) {
    const n = HEALTH_NODES[k];
    if (!n) continue;
    if (v === undefined) t.remove(n.path);
    else t.set(n.path, { format: n.format, value: v, readOnly: true });
  }
}

/** Plausible inventory values for a Windows 11 laptop, derived from the device ID. */
export function defaultInventory(deviceId: string, over: Partial<DeviceInventory> = {}): DeviceInventory {
  const h = Buffer.from(deviceId.replace(/[^0-9a-f]/gi, '').padEnd(16, '0'), 'hex');
  const mac = [0x00, 0x15, 0x5d, h[0] ?? 1, h[1] ?? 2, h[2] ?? 3].map((b) => b.toString(16).padStart(2, '0').toUpperCase()).join(':');
  return {
    deviceId,
    manufacturer: 'Microsoft Corporation',
    model: 'Surface Laptop 5',
    language: 'en-US',
    dmVersion: '1.3',
    osVersion: '10.0.22631.4460',
    osPlatform: 'Windows 11 Enterprise',
    deviceName: `DESKTOP-${deviceId
      .replace(/[^0-9A-Za-z]/g, '')
      .slice(0, 7)
      .toUpperCase()}`,
    serialNumber: `0F${deviceId
      .replace(/[^0-9A-Za-z]/g, '')
      .slice(-10)
      .toUpperCase()}`,
    oem: 'Microsoft Corporation',
    hardwareVersion: '124I:00036T:000M:0200000B:11',
    firmwareVersion: '9.104.140',
    processorArchitecture: '9',
    totalRamMb: 16_384,
    totalStorageMb: 487_799,
    freeStorageMb: 312_104,
    wlanMac: mac,
    ...over,
  };
}

export interface ProviderInit {
  providerId: string;
  entDmId?: string;
  entDeviceName?: string;
  upn?: string;
  aadResourceId?: string;
  aadDeviceId?: string;
  enrollmentType: 'Device' | 'Full';
  hwDevId?: string;
  managementServiceAddress?: string;
  poll?: Record<string, string>;
  /** Other DMClient Provider parms from the provisioning doc (name → value). */
  extra?: Record<string, string>;
}

const DMCLIENT_READ_ONLY = new Set(['AADDeviceID', 'EnrollmentType', 'HWDevID', 'MaxSyncApplicationVersion']);

/** DevInfo, DevDetail and the standard CSP nodes of a Windows device (no enrollment yet). */
export function windowsTree(inv: DeviceInventory, opts: DmTreeOptions = {}): DmTree {
  const t = new DmTree(opts);
  t.set('./DevInfo', { format: 'node', readOnlyTree: true });
  t.set('./DevInfo/DevId', { value: inv.deviceId });
  t.set('./DevInfo/Man', { value: inv.manufacturer });
  t.set('./DevInfo/Mod', { value: inv.model });
  t.set('./DevInfo/DmV', { value: inv.dmVersion });
  t.set('./DevInfo/Lang', { value: inv.language });
  const dd = './DevDetail';
  t.set(dd, { format: 'node', readOnlyTree: true });
  t.set(`${dd}/DevTyp`, { value: 'Laptop' });
  t.set(`${dd}/OEM`, { value: inv.oem });
  t.set(`${dd}/FwV`, { value: inv.firmwareVersion });
  t.set(`${dd}/SwV`, { value: inv.osVersion });
  t.set(`${dd}/HwV`, { value: inv.hardwareVersion });
  t.set(`${dd}/LrgObj`, { format: 'bool', value: 'true' });
  t.set(`${dd}/URI/MaxDepth`, { format: 'int', value: '0' });
  t.set(`${dd}/URI/MaxTotLen`, { format: 'int', value: '0' });
  t.set(`${dd}/URI/MaxSegLen`, { format: 'int', value: '0' });
  const ms = `${dd}/Ext/Microsoft`;
  t.set(`${ms}/OSPlatform`, { value: inv.osPlatform });
  t.set(`${ms}/ProcessorArchitecture`, { format: 'int', value: inv.processorArchitecture });
  t.set(`${ms}/ProcessorType`, { format: 'int', value: inv.processorArchitecture === '12' ? '0' : '8664' });
  t.set(`${ms}/DeviceName`, { value: inv.deviceName });
  t.set(`${ms}/DNSComputerName`, { value: inv.deviceName });
  t.set(`${ms}/TotalStorage`, { format: 'int', value: String(inv.totalStorageMb) });
  t.set(`${ms}/FreeStorage`, { format: 'int', value: String(inv.freeStorageMb) });
  t.set(`${ms}/TotalRAM`, { format: 'int', value: String(inv.totalRamMb) });
  t.set(`${ms}/SMBIOSSerialNumber`, { value: inv.serialNumber });
  t.set(`${ms}/SMBIOSVersion`, { value: `${inv.firmwareVersion}` });
  t.set(`${ms}/SystemSKU`, { value: 'Surface_Laptop_5_1950' });
  t.set(`${ms}/LocalTime`, { value: '' });
  t.setComputed(`${ms}/LocalTime`, () => t.localTime());
  if (inv.wlanMac) t.set(`${dd}/Ext/WLANMACAddress`, { value: inv.wlanMac });
  // No MobileID, RadioSwV, Resolution, CommercializationOperator, DeviceHardwareData, ICCID:
  // a desktop Windows answers 404 for those.
  t.set('./Vendor/MSFT/Reboot/RebootNow', { format: 'null' });
  t.set('./Vendor/MSFT/RemoteWipe/doWipe', { format: 'null' });
  t.set('./Vendor/MSFT/RemoteWipe/doWipePersistProvisionedData', { format: 'null' });
  t.set('./Vendor/MSFT/RemoteWipe/doWipeProtected', { format: 'null' });
  t.set('./Vendor/MSFT/Policy/Config', { format: 'node' });
  t.set('./Vendor/MSFT/Policy/Result', { format: 'node' });
  setDeviceHealth(t, { ...HEALTHY_DEVICE, ...inv.health });
  for (const uri of inv.absent ?? []) t.remove(uri);
  return t;
}

/** The DMClient provider nodes an enrollment creates (docs/protocol-notes.md "DMClient"). */
export function addProvider(t: DmTree, p: ProviderInit): void {
  const base = `./Vendor/MSFT/DMClient/Provider/${encodeURIComponent(p.providerId)}`;
  const leaf = (name: string, value: string | undefined, format = 'chr') => {
    if (value === undefined) return;
    t.set(`${base}/${name}`, { value, format, readOnly: DMCLIENT_READ_ONLY.has(name) });
  };
  t.set(base, { format: 'node' });
  leaf('EntDMID', p.entDmId);
  leaf('EntDeviceName', p.entDeviceName);
  leaf('UPN', p.upn);
  leaf('AADResourceID', p.aadResourceId);
  leaf('AADDeviceID', p.aadDeviceId);
  leaf('EnrollmentType', p.enrollmentType);
  leaf('HWDevID', p.hwDevId);
  leaf('ManagementServiceAddress', p.managementServiceAddress);
  leaf('SyncApplicationVersion', p.extra?.SyncApplicationVersion ?? '1.0');
  leaf('MaxSyncApplicationVersion', '5.0');
  leaf('RequireMessageSigning', p.extra?.RequireMessageSigning ?? 'false', 'bool');
  for (const [k, v] of Object.entries(p.extra ?? {})) {
    if (k.startsWith('@') || k === 'SyncApplicationVersion' || k === 'RequireMessageSigning') continue;
    if (t.has(`${base}/${k}`)) continue;
    leaf(k, v);
  }
  for (const [k, v] of Object.entries(p.poll ?? {})) {
    leaf(`Poll/${k}`, v, /^(true|false)$/.test(v) ? 'bool' : /^\d+$/.test(v) ? 'int' : 'chr');
  }
  t.set(`${base}/Unenroll`, { format: 'null' });
}
