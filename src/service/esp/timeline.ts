// Day zero as the admin sees it: each run of a device as a timeline (started, each required item
// done or failed, finished / failed / timed out), and fleet-wide figures — how long day zero
// takes (p50/p95 of the runs that finished) and which items held runs back most, counted by the
// store in SQL (EspStore.figures) but for the failed and timed-out runs, read whole.
import type { EspEvent, EspFleetFigures, EspOutcome, EspRun } from '../../domain/esp.js';
import type { EspFigureParts, Store } from '../../store/types.js';
import { notFound } from '../errors.js';

/** The outcome as of `now`: an open run past its deadline has timed out (its device never came back to say more). */
export function outcomeAt(run: Pick<EspRun, 'outcome' | 'deadline'>, now: string): EspOutcome | undefined {
  return run.outcome ?? (now >= run.deadline ? 'timed-out' : undefined);
}

/** The run's events in time order (ties: started first, the end last). */
export function runEvents(run: EspRun, now: string): EspEvent[] {
  const events: EspEvent[] = [{ at: run.startedAt, type: 'started' }];
  for (const i of run.items) {
    if (i.status === 'pending' || !i.at) continue;
    const e: EspEvent = { at: i.at, type: i.status === 'done' ? 'item-done' : 'item-failed', profileId: i.profileId };
    if (i.name) e.name = i.name;
    if (i.detail) e.detail = i.detail;
    events.push(e);
  }
  const outcome = outcomeAt(run, now);
  if (outcome) {
    const end: EspEvent = { at: run.finishedAt ?? run.deadline, type: outcome === 'done' ? 'finished' : outcome };
    if (outcome !== 'done' && run.errorText) end.detail = run.errorText;
    events.push(end);
  }
  const order = (e: EspEvent) => (e.type === 'started' ? 0 : e.type.startsWith('item') ? 1 : 2);
  return events.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : order(a) - order(b)));
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: number[], q: number): number | undefined {
  if (!sorted.length) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/**
 * Figures over runs (of one phase or both), the plain path: what figuresFromParts gives from the
 * store's SQL counts (a bypass, docs/performance.md; test/esp/figures.test.ts holds them equal).
 * Blocking items: in a finished run the item done last (it held the page longest); in a failed
 * run its failed items; in a timed-out run the items still pending.
 */
export function fleetFigures(runs: EspRun[], now: string, phase: EspFleetFigures['phase']): EspFleetFigures {
  const sel = runs.filter((r) => phase === 'all' || (phase === 'device') === (r.userKey === ''));
  const byOutcome = { inProgress: 0, done: 0, failed: 0, timedOut: 0 };
  const durations: number[] = [];
  const blocking = new Map<string, EspFleetFigures['blocking'][number]>();
  const block = (profileId: string, name: string | undefined, how: 'done' | 'failed' | 'timed-out') => {
    let b = blocking.get(profileId);
    if (!b) blocking.set(profileId, (b = { profileId, runs: 0, failed: 0, timedOut: 0 }));
    if (name && !b.name) b.name = name;
    b.runs++;
    if (how === 'failed') b.failed++;
    if (how === 'timed-out') b.timedOut++;
  };
  for (const r of sel) {
    const o = outcomeAt(r, now);
    if (!o) {
      byOutcome.inProgress++;
      continue;
    }
    if (o === 'done') {
      byOutcome.done++;
      if (r.finishedAt) durations.push((Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 1000);
      const last = r.items.filter((i) => i.at).sort((a, b) => (a.at! < b.at! ? 1 : a.at! > b.at! ? -1 : 0))[0];
      if (last) block(last.profileId, last.name, 'done');
    } else if (o === 'failed') {
      byOutcome.failed++;
      for (const i of r.items) if (i.status === 'failed') block(i.profileId, i.name, 'failed');
    } else {
      byOutcome.timedOut++;
      for (const i of r.items) if (i.status === 'pending') block(i.profileId, i.name, 'timed-out');
    }
  }
  durations.sort((a, b) => a - b);
  const out: EspFleetFigures = {
    phase,
    runs: sel.length,
    byOutcome,
    blocking: [...blocking.values()]
      .sort((a, b) => b.runs - a.runs || b.failed + b.timedOut - (a.failed + a.timedOut) || (a.profileId < b.profileId ? -1 : 1))
      .slice(0, 10),
  };
  const p50 = percentile(durations, 0.5);
  const p95 = percentile(durations, 0.95);
  if (p50 !== undefined) out.p50Seconds = p50;
  if (p95 !== undefined) out.p95Seconds = p95;
  return out;
}

/**
 * Bypass: the fleet figures from the store's part of them (EspStore.figures: counts, p50/p95 and
 * the done runs by their last item, counted in SQL over an index) and the failed and timed-out
 * runs, instead of fleetFigures over every run read whole. Blocking items as there.
 */
function figuresFromParts(parts: EspFigureParts, now: string, phase: EspFleetFigures['phase']): EspFleetFigures {
  const byOutcome = { inProgress: 0, done: 0, failed: 0, timedOut: 0 };
  const blocking = new Map<string, EspFleetFigures['blocking'][number]>();
  const block = (profileId: string, name: string | undefined, how: 'done' | 'failed' | 'timed-out', runs = 1) => {
    let b = blocking.get(profileId);
    if (!b) blocking.set(profileId, (b = { profileId, runs: 0, failed: 0, timedOut: 0 }));
    if (name && !b.name) b.name = name;
    b.runs += runs;
    if (how === 'failed') b.failed += runs;
    if (how === 'timed-out') b.timedOut += runs;
  };
  for (const d of parts.done) {
    byOutcome.done += d.runs;
    if (d.profileId !== undefined) block(d.profileId, d.name, 'done', d.runs);
  }
  for (const r of parts.rest) {
    const o = outcomeAt(r, now);
    if (!o) byOutcome.inProgress++;
    else if (o === 'failed') {
      byOutcome.failed++;
      for (const i of r.items) if (i.status === 'failed') block(i.profileId, i.name, 'failed');
    } else if (o === 'timed-out') {
      byOutcome.timedOut++;
      for (const i of r.items) if (i.status === 'pending') block(i.profileId, i.name, 'timed-out');
    }
  }
  const out: EspFleetFigures = {
    phase,
    runs: byOutcome.done + parts.rest.length,
    byOutcome,
    blocking: [...blocking.values()]
      .sort((a, b) => b.runs - a.runs || b.failed + b.timedOut - (a.failed + a.timedOut) || (a.profileId < b.profileId ? -1 : 1))
      .slice(0, 10),
  };
  const [p50, p95] = parts.durationsMs;
  if (p50 !== undefined) out.p50Seconds = p50 / 1000;
  if (p95 !== undefined) out.p95Seconds = p95 / 1000;
  return out;
}

/** A run as the API shows it: the stored run, its outcome as of now, and its events. */
export type EspRunView = EspRun & { events: EspEvent[] };

export class DayZeroView {
  private readonly store: Store;
  private readonly now: () => Date;
  constructor(store: Store, now: () => Date = () => new Date()) {
    this.store = store;
    this.now = now;
  }

  /** The device's runs (device phase first, then each user's), by our id or its DeviceID. */
  async device(id: string): Promise<{ device: string; deviceId: string; enrolledAt: string; runs: EspRunView[] }> {
    const d = (await this.store.devices.get(id)) ?? (await this.store.devices.getByDeviceId(id));
    if (!d) throw notFound('device');
    const now = this.now().toISOString();
    const runs = await this.store.esp.runs(d.id);
    return {
      device: d.id,
      deviceId: d.deviceId,
      enrolledAt: d.enrolledAt,
      runs: runs.map((r) => {
        const outcome = outcomeAt(r, now);
        return { ...r, ...(outcome ? { outcome, finishedAt: r.finishedAt ?? r.deadline } : {}), events: runEvents(r, now) };
      }),
    };
  }

  /** Fleet figures of one phase (or both), over the runs started since `since` (all when absent). */
  async fleet(phase: EspFleetFigures['phase'], since?: string): Promise<EspFleetFigures> {
    const parts = await this.store.esp.figures(since === undefined ? { phase } : { phase, since }, [0.5, 0.95]);
    return figuresFromParts(parts, this.now().toISOString(), phase);
  }
}
