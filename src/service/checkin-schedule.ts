// The check-in schedule: set by the admin (global, and per device group), delivered to each device
// as its DMClient Poll nodes in its next session when it differs from what the device last
// acknowledged, and shown on the device page with the next check-in to expect.
//
// Rules (docs/operations.md "Check-in schedule"):
// * effective schedule: the most frequent of the schedules of the device groups the device is in
//   (smallest regular interval, then second, then first; ties by group name); with none, the
//   global schedule; with no global one, DEFAULT_SCHEDULE (what enrollments always got).
// * enrollment: the provisioning document carries the global schedule with its long run at 24 h
//   or more (MS-MDE2 §2.2.9.3, rule 57); a shorter one is delivered in the first session.
// * delivery: one Atomic of Replaces (origin 'system', action 'checkin-schedule'); the per-device
//   state records what the device acknowledged; a failed delivery is retried an hour later
//   (setting-delivery.ts, the mechanism the branding and the renewal settings share).
// * next expected check-in: last seen + the interval of the set the device is in, counting the
//   sets from when it took its schedule (enrollment, or the acknowledgement of a newer one).
import crypto from 'node:crypto';
import { auditEntry } from './audit.js';
import type { CheckinSchedule, CheckinScheduleSource, DeviceCheckinState, GroupCheckinSchedule } from '../domain/checkin-schedule.js';
import type { CommandRecord } from '../domain/command.js';
import type { Device } from '../domain/device.js';
import { DEFAULT_SCHEDULE, pollPayload, provisioningSchedule, toPoll } from '../protocol/csp/poll.js';
import type { PollSchedule } from '../protocol/wap.js';
import type { Store } from '../store/types.js';
import { newCommand } from './commands/queue.js';
import { ApiError, notFound } from './errors.js';
import { bringToWanted, quietUntil, Remembered, settlePending } from './setting-delivery.js';

/** What Windows falls back to once a finite regular schedule has run out (DMClient CSP: a 24 h schedule). */
const FALLBACK_MINUTES = 1440;
const ACTION = 'checkin-schedule';

/**
 * The cross-field rules of the DMClient CSP that the request schema cannot say (it checks types
 * and ranges): only the regular schedule may repeat for ever, and the second set comes slower.
 */
export function checkSchedule(s: CheckinSchedule): CheckinSchedule {
  const second = s.secondRetries;
  if (second.intervalMinutes > 0 && second.count === 0) {
    throw new ApiError(400, 'invalid', 'must be at least 1 when intervalMinutes is set: only the regular schedule repeats for ever', '/secondRetries/count');
  }
  if (second.intervalMinutes === 0 && second.count > 0) {
    throw new ApiError(400, 'invalid', 'must be 0 when secondRetries.intervalMinutes is 0 (the second set is off)', '/secondRetries/count');
  }
  if (second.intervalMinutes > 0 && second.intervalMinutes < s.firstRetries.intervalMinutes) {
    throw new ApiError(400, 'invalid', 'must not be shorter than firstRetries.intervalMinutes (DMClient CSP)', '/secondRetries/intervalMinutes');
  }
  // Copied field by field: what is stored is exactly the schedule, whatever else the body held.
  const r = (x: { intervalMinutes: number; count: number }) => ({ intervalMinutes: x.intervalMinutes, count: x.count });
  return {
    firstRetries: r(s.firstRetries),
    secondRetries: r(second),
    regular: r(s.regular),
    pollOnLogin: s.pollOnLogin,
    allUsersPollOnFirstLogin: s.allUsersPollOnFirstLogin,
  };
}

/** Identity of a schedule as the device holds it (its eight Poll values). */
export function scheduleHash(s: CheckinSchedule): string {
  const p = toPoll(s);
  const keys = Object.keys(p).sort() as (keyof PollSchedule)[];
  return crypto
    .createHash('sha256')
    .update(keys.map((k) => `${k}=${p[k]}`).join(';'))
    .digest('hex')
    .slice(0, 32);
}

/** Smaller is more frequent: the regular interval first, then the second and first sets (an unused set counts as never). */
const frequencyKey = (s: CheckinSchedule) => [s.regular.intervalMinutes, s.secondRetries.intervalMinutes || Infinity, s.firstRetries.intervalMinutes];

function mostFrequent(groups: GroupCheckinSchedule[]): GroupCheckinSchedule | undefined {
  const order = (a: GroupCheckinSchedule, b: GroupCheckinSchedule) => {
    const ka = frequencyKey(a.schedule);
    const kb = frequencyKey(b.schedule);
    for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i] - kb[i];
    return a.groupName < b.groupName ? -1 : a.groupName > b.groupName ? 1 : a.groupId < b.groupId ? -1 : 1;
  };
  return [...groups].sort(order)[0];
}

