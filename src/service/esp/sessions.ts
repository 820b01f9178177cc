// The Enrollment Status Page in OMA-DM sessions (issue #16). At a device's first session after
// enrollment, when an ESP policy applies: the device phase's run starts and its FirstSyncStatus
// declaration goes out first in that session (the reconciler's deliveries of the required
// profiles go out in the same session). At a user's first session on the device (each user once;
// a Full enrollment's user with the device's first session): the same in ./User. At each turn of
// a device with an open run, the delivery rows say which required items are done or failed:
// every one done → ServerHasFinishedProvisioning=true and the run ends 'done'; one failed → it
// ends 'failed'; past its time-out → 'timed-out'. In both failures nothing is sent: the device
// shows the declared CustomErrorText itself once TimeOutUntilSyncFailure has passed (Learn,
// DMClient CSP).
//
// Cost on the ordinary check-in path: nothing while no policy exists and no run is open (a cached
// answer, refreshed every few seconds; quiet() lets the engine skip the call); else one read of
// the device's runs at a session's first turn (primary key), and at its later turns only for
// devices with a run open here.
import type { Logger } from 'pino';
import type { CommandRecord } from '../../domain/command.js';
import type { Device } from '../../domain/device.js';
import type { EspPolicy, EspRun, EspRunItem } from '../../domain/esp.js';
import type { ProfileDelivery } from '../../domain/profile.js';
import { declarationPayload, expectedLists, finishedPayload } from '../../protocol/csp/esp.js';
import type { Scope } from '../../protocol/csp/types.js';
import type { Store } from '../../store/types.js';
import { newCommand } from '../commands/queue.js';
import type { LiveProfile } from '../reconcile/catalog.js';
import { mergeRows, type Reconciler, type UserContext } from '../reconcile/index.js';
import { espGeneration } from './policies.js';
import { phaseTargets } from './targeting.js';

/** How long a replica trusts its cached "policies / any open run" answer. */
const GATE_MS = 5_000;
/** Devices and (device, user) pairs remembered in memory. */
const MAX_REMEMBERED = 100_000;

export interface EspTurn {
  device: Device;
  /** The session's ./User context (reconciler.userContext); undefined: none, or a Machine session. */
  user?: UserContext;
  at: string;
  /** The first turn of a session. */
  isNew: boolean;
  /** Delivery rows as this turn's answers left them, when the engine loaded them. */
  rows?: ProfileDelivery[];
  /** Rows this turn's plan writes. */
  planned?: ProfileDelivery[];
  log: Logger;
}

/** Commands to send: `first` before the turn's other commands (declarations), `last` after them (finished). */
export interface EspCommands {
  first: CommandRecord[];
  last: CommandRecord[];
}

interface Gate {
  gen: number;
  until: number;
  policies: EspPolicy[];
  anyOpen: boolean;
}

export class EspSessions {
  private readonly store: Store;
  private readonly reconciler: Reconciler;
  private readonly providerId: string;
  private gate?: Gate;
  /** Devices with a run open, as this process last saw them. */
  private readonly open = new Set<string>();
  /** (device, user) pairs known not to be a user's first session. */
  private readonly knownUsers = new Set<string>();

  constructor(o: { store: Store; reconciler: Reconciler; providerId: string }) {
    this.store = o.store;
    this.reconciler = o.reconciler;
    this.providerId = o.providerId;
  }

  /**
   * Whether turn() would do nothing, known from memory: a later turn of a session with no run
   * open here, or a session start while the cached answer (still fresh) says no policy exists
   * and no run is open. The engine skips the call then (most check-ins).
   */
  quiet(devicePk: string, isNew: boolean): boolean {
    if (!isNew) return !this.open.has(devicePk);
    const g = this.gate;
    return g !== undefined && g.gen === espGeneration() && Date.now() < g.until && !g.policies.length && !g.anyOpen;
  }

  async turn(t: EspTurn): Promise<EspCommands | undefined> {
    const { device, at } = t;
    if (!t.isNew && !this.open.has(device.id)) return undefined;
    const gate = await this.readGate(at);
    if (t.isNew && !gate.policies.length && !gate.anyOpen) return undefined;
    // Runs of an earlier enrollment of the device (re-enrolled after a reset) are history.
    const runs = (await this.store.esp.runs(device.id)).filter((r) => r.startedAt >= device.enrolledAt);
    const out: EspCommands = { first: [], last: [] };
    if (t.isNew && gate.policies.length) await this.start(t, gate.policies, runs, out);
    let rows: ProfileDelivery[] | undefined;
    let open = false;
    for (const run of runs) {
      if (run.outcome) continue;
      rows ??= mergeRows(t.rows ?? (await this.store.deliveries.forDevice(device.id)), t.planned ?? []);
      const before = JSON.stringify(run);
      follow(run, rows, at);
      if (JSON.stringify(run) !== before) await this.store.esp.saveRun(run);
      if (run.outcome === 'done')
        out.last.push(this.command(device, run.userKey === '' ? 'device' : 'user', t.user, finishedPayload(this.providerId, tree(run)), at));
      if (run.outcome) t.log.info({ user: run.userKey || undefined, outcome: run.outcome }, 'enrollment status page run ended');
      else open = true;
    }
    if (open) remember(this.open, device.id);
    else this.open.delete(device.id);
    return out.first.length || out.last.length ? out : undefined;
  }

