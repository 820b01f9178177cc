// The reconciliation plan for one session of one device: for the device tree and for the
// session's user (if any), what is assigned (catalog targets) against what that pair has
// (delivery rows) → commands for the difference, and the delivery rows to write. No I/O: older
// compiled versions are looked up through `base`, which answers undefined for a version that
// is not loaded yet (the caller loads the `missing` ones and plans again).
//
// Rules (issue #4; docs/protocol-notes.md "Entra tokens", "LocURIs and scope"):
// * Device-scope profiles go to the device tree whoever is signed in. User-scope profiles go to
//   the session's user only; without a user context they are held ("no-user"), never failed.
// * A row in flight (pending, removing) is left alone until the device answers.
// * A desired profile is sent when its row is missing, removed, or at another version (only the
//   delta from the version the device acknowledged); failed rows wait for a new version; held
//   rows are retried when what held them changed.
// * A profile that refers to a certificate profile (VPN, Wi-Fi) waits until that certificate is
//   delivered in the right tree; a certificate that is not assigned there holds it.
// * A row whose profile is no longer assigned is removed with Deletes of its removal roots,
//   except roots that a still-assigned profile of the same tree writes into.
//
// * Apps (kind 'app', see appStep): an install is an Exec the device runs on its own; once it
//   is accepted the row is 'delivered' with a detail starting "installing", and every later
//   session Gets the app's Status (LastError, LastErrorDesc) until outcome.ts reads an end
//   (verified or failed); the plan is not settled meanwhile. A row the answers of this very turn
//   updated is not polled again in it (so one session polls once, however many turns it has).
//
// Each profile of a tree is decided by a pure function (`desiredStep`, `removalStep`) that says
// what to do as a `Step`; `planSession` numbers and queues the commands of the steps in order.
import crypto from 'node:crypto';
import { appDelta } from '../../protocol/csp/app.js';
import { profileDelta, readBackDigest, type ProfileDelta } from '../../protocol/csp/delta.js';
import type { CompiledProfile } from '../../protocol/csp/types.js';
import type { CommandPayload, CommandProfileRef, CommandRecord } from '../../domain/command.js';
import type { Device } from '../../domain/device.js';
import type { DeliveryHold, ProfileDelivery } from '../../domain/profile.js';
import { newCommand } from '../commands/queue.js';
import { sealPayload } from '../commands/sealed.js';
import { targetsFor, type EntraMemberships, type LiveProfile, type Snapshot } from './catalog.js';

export type BaseLookup = (profileId: string, version: number) => CompiledProfile | null | undefined;

export interface PlanInput {
  snap: Snapshot;
  device: Pick<Device, 'id' | 'deviceId' | 'entraDeviceId' | 'userOid' | 'upn' | 'enrollmentType'>;
  /** The ./User context of the session: delivery key and the identity used for targeting. Undefined: none. */
  user?: { key: string; oid: string; upn?: string };
  /** The session carries a validated Entra user token. */
  userPresent: boolean;
  /** The Entra groups of the device's principals (when some profile targets Entra groups). */
  entra?: EntraMemberships;
  /** Every delivery row of the device, as of this turn. */
  rows: ProfileDelivery[];
  base: BaseLookup;
  at: string;
  /** Seal a secret value for the queue (identity/secret-box). */
  seal: (value: string) => string;
  /** Command ids are `<planId>.<seq>`: they sort in plan order. Default random. */
  planId?: string;
  /**
   * Deltas by `profile:baseVersion:version`, shared between plans: every pair that has the same
   * version of a profile needs the same delta, computed once. Compiled versions never change.
   */
  deltas?: Map<string, ProfileDelta>;
}

export type PlanAction = 'install' | 'update' | 'remove' | 'hold' | 'bump' | 'in-flight';

export interface PlanEntry {
  profileId: string;
  name?: string;
  userKey: string;
  action: PlanAction;
  detail?: string;
}

