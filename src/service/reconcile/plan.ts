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
import crypto from 'node:crypto';
import { profileDelta, readBackDigest, type ProfileDelta } from '../../protocol/csp/delta.js';
import type { CompiledProfile } from '../../protocol/csp/types.js';
import type { CommandPayload, CommandProfileRef, CommandRecord } from '../../domain/command.js';
import type { Device } from '../../domain/device.js';
import type { DeliveryHold, ProfileDelivery } from '../../domain/profile.js';
import { newCommand } from '../commands/queue.js';
import { sealPayload } from '../commands/sealed.js';
import { targetsFor, type LiveProfile, type Snapshot } from './catalog.js';

export type BaseLookup = (profileId: string, version: number) => CompiledProfile | null | undefined;

export interface PlanInput {
  snap: Snapshot;
  device: Pick<Device, 'id' | 'deviceId' | 'entraDeviceId' | 'userOid' | 'upn' | 'enrollmentType'>;
  /** The ./User context of the session: delivery key and the identity used for targeting. Undefined: none. */
  user?: { key: string; oid: string; upn?: string };
  /** The session carries a validated Entra user token. */
  userPresent: boolean;
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

const under = (uri: string, root: string) => uri === root || uri.startsWith(`${root}/`);
const DONE = new Set(['delivered', 'verified']);

function sameRow(a: ProfileDelivery | undefined, b: ProfileDelivery): boolean {
  return !!a && a.status === b.status && a.version === b.version && a.appliedVersion === b.appliedVersion && a.detail === b.detail && a.hold === b.hold && a.batch === b.batch && a.upn === b.upn;
}

/** Certificates first (others may refer to them), then by id: the same input gives the same plan. */
function deliveryOrder(list: LiveProfile[]): LiveProfile[] {
  return [...list].sort((a, b) => (a.kind === 'certificate') === (b.kind === 'certificate') ? (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) : a.kind === 'certificate' ? -1 : 1);
}

function secretUris(c: CompiledProfile): Set<string> {
  const s = new Set<string>();
  for (const u of c.units) for (const n of u.nodes) if (n.secret) s.add(n.uri);
  return s;
}

export function planSession(input: PlanInput): Plan {
  const { snap, device, user, rows, at } = input;
  const planId = input.planId ?? crypto.randomUUID();
  const plan: Plan = { commands: [], deliveries: [], drop: [], settled: true, entries: [], missing: [] };
  const targets = targetsFor(snap, device, user ? { oid: user.oid, upn: user.upn } : undefined);
  const byKey = new Map<string, Map<string, ProfileDelivery>>();
  for (const r of rows) {
    let m = byKey.get(r.userKey);
    if (!m) byKey.set(r.userKey, (m = new Map()));
    m.set(r.profileId, r);
  }
  let seq = 0;
  let batchNo = 0;
  const write = (row: ProfileDelivery) => {
    const cur = byKey.get(row.userKey)?.get(row.profileId);
    if (!sameRow(cur, row)) plan.deliveries.push(row);
  };
  const lookup = (id: string, version: number): CompiledProfile | null | undefined => {
    const c = input.base(id, version);
    if (c === undefined) plan.missing.push({ profileId: id, version });
    return c;
  };

  const tree = (key: string, upn: string | undefined, desired: LiveProfile[], userOid: string | undefined) => {
    const have = byKey.get(key) ?? new Map<string, ProfileDelivery>();
    const desiredIds = new Set(desired.map((p) => p.id));
    const desiredUris = desired.flatMap((p) => p.compiled.units.flatMap((u) => u.nodes.map((n) => n.uri)));
    const row = (p: { id: string }, version: number, fields: Partial<ProfileDelivery>): ProfileDelivery => ({
      devicePk: device.id,
      userKey: key,
      upn,
      profileId: p.id,
      version,
      status: 'pending',
      updatedAt: at,
      ...fields,
    });
    const send = (profileId: string, version: number, secrets: Set<string>, payloads: { payload: CommandPayload; op: CommandProfileRef['op']; expect?: Record<string, string> }[]) => {
      const batch = `${planId}.${++batchNo}`;
      for (const x of payloads) {
        const c = newCommand(device.id, sealPayload(x.payload, secrets, input.seal), { origin: 'profile', userOid, at, id: `${planId}.${String(++seq).padStart(4, '0')}` });
        c.batch = batch;
        c.profile = { profileId, version, userKey: key, op: x.op, ...(x.expect ? { expect: x.expect } : {}) };
        plan.commands.push(c);
      }
      return batch;
    };

    for (const p of deliveryOrder(desired)) {
      const cur = have.get(p.id);
      if (cur && (cur.status === 'pending' || cur.status === 'removing')) {
        plan.settled = false;
        plan.entries.push({ profileId: p.id, name: p.name, userKey: key, action: 'in-flight', detail: `waiting for the device's answer (${cur.status})` });
        continue;
      }
      if (cur && cur.version === p.version && cur.status !== 'removed') {
        if (DONE.has(cur.status) || cur.status === 'failed') continue;
        if (cur.status === 'held' && cur.hold === 'refused-with-user') continue;
        if (cur.status === 'held' && cur.hold === 'refused-no-user' && !input.userPresent) continue;
      }
      // Certificates it refers to must be in place first.
      let waiting: { hold: DeliveryHold; detail: string; settled: boolean } | undefined;
      for (const ref of p.compiled.requires) {
        const certId = snap.byRef.get(ref);
        const cert = certId ? snap.profiles.get(certId) : undefined;
        if (!cert) {
          waiting = { hold: 'dependency', detail: `needs certificate profile "${ref}", which does not exist`, settled: true };
          break;
        }
        const certKey = cert.scope === 'device' ? '' : key;
        const assignedThere = (cert.scope === 'device' ? targets.device : desired).some((x) => x.id === cert.id);
        if (!assignedThere) {
          waiting = { hold: 'dependency', detail: `needs certificate profile "${cert.name}", which is not assigned to this ${cert.scope === 'device' ? 'device' : 'user'}`, settled: true };
          break;
        }
        const cr = byKey.get(certKey)?.get(cert.id);
        if (!cr || cr.version !== cert.version || !DONE.has(cr.status)) {
          const failed = cr?.status === 'failed' && cr.version === cert.version;
          waiting = { hold: 'dependency', detail: `waiting for certificate profile "${cert.name}"${failed ? ' (it failed)' : ''}`, settled: failed };
          break;
        }
      }
      if (waiting) {
        write(row(p, p.version, { status: 'held', hold: waiting.hold, detail: waiting.detail, appliedVersion: cur?.appliedVersion, batch: cur?.batch }));
        if (!waiting.settled) plan.settled = false;
        plan.entries.push({ profileId: p.id, name: p.name, userKey: key, action: 'hold', detail: waiting.detail });
        continue;
      }
      const baseVersion = cur && cur.status !== 'removed' ? cur.appliedVersion : undefined;
      let base: CompiledProfile | null = null;
      if (baseVersion !== undefined) {
        const b = lookup(p.id, baseVersion);
        if (b === undefined) continue;
        base = b;
      }
      const dk = `${p.id}:${baseVersion ?? '-'}:${p.version}`;
      let delta = input.deltas?.get(dk);
      if (!delta) {
        delta = profileDelta(base, p.compiled);
        if (input.deltas) {
          if (input.deltas.size >= 4096) input.deltas.clear();
          input.deltas.set(dk, delta);
        }
      }
      if (delta.commands.length === 0) {
        // Same nodes (e.g. only the name changed): nothing to send, the row moves to the new version.
        write(row(p, p.version, { status: cur?.status === 'verified' ? 'verified' : 'delivered', appliedVersion: p.version, batch: cur?.batch }));
        plan.entries.push({ profileId: p.id, name: p.name, userKey: key, action: 'bump', detail: `version ${p.version}: no node changed` });
        continue;
      }
      const payloads: { payload: CommandPayload; op: CommandProfileRef['op']; expect?: Record<string, string> }[] = delta.commands.map((payload) => ({ payload, op: 'apply' }));
      if (delta.verify.length) {
        const expect: Record<string, string> = {};
        for (const n of delta.verify) expect[n.uri] = readBackDigest(n.format, n.value);
        payloads.push({ payload: { kind: 'Get', items: delta.verify.map((n) => ({ target: n.uri })) }, op: 'verify', expect });
      }
      const batch = send(p.id, p.version, secretUris(p.compiled), payloads);
      write(row(p, p.version, { status: 'pending', appliedVersion: baseVersion, batch, detail: base ? `update from version ${baseVersion}` : 'install' }));
      plan.settled = false;
      plan.entries.push({ profileId: p.id, name: p.name, userKey: key, action: base ? 'update' : 'install', detail: `${delta.commands.length} command(s)${delta.verify.length ? `, ${delta.verify.length} node(s) read back` : ''}` });
    }

    for (const cur of have.values()) {
      if (desiredIds.has(cur.profileId) || cur.status === 'removed') continue;
      if (key === '' && cur.hold === 'no-user') continue;
      if (snap.broken.has(cur.profileId)) continue;
      if (cur.status === 'pending' || cur.status === 'removing') {
        plan.settled = false;
        continue;
      }
      if (cur.appliedVersion === undefined && cur.status === 'held') {
        write({ ...cur, status: 'removed', hold: undefined, detail: 'unassigned before delivery', updatedAt: at });
        continue;
      }
      const c = lookup(cur.profileId, cur.appliedVersion ?? cur.version);
      if (c === undefined) continue;
      if (c === null) {
        write({ ...cur, status: 'failed', hold: undefined, detail: `cannot compute the removal: version ${cur.appliedVersion ?? cur.version} is unreadable`, updatedAt: at });
        continue;
      }
      const roots = c.removal.filter((r) => !desiredUris.some((u) => under(u, r) || under(r, u)));
      if (roots.length === 0) {
        write({ ...cur, status: 'removed', hold: undefined, appliedVersion: undefined, detail: 'its nodes are set by another assigned profile', updatedAt: at });
        continue;
      }
      const batch = send(cur.profileId, cur.version, new Set(), roots.map((r) => ({ payload: { kind: 'Delete', items: [{ target: r }] }, op: 'remove' as const })));
      write({ ...cur, status: 'removing', hold: undefined, batch, detail: `removing ${roots.join(', ')}`, updatedAt: at });
      plan.settled = false;
      plan.entries.push({ profileId: cur.profileId, name: snap.profiles.get(cur.profileId)?.name, userKey: key, action: 'remove', detail: roots.join(', ') });
    }
  };

  tree('', undefined, targets.device, undefined);
  if (user) {
    tree(user.key, user.upn, targets.user, device.enrollmentType === 'Device' ? user.oid : undefined);
    // Placeholders "held: nobody signed in" have served their purpose once someone is.
    for (const r of byKey.get('')?.values() ?? []) if (r.hold === 'no-user') plan.drop.push({ userKey: '', profileId: r.profileId });
  } else {
    // No user context: user-scope profiles that would reach any user of this device are held.
    const reason = device.enrollmentType === 'Device' ? 'nobody with an Entra account is signed in' : 'no user context in this session';
    for (const p of targets.user) {
      write({ devicePk: device.id, userKey: '', profileId: p.id, version: p.version, status: 'held', hold: 'no-user', detail: reason, updatedAt: at });
      plan.entries.push({ profileId: p.id, name: p.name, userKey: '', action: 'hold', detail: reason });
    }
    const still = new Set(targets.user.map((p) => p.id));
    for (const r of byKey.get('')?.values() ?? []) if (r.hold === 'no-user' && !still.has(r.profileId)) plan.drop.push({ userKey: '', profileId: r.profileId });
  }
  if (plan.missing.length) {
    plan.commands = [];
    plan.deliveries = [];
  }
  return plan;
}