export interface EffectiveSchedule {
  schedule: CheckinSchedule;
  source: CheckinScheduleSource;
  hash: string;
}

function effective(global: CheckinSchedule | undefined, groups: GroupCheckinSchedule[]): EffectiveSchedule {
  const g = mostFrequent(groups);
  if (g) return { schedule: g.schedule, source: { kind: 'group', groupId: g.groupId, groupName: g.groupName }, hash: scheduleHash(g.schedule) };
  const schedule = global ?? DEFAULT_SCHEDULE;
  return { schedule, source: global ? { kind: 'global' } : { kind: 'default' }, hash: scheduleHash(schedule) };
}

/**
 * When the next scheduled check-in is due: `lastSeen` + the interval of the set the device is in
 * at `lastSeen`, the sets counted from `since` (when it took this schedule). An approximation:
 * Windows runs each set as a scheduled task counted from its last session, and sessions the user
 * or a sign-in starts shift it.
 */
export function nextExpected(
  s: CheckinSchedule,
  since: string,
  lastSeen: string,
): { at: string; intervalMinutes: number; set: 'first' | 'second' | 'regular' | 'fallback' } {
  const elapsedMin = (Date.parse(lastSeen) - Date.parse(since)) / 60_000;
  const sets: ['first' | 'second' | 'regular', { intervalMinutes: number; count: number }][] = [
    ['first', s.firstRetries],
    ['second', s.secondRetries],
    ['regular', s.regular],
  ];
  let start = 0;
  let found: { intervalMinutes: number; set: 'first' | 'second' | 'regular' | 'fallback' } = { intervalMinutes: FALLBACK_MINUTES, set: 'fallback' };
  for (const [name, r] of sets) {
    if (r.intervalMinutes <= 0) continue;
    const end = r.count === 0 ? Infinity : start + r.intervalMinutes * r.count;
    if (elapsedMin < end) {
      found = { intervalMinutes: r.intervalMinutes, set: name };
      break;
    }
    start = end;
  }
  return { at: new Date(Date.parse(lastSeen) + found.intervalMinutes * 60_000).toISOString(), ...found };
}

export interface DeviceCheckinView {
  /** The schedule the device should hold, and where it comes from. */
  effective: CheckinSchedule;
  source: CheckinScheduleSource;
  /** applied: acknowledged (or given at enrollment); pending: queued, or to be queued at the next session; failed: refused, retried later. */
  delivery: { state: 'applied' | 'pending' | 'failed'; since?: string; error?: string; commandId?: string };
  /** From the last check-in and the schedule the device holds (see nextExpected). */
  nextCheckinExpectedAt?: string;
  nextCheckinIntervalMinutes?: number;
}

export class CheckinScheduleService {
  /**
   * Devices found holding their effective schedule with nothing on its way (or waiting to retry a
   * refused one), with the profile generation and enrollment they were found at: an idle session
   * of such a device reads nothing more (any schedule, group or membership change moves the
   * generation; a re-enrollment the enrollment time).
   */
  private readonly quiet = new Remembered();
  private readonly store: Store;
  private readonly providerId: string;

  constructor(store: Store, providerId = '') {
    this.store = store;
    this.providerId = providerId;
  }

  // ---- admin -------------------------------------------------------------------------------------

  async getGlobal() {
    const [g, groups] = await Promise.all([this.store.checkinSchedules.global(), this.store.checkinSchedules.groups()]);
    return { schedule: g?.schedule ?? DEFAULT_SCHEDULE, source: g ? 'global' : 'default', updatedAt: g?.updatedAt, groups };
  }

  async setGlobal(input: CheckinSchedule, actor: string) {
    const s = checkSchedule(input);
    await this.store.checkinSchedules.setGlobal(
      s,
      new Date().toISOString(),
      auditEntry(actor, 'settings.checkin-schedule.set', 'settings', 'checkin-schedule', { schedule: s }),
    );
    return this.getGlobal();
  }

  private async deviceGroup(id: string) {
    const g = await this.store.groups.get(id);
    if (!g) throw notFound('group');
    if (g.kind !== 'device') throw new ApiError(400, 'invalid', `a check-in schedule applies to device groups; "${g.name}" is a ${g.kind} group`, '/id');
    return g;
  }

  async setGroup(id: string, input: CheckinSchedule, actor: string): Promise<GroupCheckinSchedule> {
    const g = await this.deviceGroup(id);
    const s = checkSchedule(input);
    const at = new Date().toISOString();
    if (!(await this.store.checkinSchedules.setGroup(g.id, s, at, auditEntry(actor, 'group.checkin-schedule.set', 'group', g.id, { schedule: s }))))
      throw notFound('group');
    return { groupId: g.id, groupName: g.name, schedule: s, updatedAt: at };
  }

