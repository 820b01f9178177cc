// The devices of a state file, live: restored SimDevices that check in again (one session at a
// time per device), print what the server sent them, keep their poll schedule, take pushes, and
// are saved back to the file (at most once a second while running, and at the end).
import path from 'node:path';
import type { AppFaults } from './apps/faults.js';
import type { CheckinResult, SimDevice } from './device.js';
import { nextPollMinutes, pollSchedule } from './poll-schedule.js';
import { describeEsp } from './esp.js';
import { restoreDevice, saveDevice, type Connection, type DeviceMeta } from './saved-device.js';
import { StateFileError, lockStateFile, readStateFile, writeStateFile, type SimState } from './state-file.js';

export interface FleetDevice {
  dev: SimDevice;
  meta: DeviceMeta;
  /** The device's session chain: a push during a session is served after it, never beside it. */
  busy: Promise<unknown>;
  /** A push is already waiting behind the current session. */
  pushQueued: boolean;
}

export interface FleetStats {
  sessions: number;
  complete: number;
  failed: number;
  pushes: number;
  /** "Verb status" → count, as the enroll summary. */
  commands: Record<string, number>;
}

export class Fleet {
  readonly devices = new Map<string, FleetDevice>();
  readonly stats: FleetStats = { sessions: 0, complete: 0, failed: 0, pushes: 0, commands: {} };
  private saveTimer?: NodeJS.Timeout;
  private unlock?: () => void;
  /** Print every Get too (otherwise they are counted per session). */
  verbose = false;
  /** Failures the devices' app CSPs produce in this run (--app-fault). */
  appFaults: AppFaults = {};
  readonly file: string;
  readonly header: Omit<SimState, 'devices'>;
  private readonly conn: Connection;
  private readonly print: (line: string) => void;

  private constructor(file: string, header: Omit<SimState, 'devices'>, conn: Connection, print: (line: string) => void) {
    this.file = file;
    this.header = header;
    // App packages download next to the state file, one directory per device.
    this.conn = { ...conn, appDir: conn.appDir ?? `${file}.apps` };
    this.print = print;
  }

  /** A new or existing state file for an enrollment run against `url`. */
  static forEnrollment(file: string, conn: Connection & { connect?: string }, print: (line: string) => void): Fleet {
    const s = readStateFile(file, true);
    if (s && s.url !== conn.url) throw new StateFileError(file, `holds devices of ${s.url}, not ${conn.url}: use another file`);
    const fleet = new Fleet(
      file,
      { kind: 'fenestra-sim-state', version: 1, url: conn.url, ca: conn.ca ?? s?.ca, connect: conn.connect ?? s?.connect },
      conn,
      print,
    );
    if (s) fleet.restoreAll(s);
    return fleet;
  }

  /**
   * The devices of an existing state file; connect/ca given now replace the saved ones.
   * `readOnly`: no lock taken, never saved (list).
   */
  static load(file: string, over: { ca?: string; connectTo?: { host: string; port: number } }, print: (line: string) => void, readOnly = false): Fleet {
    const unlock = readOnly ? undefined : lockStateFile(file);
    try {
      const fleet = Fleet.read(file, over, print);
      fleet.unlock = unlock;
      return fleet;
    } catch (err) {
      unlock?.();
      throw err;
    }
  }

  private static read(file: string, over: { ca?: string; connectTo?: { host: string; port: number } }, print: (line: string) => void): Fleet {
    const s = readStateFile(file)!;
    let connectTo = over.connectTo;
    if (!connectTo && s.connect) {
      const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(s.connect);
      if (!m) throw new StateFileError(file, `connect: ${JSON.stringify(s.connect)} is not HOST:PORT`);
      connectTo = { host: m[1], port: Number(m[2]) };
    }
    const { devices: _, ...header } = s;
    const fleet = new Fleet(file, header, { url: s.url, ca: over.ca ?? s.ca, connectTo }, print);
    fleet.restoreAll(s);
    return fleet;
  }