export interface Plan {
  commands: CommandRecord[];
  /** Rows to write (insert or replace). */
  deliveries: ProfileDelivery[];
  /** Rows to drop: '' placeholders of user-scope profiles once a user context exists. */
  drop: { userKey: string; profileId: string }[];
  /** Nothing to send and nothing in flight: the device can skip planning until something changes. */
  settled: boolean;
  entries: PlanEntry[];
  /** Versions `base` did not have: load them and plan again. */
  missing: { profileId: string; version: number }[];
}

/** Delivery rows of a device by user key ('' for the device tree), then by profile id. */
export type RowIndex = Map<string, Map<string, ProfileDelivery>>;

/** One tree of the device: its own ('' key) or the session user's. */
export interface Tree {
  key: string;
  upn?: string;
  /** The profiles assigned to this tree, in any order. */
  desired: LiveProfile[];
  /** The user its commands wait for (an Entra join has several users), if any. */
  userOid?: string;
}

/** What a step reads besides the profile and its row. */
export interface StepContext {
  snap: Snapshot;
  /** Profiles assigned to the device tree: a user-scope profile may need a device-scope certificate. */
  deviceTargets: LiveProfile[];
  rows: RowIndex;
  tree: Tree;
  devicePk: string;
  at: string;
  userPresent: boolean;
  base: BaseLookup;
  /** The delta from a base version (null: from nothing) to the profile's current version. */
  delta: (p: LiveProfile, baseVersion: number | undefined, base: CompiledProfile | null) => ProfileDelta;
}

/** The commands of one delivery, before they are numbered, sealed and queued as one batch. */
export interface Delivery {
  profileId: string;
  version: number;
  /** LocURIs whose values are sealed in the queue. */
  secrets: Set<string>;
  payloads: { payload: CommandPayload; op: CommandProfileRef['op']; expect?: Record<string, string> }[];
}

/** What the plan does about one profile of one tree. */
export type Step =
  /** Nothing: delivered, failed at this version, held for a reason that has not changed, or not ours to remove. */
  | { do: 'nothing' }
  /** The device has not answered this profile's commands yet: the plan is not settled. */
  | { do: 'wait'; entry?: PlanEntry }
  /** A compiled version `base` did not have: load it and plan again. */
  | { do: 'load'; profileId: string; version: number }
  /** A row to write, and no command. `settled`: nothing will change it until an assignment or a version does. */
  | { do: 'write'; row: ProfileDelivery; settled: boolean; entry?: PlanEntry }
  /** Commands to send, and the row that says so (its `batch` is set when they are queued). */
  | { do: 'send'; delivery: Delivery; row: ProfileDelivery; entry: PlanEntry };

/** Why a profile waits for a certificate it refers to. `settled`: only a change of assignment or version ends the wait. */
export interface Waiting {
  hold: DeliveryHold;
  detail: string;
  settled: boolean;
}

const under = (uri: string, root: string) => uri === root || uri.startsWith(`${root}/`);
const DONE = new Set(['delivered', 'verified']);
const NOTHING: Step = { do: 'nothing' };

function sameRow(a: ProfileDelivery | undefined, b: ProfileDelivery): boolean {
  return (
    !!a &&
    a.status === b.status &&
    a.version === b.version &&
    a.appliedVersion === b.appliedVersion &&
    a.detail === b.detail &&
    a.hold === b.hold &&
    a.batch === b.batch &&
    a.upn === b.upn
  );
}

/** Certificates first (others may refer to them), then by id: the same input gives the same plan. */
function deliveryOrder(list: LiveProfile[]): LiveProfile[] {
  return [...list].sort((a, b) =>
    (a.kind === 'certificate') === (b.kind === 'certificate') ? (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) : a.kind === 'certificate' ? -1 : 1,
  );
}

function secretUris(c: CompiledProfile): Set<string> {
  const s = new Set<string>();
  for (const u of c.units) for (const n of u.nodes) if (n.secret) s.add(n.uri);
  return s;
}

function indexRows(rows: ProfileDelivery[]): RowIndex {
  const byKey: RowIndex = new Map();
  for (const r of rows) {
    let m = byKey.get(r.userKey);
    if (!m) byKey.set(r.userKey, (m = new Map()));
    m.set(r.profileId, r);
  }
  return byKey;
}