  /** Starts the runs this session begins (a device's first session, a user's first session on it) and declares them. */
  private async start(t: EspTurn, policies: EspPolicy[], runs: EspRun[], out: EspCommands): Promise<void> {
    const { device, user, at } = t;
    const deviceNew = firstSession(device) && !runs.some((r) => r.userKey === '');
    const userNew = user !== undefined && !runs.some((r) => r.userKey === user.key) && (await this.firstUserSession(device, user));
    if (!deviceNew && !userNew) return;
    const targets = await phaseTargets(this.store, this.reconciler, policies, device, user);
    if (deviceNew && targets.devicePolicy) {
      const p = targets.devicePolicy;
      const run = p.skipDevicePhase ? undefined : newRun(device.id, '', undefined, p, targets.deviceItems, at);
      // The device tree carries the page's settings even when its phase is skipped (SkipDeviceStatusPage).
      if (!run || (await this.store.esp.startRun(run, device.enrolledAt))) {
        const lists = run ? expectedLists(targets.deviceItems.map((i) => i.compiled)) : {};
        out.first.push(this.command(device, 'device', user, declarationPayload(this.providerId, 'device', lists, p), at));
        if (run) runs.unshift(run);
      }
    }
    if (userNew && user && targets.userPolicy && !targets.userPolicy.skipUserPhase) {
      const p = targets.userPolicy;
      const run = newRun(device.id, user.key, user.upn, p, targets.userItems, at);
      if (await this.store.esp.startRun(run, device.enrolledAt)) {
        const lists = expectedLists(targets.userItems.map((i) => i.compiled));
        out.first.push(this.command(device, 'user', user, declarationPayload(this.providerId, 'user', lists, p), at));
        runs.push(run);
      }
    }
    if (runs.some((r) => !r.outcome) && this.gate) this.gate.anyOpen = true;
  }

  /** A user's first session on the device: no session of theirs recorded yet (Full enrollment: the device's first session). */
  private async firstUserSession(device: Device, user: UserContext): Promise<boolean> {
    const k = `${device.id}\u0000${user.key}`;
    if (this.knownUsers.has(k)) return false;
    const first =
      device.enrollmentType === 'Full'
        ? firstSession(device)
        : !(await this.store.traces.logins(device.id)).some((l) => l.oid.toLowerCase() === user.key && l.lastSeen >= device.enrolledAt);
    if (!first) remember(this.knownUsers, k);
    return first;
  }

  private command(device: Device, phase: Scope, user: UserContext | undefined, payload: CommandRecord['payload'], at: string): CommandRecord {
    // ./User commands of a multi-user (Entra join) device wait for their user, as profile deliveries do.
    const userOid = phase === 'user' && device.enrollmentType === 'Device' ? user?.oid : undefined;
    return newCommand(device.id, payload, { origin: 'system', action: 'esp', userOid, at });
  }

  private async readGate(at: string): Promise<Gate> {
    const g = this.gate;
    if (g && g.gen === espGeneration() && Date.now() < g.until) return g;
    const gen = espGeneration();
    const [policies, anyOpen] = await Promise.all([this.store.esp.listPolicies(), this.store.esp.anyOpen(at)]);
    return (this.gate = { gen, until: Date.now() + GATE_MS, policies, anyOpen });
  }
}

/**
 * The device's first session after its (latest) enrollment: not seen since, and no inventory
 * answered since (the last-seen time is written behind, a session or two late; the inventory is
 * committed with the turn that brought it, in the first session).
 */
const firstSession = (d: Device): boolean => !(d.lastSeenAt && d.lastSeenAt >= d.enrolledAt) && !(d.inventoryAt && d.inventoryAt >= d.enrolledAt);

const tree = (run: EspRun): Scope => (run.userKey === '' ? 'device' : 'user');

function remember(set: Set<string>, k: string): void {
  if (set.size >= MAX_REMEMBERED && !set.has(k)) set.delete(set.values().next().value!);
  set.add(k);
}

export function newRun(devicePk: string, userKey: string, upn: string | undefined, p: EspPolicy, items: LiveProfile[], at: string): EspRun {
  const run: EspRun = {
    devicePk,
    userKey,
    policyId: p.id,
    startedAt: at,
    deadline: new Date(Date.parse(at) + p.timeoutMinutes * 60_000).toISOString(),
    items: items.map((i): EspRunItem => ({ profileId: i.id, name: i.name, kind: i.kind, status: 'pending' })),
  };
  if (upn) run.upn = upn;
  if (p.errorText) run.errorText = p.errorText;
  return run;
}

/**
 * A run brought up to date with the delivery rows of its tree: an item is done when its profile
 * is delivered (apps: verified, i.e. installed), failed when its delivery failed. Past the
 * deadline the run has timed out (ended at the deadline: the device gave up then); else a failed
 * item fails it, and every item done finishes it.
 */
export function follow(run: EspRun, rows: ProfileDelivery[], at: string): void {
  for (const item of run.items) {
    if (item.status !== 'pending') continue;
    const row = rows.find((r) => r.userKey === run.userKey && r.profileId === item.profileId);
    if (!row) continue;
    const done = row.status === 'verified' || (row.status === 'delivered' && item.kind !== 'app');
    if (done || row.status === 'failed') {
      item.status = done ? 'done' : 'failed';
      item.at = row.updatedAt && row.updatedAt <= at ? row.updatedAt : at;
      if (!done && row.detail) item.detail = row.detail.slice(0, 500);
    }
  }
  if (at >= run.deadline) {
    run.outcome = 'timed-out';
    run.finishedAt = run.deadline;
  } else if (run.items.some((i) => i.status === 'failed')) {
    run.outcome = 'failed';
    run.finishedAt = at;
  } else if (run.items.every((i) => i.status === 'done')) {
    run.outcome = 'done';
    run.finishedAt = at;
  }
}