  private restoreAll(s: SimState): void {
    for (const [i, d] of s.devices.entries()) {
      let dev: SimDevice;
      try {
        dev = restoreDevice(d, this.conn);
      } catch (err) {
        throw new StateFileError(this.file, `devices[${i}] (${d.deviceId}): ${(err as Error).message}`);
      }
      const { auth, maxMsgSize, enrolledAt, lastCheckinAt, poll } = d;
      this.devices.set(dev.deviceId, { dev, meta: { auth, maxMsgSize, enrolledAt, lastCheckinAt, poll }, busy: Promise.resolve(), pushQueued: false });
    }
  }

  add(dev: SimDevice, meta: DeviceMeta): void {
    dev.appDir = path.join(this.conn.appDir!, dev.deviceId);
    this.devices.set(dev.deviceId, { dev, meta, busy: Promise.resolve(), pushQueued: false });
    this.saveSoon();
  }

  /**
   * Devices by DeviceID (case-insensitive, or a unique prefix of one); all when `ids` is empty.
   * Throws naming the first id that matches none or several.
   */
  select(ids: string[]): FleetDevice[] {
    if (ids.length === 0) return [...this.devices.values()];
    return ids.map((id) => {
      const want = id.toUpperCase();
      const exact = [...this.devices.values()].find((d) => d.dev.deviceId.toUpperCase() === want);
      if (exact) return exact;
      const found = [...this.devices.values()].filter((d) => d.dev.deviceId.toUpperCase().startsWith(want));
      if (found.length === 1) return found[0];
      throw new StateFileError(this.file, found.length ? `--device ${id} names ${found.length} devices: give more of the DeviceID` : `no device ${id}`);
    });
  }

  /** Can the device still check in? Says why not when it cannot. */
  active(d: FleetDevice): string | undefined {
    if (d.dev.wiped) return 'was wiped: it no longer checks in';
    if (d.dev.state !== 'enrolled') return 'is unenrolled';
    return undefined;
  }

  /**
   * One check-in, after any session of the device in progress. `scheduled`: a poll of its
   * schedule (counted to find the next one); `push`: woken by a notification (Alert 1200).
   */
  checkin(d: FleetDevice, o: { scheduled?: boolean; push?: boolean; label?: string } = {}): Promise<CheckinResult | undefined> {
    const run = d.busy.then(() => this.session(d, o));
    d.busy = run.catch(() => undefined);
    return run;
  }

  /** A notification for `deviceId`: false when this run holds no such device (the listener answers 404). */
  push(deviceId: string): boolean {
    const d = this.devices.get(deviceId);
    if (!d) return false;
    this.stats.pushes++;
    // Several pushes during one session wake the device once more, not once each.
    if (d.pushQueued) return true;
    d.pushQueued = true;
    void this.checkin(d, { push: true, label: 'push → ' });
    return true;
  }

  private async session(d: FleetDevice, o: { scheduled?: boolean; push?: boolean; label?: string }): Promise<CheckinResult | undefined> {
    if (o.push) d.pushQueued = false;
    const id = d.dev.deviceId;
    const why = this.active(d);
    if (why) {
      this.print(`device ${id} ${why}`);
      return undefined;
    }
    if (o.scheduled) this.countPoll(d);
    let r: CheckinResult;
    d.dev.apps.faults = { ...this.appFaults };
    const seen = new Map(d.dev.apps.jobs.map((j) => [j, j.statuses.length]));
    const espSeen = new Map(d.dev.esp.phases.map((p) => [p.user, p.events.length]));
    try {
      r = await d.dev.checkin(o.push ? { initiator: '1200' } : {});
    } catch (err) {
      this.stats.sessions++;
      this.stats.failed++;
      this.print(`${o.label ?? ''}device ${id}: check-in failed: ${(err as Error).message}`);
      return undefined;
    }
    d.meta.lastCheckinAt = new Date().toISOString();
    this.stats.sessions++;
    if (r.outcome === 'complete') this.stats.complete++;
    else this.stats.failed++;
    for (const c of r.commands) {
      const key = `${c.kind} ${c.status}`;
      this.stats.commands[key] = (this.stats.commands[key] ?? 0) + 1;
    }
    this.report(d, r, o.label ?? '');
    for (const j of d.dev.apps.jobs) {
      const fresh = j.statuses.slice(seen.get(j) ?? 0);
      if (!fresh.length) continue;
      const err = j.lastError ? `, LastError 0x${(j.lastError >>> 0).toString(16).toUpperCase()} ${j.lastErrorDesc ?? ''}` : '';
      this.print(`device ${id}: ${j.kind.toUpperCase()} ${j.id}${j.user ? ` (user ${j.user})` : ''}: Status ${fresh.join(' → ')}${err}`);
    }
    // The Enrollment Status Page, while it shows and when it just ended.
    const esp = d.dev.esp.phases.filter((p) => p.status === 'in-progress' || p.events.length !== espSeen.get(p.user));
    for (const line of describeEsp(esp)) this.print(`device ${id}: ${line}`);
    this.saveSoon();
    return r;
  }