/** The delta, from the shared cache when another pair needed it already. */
function cachedDelta(
  deltas: Map<string, ProfileDelta> | undefined,
  p: LiveProfile,
  baseVersion: number | undefined,
  base: CompiledProfile | null,
): ProfileDelta {
  const dk = `${p.id}:${baseVersion ?? '-'}:${p.version}`;
  let delta = deltas?.get(dk);
  if (!delta) {
    delta = profileDelta(base, p.compiled);
    if (deltas) {
      if (deltas.size >= 4096) deltas.clear();
      deltas.set(dk, delta);
    }
  }
  return delta;
}

/** A row at the profile's current version that stays as it is: delivered, failed (waits for a new version), or refused and nothing changed since. */
function stands(cur: ProfileDelivery, userPresent: boolean): boolean {
  if (DONE.has(cur.status) || cur.status === 'failed') return true;
  if (cur.status !== 'held') return false;
  return cur.hold === 'refused-with-user' || (cur.hold === 'refused-no-user' && !userPresent);
}

/**
 * Why `p` must wait for the certificate profiles it refers to (undefined: they are in place): one
 * that does not exist or is not assigned to the tree it must be in holds it for good (settled);
 * one not delivered yet holds it until it is, unless it failed at its current version.
 */
export function dependencyWait(p: LiveProfile, c: Pick<StepContext, 'snap' | 'deviceTargets' | 'rows' | 'tree'>): Waiting | undefined {
  for (const ref of p.compiled.requires) {
    const certId = c.snap.byRef.get(ref);
    const cert = certId ? c.snap.profiles.get(certId) : undefined;
    if (!cert) return { hold: 'dependency', detail: `needs certificate profile "${ref}", which does not exist`, settled: true };
    const certKey = cert.scope === 'device' ? '' : c.tree.key;
    const assignedThere = (cert.scope === 'device' ? c.deviceTargets : c.tree.desired).some((x) => x.id === cert.id);
    if (!assignedThere) {
      return {
        hold: 'dependency',
        detail: `needs certificate profile "${cert.name}", which is not assigned to this ${cert.scope === 'device' ? 'device' : 'user'}`,
        settled: true,
      };
    }
    const cr = c.rows.get(certKey)?.get(cert.id);
    if (!cr || cr.version !== cert.version || !DONE.has(cr.status)) {
      const failed = cr?.status === 'failed' && cr.version === cert.version;
      return { hold: 'dependency', detail: `waiting for certificate profile "${cert.name}"${failed ? ' (it failed)' : ''}`, settled: failed };
    }
  }
  return undefined;
}