  async deleteGroup(id: string, actor: string): Promise<void> {
    const g = await this.deviceGroup(id);
    if (!(await this.store.checkinSchedules.deleteGroup(g.id, auditEntry(actor, 'group.checkin-schedule.delete', 'group', g.id)))) {
      throw notFound('group check-in schedule');
    }
  }

  // ---- devices -----------------------------------------------------------------------------------

  /**
   * The schedule a new enrollment's provisioning document carries: the global one (a new device
   * is in no group yet), its long run at 24 h or more (rule 57, MS-MDE2 §2.2.9.3); a shorter one
   * goes out in the device's first session.
   */
  async enrollmentPoll(): Promise<PollSchedule> {
    return toPoll(provisioningSchedule((await this.store.checkinSchedules.global())?.schedule ?? DEFAULT_SCHEDULE));
  }

  private async inputs(device: Device) {
    const [inputs, state] = await Promise.all([
      this.store.checkinSchedules.forDevice([device.id, device.deviceId, device.entraDeviceId ?? '']),
      this.store.checkinSchedules.deviceState(device.id),
    ]);
    return { eff: effective(inputs.global?.schedule, inputs.groups), global: inputs.global, state };
  }

  /**
   * The state to go on from: the stored one if it is of this enrollment, else what the
   * provisioning document gave — the global schedule with its long run raised to 24 h
   * (enrollmentPoll), when it has not changed since the enrollment (else unknown: the device gets
   * the effective schedule in its next session).
   */
  private baseState(device: Device, stored: DeviceCheckinState | undefined, global: { schedule: CheckinSchedule; updatedAt: string } | undefined) {
    if (stored && stored.enrolledAt === device.enrolledAt) return { state: stored, fresh: false };
    const state: DeviceCheckinState = { devicePk: device.id, enrolledAt: device.enrolledAt };
    if (!global || global.updatedAt <= device.enrolledAt) {
      const schedule = provisioningSchedule(global?.schedule ?? DEFAULT_SCHEDULE);
      state.applied = { hash: scheduleHash(schedule), schedule, at: device.enrolledAt };
    }
    return { state, fresh: true };
  }

  /** Fold the answer of the pending delivery into the state (acknowledged, or failed). */
  private settle(state: DeviceCheckinState, at: string): Promise<DeviceCheckinState> {
    return settlePending(this.store, state, at, (p, ackedAt) => ({ hash: p.hash, schedule: p.schedule, at: ackedAt }));
  }

  /**
   * Session-engine hook, at the start of a session: the command that brings the device's Poll
   * nodes to its effective schedule, when it holds another one and none is on its way.
   */
  async due(device: Device, at: string, generation?: number): Promise<CommandRecord[]> {
    const mark = `${generation ?? (await this.store.profiles.generation())}|${device.enrolledAt}`;
    if (this.quiet.has(device.id, mark, at)) return [];
    const { eff, global, state: stored } = await this.inputs(device);
    const base = this.baseState(device, stored, global);
    const settled = await this.settle(base.state, at);
    const out: CommandRecord[] = [];
    const { state, changed } = await bringToWanted(this.store, settled, eff.hash, at, (s) => {
      const cmd = newCommand(device.id, pollPayload(this.providerId, eff.schedule), { origin: 'system', action: ACTION, at });
      out.push(cmd);
      return { ...s, pending: { hash: eff.hash, schedule: eff.schedule, commandId: cmd.id, at } };
    });
    if (base.fresh || settled !== base.state || changed) await this.store.checkinSchedules.putDeviceState(state, at);
    this.quiet.set(device.id, mark, quietUntil(state, eff.hash, at));
    return out;
  }

  /** The device page's check-in block (reads only). */
  async view(device: Device): Promise<DeviceCheckinView> {
    const { eff, global, state: stored } = await this.inputs(device);
    const state = await this.settle(this.baseState(device, stored, global).state, new Date().toISOString());
    const v: DeviceCheckinView = { effective: eff.schedule, source: eff.source, delivery: { state: 'applied', since: state.applied?.at } };
    if (state.pending) v.delivery = { state: 'pending', since: state.pending.at, commandId: state.pending.commandId };
    else if (state.failure?.hash === eff.hash) v.delivery = { state: 'failed', since: state.failure.at, error: state.failure.error };
    // Not queued yet: it goes out in the device's next session.
    else if (state.applied?.hash !== eff.hash) v.delivery = { state: 'pending' };
    // The device runs what it holds: the acknowledged schedule, else (unknown) the effective one since enrollment.
    const held = state.applied ?? { schedule: eff.schedule, at: device.enrolledAt };
    if (device.lastSeenAt) {
      const n = nextExpected(held.schedule, held.at, device.lastSeenAt);
      v.nextCheckinExpectedAt = n.at;
      v.nextCheckinIntervalMinutes = n.intervalMinutes;
    }
    return v;
  }
}