  private report(d: FleetDevice, r: CheckinResult, label: string): void {
    const id = d.dev.deviceId;
    const outcome = r.outcome === 'complete' ? 'checked in' : `check-in ${r.outcome}: ${r.error ?? 'aborted by the server'}`;
    this.print(`${label}device ${id} ${outcome}`);
    const gets = new Map<string, number>();
    for (const c of r.commands) {
      if (c.kind === 'Alert') continue; // 1222/1223: the session's own plumbing
      if (c.kind === 'Get' && !this.verbose) {
        gets.set(c.status, (gets.get(c.status) ?? 0) + c.targets.length);
        continue;
      }
      const what = c.kind === 'Atomic' || c.kind === 'Sequence' ? '' : ` ${c.targets.join(', ')}`;
      this.print(`device ${id}: ${'  '.repeat(c.parents.length)}${c.kind}${what} → ${c.status}`);
    }
    if (gets.size) this.print(`device ${id}: Get of ${[...gets].map(([s, n]) => `${n} node(s) → ${s}`).join(', ')}`);
    if (r.unenrollSession) this.print(`device ${id}: unenrolled by the server (unenrollment session ${r.unenrollSession.outcome})`);
    if (d.dev.wiped && r.execs.some((x) => /\/RemoteWipe\//.test(x.target))) this.print(`device ${id}: wiped; it will not check in again`);
  }

  /** Count a scheduled check-in; the count starts over when the server changed the Poll values. */
  private countPoll(d: FleetDevice): void {
    const s = pollSchedule(d.dev.tree, d.dev.enrollment!.providerId);
    if (!s) return;
    if (d.meta.poll?.schedule !== s.signature) d.meta.poll = { schedule: s.signature, done: 0 };
    d.meta.poll.done++;
  }

  /** Milliseconds until the device's next scheduled check-in by its Poll nodes; undefined without them. */
  nextPollMs(d: FleetDevice, timeScale: number): number | undefined {
    const s = pollSchedule(d.dev.tree, d.dev.enrollment!.providerId);
    if (!s) return undefined;
    const done = d.meta.poll?.schedule === s.signature ? d.meta.poll.done : 0;
    return (nextPollMinutes(s, done) * 60_000) / timeScale;
  }

  /** Save within a second (runs with many sessions write the file once a second at most). */
  saveSoon(): void {
    this.saveTimer ??= setTimeout(() => {
      this.saveTimer = undefined;
      this.save();
    }, 1000);
  }

  /** Save now (and cancel a pending save). */
  save(): void {
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    const devices = [...this.devices.values()].map((d) => saveDevice(d.dev, d.meta));
    writeStateFile(this.file, { ...this.header, devices });
  }

  /** Let other runs use the file (after the last save). */
  close(): void {
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    this.unlock?.();
  }

  /** Wait for every session in progress. */
  async settle(): Promise<void> {
    await Promise.all([...this.devices.values()].map((d) => d.busy));
  }
}