/** A profile assigned to the tree, with its row there (if any): in flight, nothing to do, held for a certificate, bumped, or sent. */
export function desiredStep(p: LiveProfile, cur: ProfileDelivery | undefined, c: StepContext): Step {
  const entry = (action: PlanAction, detail: string): PlanEntry => ({ profileId: p.id, name: p.name, userKey: c.tree.key, action, detail });
  const row = (fields: Partial<ProfileDelivery>): ProfileDelivery => ({
    devicePk: c.devicePk,
    userKey: c.tree.key,
    upn: c.tree.upn,
    profileId: p.id,
    version: p.version,
    status: 'pending',
    updatedAt: c.at,
    ...fields,
  });
  if (cur && (cur.status === 'pending' || cur.status === 'removing'))
    return { do: 'wait', entry: entry('in-flight', `waiting for the device's answer (${cur.status})`) };
  if (p.compiled.app) return appStep(p, cur, c, entry, row);
  if (cur && cur.version === p.version && cur.status !== 'removed' && stands(cur, c.userPresent)) return NOTHING;
  // Certificates it refers to must be in place first.
  const waiting = dependencyWait(p, c);
  if (waiting) {
    const held = row({ status: 'held', hold: waiting.hold, detail: waiting.detail, appliedVersion: cur?.appliedVersion, batch: cur?.batch });
    return { do: 'write', row: held, settled: waiting.settled, entry: entry('hold', waiting.detail) };
  }
  const baseVersion = cur && cur.status !== 'removed' ? cur.appliedVersion : undefined;
  const base = baseVersion === undefined ? null : c.base(p.id, baseVersion);
  if (base === undefined) return { do: 'load', profileId: p.id, version: baseVersion! };
  const delta = c.delta(p, baseVersion, base);
  if (delta.commands.length === 0) {
    // Same nodes (e.g. only the name changed): nothing to send, the row moves to the new version.
    const bumped = row({ status: cur?.status === 'verified' ? 'verified' : 'delivered', appliedVersion: p.version, batch: cur?.batch });
    return { do: 'write', row: bumped, settled: true, entry: entry('bump', `version ${p.version}: no node changed`) };
  }
  const payloads: Delivery['payloads'] = delta.commands.map((payload) => ({ payload, op: 'apply' }));
  if (delta.verify.length) {
    const expect: Record<string, string> = {};
    for (const n of delta.verify) expect[n.uri] = readBackDigest(n.format, n.value);
    payloads.push({ payload: { kind: 'Get', items: delta.verify.map((n) => ({ target: n.uri })) }, op: 'verify', expect });
  }
  return {
    do: 'send',
    delivery: { profileId: p.id, version: p.version, secrets: secretUris(p.compiled), payloads },
    row: row({ status: 'pending', appliedVersion: baseVersion, batch: undefined, detail: base ? `update from version ${baseVersion}` : 'install' }),
    entry: entry(base ? 'update' : 'install', `${delta.commands.length} command(s)${delta.verify.length ? `, ${delta.verify.length} node(s) read back` : ''}`),
  };
}

/** A delivered app still installing: its detail starts with this (outcome.ts writes the stage after it). */
export const INSTALLING = 'installing';
export const isInstalling = (r: ProfileDelivery) => r.status === 'delivered' && !!r.detail?.startsWith(INSTALLING);

/**
 * An app profile assigned to the tree (its row not in flight): poll an install that is running,
 * leave what stands, else send what takes the device from the version it acknowledged to this
 * one (appDelta: nothing for the same package, the install again for a new one — an upgrade).
 */
export function appStep(
  p: LiveProfile,
  cur: ProfileDelivery | undefined,
  c: StepContext,
  entry: (action: PlanAction, detail: string) => PlanEntry,
  row: (fields: Partial<ProfileDelivery>) => ProfileDelivery,
): Step {
  const app = p.compiled.app!;
  if (cur && cur.version === p.version && isInstalling(cur)) {
    // Answers of this turn just wrote it (the Exec accepted, or a poll answered): next session.
    if (cur.updatedAt >= c.at) return { do: 'wait', entry: entry('in-flight', cur.detail!) };
    const t = app.track;
    if (!t) return NOTHING;
    const targets = [t.status, t.lastError, t.lastErrorDesc].filter((x): x is string => !!x);
    return {
      do: 'send',
      delivery: {
        profileId: p.id,
        version: p.version,
        secrets: new Set(),
        // One Get per node: a node the device lacks (404) does not fail the others.
        payloads: targets.map((target) => ({ payload: { kind: 'Get', items: [{ target }] }, op: 'verify' })),
      },
      row: { ...cur, status: 'pending', batch: undefined, updatedAt: c.at },
      entry: entry('in-flight', `${cur.detail}: reading the install status`),
    };
  }
  if (cur && cur.version === p.version && cur.status !== 'removed' && stands(cur, c.userPresent)) return NOTHING;
  const baseVersion = cur && cur.status !== 'removed' ? cur.appliedVersion : undefined;
  const base = baseVersion === undefined ? null : c.base(p.id, baseVersion);
  if (base === undefined) return { do: 'load', profileId: p.id, version: baseVersion! };
  const commands = appDelta(base, app);
  if (commands.length === 0) {
    const bumped = row({ status: cur?.status === 'verified' ? 'verified' : 'delivered', appliedVersion: p.version, batch: cur?.batch, detail: cur?.detail });
    return { do: 'write', row: bumped, settled: !isInstalling(bumped), entry: entry('bump', `version ${p.version}: same package`) };
  }
  const what = app.intent === 'uninstall' ? 'uninstall' : base?.app ? `upgrade from version ${baseVersion}` : 'install';
  return {
    do: 'send',
    delivery: { profileId: p.id, version: p.version, secrets: new Set(), payloads: commands.map((payload) => ({ payload, op: 'apply' })) },
    row: row({ status: 'pending', appliedVersion: baseVersion, batch: undefined, detail: what }),
    entry: entry(base?.app ? 'update' : 'install', `${app.kind} ${what}: ${commands.length} command(s)`),
  };
}

