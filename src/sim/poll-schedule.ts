// When a simulated device checks in next on its own: the DMClient Poll schedule as Windows runs
// it (DMClient CSP, Provider/<id>/Poll): NumberOfFirstRetries sessions IntervalForFirstSetOfRetries
// minutes apart, then the second set, then the remaining set; a count of 0 with a non-zero
// interval repeats for ever, an interval of 0 disables its set; with no set that repeats for ever,
// Windows adds a 24-hour schedule.
import type { DmTree } from './dm-tree.js';

interface PollSet {
  intervalMin: number;
  count: number;
}

export interface PollSchedule {
  sets: PollSet[];
  /** The values as read, to notice the server changing them (the schedule then starts over). */
  signature: string;
}

const NAMES = [
  ['IntervalForFirstSetOfRetries', 'NumberOfFirstRetries'],
  ['IntervalForSecondSetOfRetries', 'NumberOfSecondRetries'],
  ['IntervalForRemainingScheduledRetries', 'NumberOfRemainingScheduledRetries'],
] as const;

/** The device's poll schedule for provider `providerId`; undefined when it has no Poll node. */
export function pollSchedule(tree: DmTree, providerId: string): PollSchedule | undefined {
  const base = `./Vendor/MSFT/DMClient/Provider/${encodeURIComponent(providerId)}/Poll`;
  if (!tree.has(base)) return undefined;
  const num = (name: string) => {
    const v = tree.read(`${base}/${name}`)?.data;
    return v !== undefined && /^\d+$/.test(v) ? Number(v) : 0;
  };
  const sets = NAMES.map(([i, n]) => ({ intervalMin: num(i), count: num(n) }));
  return { sets, signature: sets.map((s) => `${s.intervalMin}x${s.count}`).join(',') };
}

/** Minutes until scheduled check-in number `done` (0-based) of the schedule. */
export function nextPollMinutes(s: PollSchedule, done: number): number {
  let left = done;
  for (const set of s.sets) {
    if (set.intervalMin === 0) continue;
    if (set.count === 0) return set.intervalMin;
    if (left < set.count) return set.intervalMin;
    left -= set.count;
  }
  return 24 * 60;
}