/**
 * A row of the tree whose profile is no longer assigned there: Deletes of its removal roots, except
 * roots that `desiredUris` (the nodes of the profiles still assigned to the tree) write into.
 */
export function removalStep(cur: ProfileDelivery, desiredUris: string[], c: Pick<StepContext, 'snap' | 'tree' | 'at' | 'base'>): Step {
  const write = (row: ProfileDelivery): Step => ({ do: 'write', row, settled: true });
  if (cur.status === 'removed') return NOTHING;
  // Placeholders of user-scope profiles held while nobody is signed in are dropped, not removed (planSession).
  if (c.tree.key === '' && cur.hold === 'no-user') return NOTHING;
  if (c.snap.broken.has(cur.profileId)) return NOTHING;
  if (cur.status === 'pending' || cur.status === 'removing') return { do: 'wait' };
  if (cur.appliedVersion === undefined && cur.status === 'held')
    return write({ ...cur, status: 'removed', hold: undefined, detail: 'unassigned before delivery', updatedAt: c.at });
  const version = cur.appliedVersion ?? cur.version;
  const compiled = c.base(cur.profileId, version);
  if (compiled === undefined) return { do: 'load', profileId: cur.profileId, version };
  if (compiled === null)
    return write({ ...cur, status: 'failed', hold: undefined, detail: `cannot compute the removal: version ${version} is unreadable`, updatedAt: c.at });
  if (compiled.app) {
    // An app install unassigned is uninstalled (the version the device has); an uninstall unassigned leaves nothing to undo.
    const undo = compiled.app.undo;
    if (!undo.length) return write({ ...cur, status: 'removed', hold: undefined, appliedVersion: undefined, detail: 'nothing to undo', updatedAt: c.at });
    return {
      do: 'send',
      delivery: { profileId: cur.profileId, version: cur.version, secrets: new Set(), payloads: undo.map((payload) => ({ payload, op: 'remove' })) },
      row: { ...cur, status: 'removing', hold: undefined, batch: undefined, detail: `uninstalling (${compiled.app.kind})`, updatedAt: c.at },
      entry: {
        profileId: cur.profileId,
        name: c.snap.profiles.get(cur.profileId)?.name,
        userKey: c.tree.key,
        action: 'remove',
        detail: `uninstall ${compiled.app.kind}`,
      },
    };
  }
  const roots = compiled.removal.filter((r) => !desiredUris.some((u) => under(u, r) || under(r, u)));
  if (roots.length === 0)
    return write({
      ...cur,
      status: 'removed',
      hold: undefined,
      appliedVersion: undefined,
      detail: 'its nodes are set by another assigned profile',
      updatedAt: c.at,
    });
  return {
    do: 'send',
    delivery: {
      profileId: cur.profileId,
      version: cur.version,
      secrets: new Set(),
      payloads: roots.map((r) => ({ payload: { kind: 'Delete', items: [{ target: r }] }, op: 'remove' })),
    },
    row: { ...cur, status: 'removing', hold: undefined, batch: undefined, detail: `removing ${roots.join(', ')}`, updatedAt: c.at },
    entry: { profileId: cur.profileId, name: c.snap.profiles.get(cur.profileId)?.name, userKey: c.tree.key, action: 'remove', detail: roots.join(', ') },
  };
}

export function planSession(input: PlanInput): Plan {
  const { snap, device, user, at } = input;
  const planId = input.planId ?? crypto.randomUUID();
  const plan: Plan = { commands: [], deliveries: [], drop: [], settled: true, entries: [], missing: [] };
  const targets = targetsFor(snap, device, user ? { oid: user.oid, upn: user.upn } : undefined, input.entra);
  const rows = indexRows(input.rows);
  let seq = 0;
  let batchNo = 0;

  // Rows are written only when they change.
  const write = (row: ProfileDelivery) => {
    if (!sameRow(rows.get(row.userKey)?.get(row.profileId), row)) plan.deliveries.push(row);
  };
  /** Queue a delivery's commands as one batch; returns the batch. */
  const send = (d: Delivery, tree: Tree): string => {
    const batch = `${planId}.${++batchNo}`;
    for (const x of d.payloads) {
      const c = newCommand(device.id, sealPayload(x.payload, d.secrets, input.seal), {
        origin: 'profile',
        userOid: tree.userOid,
        at,
        id: `${planId}.${String(++seq).padStart(4, '0')}`,
      });
      c.batch = batch;
      c.profile = { profileId: d.profileId, version: d.version, userKey: tree.key, op: x.op, ...(x.expect ? { expect: x.expect } : {}) };
      plan.commands.push(c);
    }
    return batch;
  };
  const apply = (step: Step, tree: Tree) => {
    switch (step.do) {
      case 'nothing':
        return;
      case 'load':
        plan.missing.push({ profileId: step.profileId, version: step.version });
        return;
      case 'wait':
        plan.settled = false;
        break;
      case 'write':
        write(step.row);
        if (!step.settled) plan.settled = false;
        break;
      case 'send':
        write({ ...step.row, batch: send(step.delivery, tree) });
        plan.settled = false;
        break;
    }
    if (step.entry) plan.entries.push(step.entry);
  };
  const planTree = (tree: Tree) => {
    const c: StepContext = {
      snap,
      deviceTargets: targets.device,
      rows,
      tree,
      devicePk: device.id,
      at,
      userPresent: input.userPresent,
      base: input.base,
      delta: (p, v, b) => cachedDelta(input.deltas, p, v, b),
    };
    const have = rows.get(tree.key) ?? new Map<string, ProfileDelivery>();
    for (const p of deliveryOrder(tree.desired)) apply(desiredStep(p, have.get(p.id), c), tree);
    const desiredIds = new Set(tree.desired.map((p) => p.id));
    const desiredUris = tree.desired.flatMap((p) => p.compiled.units.flatMap((u) => u.nodes.map((n) => n.uri)));
    for (const cur of have.values()) if (!desiredIds.has(cur.profileId)) apply(removalStep(cur, desiredUris, c), tree);
  };

  planTree({ key: '', desired: targets.device });
  if (user) {
    planTree({ key: user.key, upn: user.upn, desired: targets.user, userOid: device.enrollmentType === 'Device' ? user.oid : undefined });
    // Placeholders "held: nobody signed in" have served their purpose once someone is.
    for (const r of rows.get('')?.values() ?? []) if (r.hold === 'no-user') plan.drop.push({ userKey: '', profileId: r.profileId });
  } else {
    // No user context: user-scope profiles that would reach any user of this device are held.
    const reason = device.enrollmentType === 'Device' ? 'nobody with an Entra account is signed in' : 'no user context in this session';
    for (const p of targets.user) {
      write({ devicePk: device.id, userKey: '', profileId: p.id, version: p.version, status: 'held', hold: 'no-user', detail: reason, updatedAt: at });
      plan.entries.push({ profileId: p.id, name: p.name, userKey: '', action: 'hold', detail: reason });
    }
    const still = new Set(targets.user.map((p) => p.id));
    for (const r of rows.get('')?.values() ?? []) if (r.hold === 'no-user' && !still.has(r.profileId)) plan.drop.push({ userKey: '', profileId: r.profileId });
  }
  if (plan.missing.length) {
    plan.commands = [];
    plan.deliveries = [];
  }
  return plan;
}
