// The check-in schedule on the device: the DMClient Poll nodes
// (./Vendor/MSFT/DMClient/Provider/<ProviderID>/Poll/*, minutes), as the provisioning document
// carries them at enrollment (wap.ts PollSchedule, the long run at 24 h or more: MS-MDE2 §2.2.9.3)
// and as one Atomic of Replaces afterwards.
import type { CommandPayload } from '../../domain/command.js';
import type { CheckinSchedule } from '../../domain/checkin-schedule.js';
import { DEFAULT_POLL, type PollSchedule } from '../wap.js';

/** The admin's shape of a Poll node set. */
function fromPoll(p: PollSchedule): CheckinSchedule {
  return {
    firstRetries: { intervalMinutes: p.intervalForFirstSetOfRetries, count: p.numberOfFirstRetries },
    secondRetries: { intervalMinutes: p.intervalForSecondSetOfRetries, count: p.numberOfSecondRetries },
    regular: { intervalMinutes: p.intervalForRemainingScheduledRetries, count: p.numberOfRemainingScheduledRetries },
    pollOnLogin: p.pollOnLogin,
    allUsersPollOnFirstLogin: p.allUsersPollOnFirstLogin,
  };
}

export function toPoll(s: CheckinSchedule): PollSchedule {
  return {
    intervalForFirstSetOfRetries: s.firstRetries.intervalMinutes,
    numberOfFirstRetries: s.firstRetries.count,
    intervalForSecondSetOfRetries: s.secondRetries.intervalMinutes,
    numberOfSecondRetries: s.secondRetries.count,
    intervalForRemainingScheduledRetries: s.regular.intervalMinutes,
    numberOfRemainingScheduledRetries: s.regular.count,
    pollOnLogin: s.pollOnLogin,
    allUsersPollOnFirstLogin: s.allUsersPollOnFirstLogin,
  };
}

/** The schedule when the admin set none: what every enrollment got before schedules were settable. */
export const DEFAULT_SCHEDULE: CheckinSchedule = fromPoll(DEFAULT_POLL);

/**
 * MS-MDE2 §2.2.9.3: RemainingScheduledRetries is the long-run polling schedule, and
 * IntervalForRemainingScheduledRetries MUST NOT be smaller than 1440 minutes (24 hours).
 */
const LONG_RUN_MIN_MINUTES = 1440;

/**
 * The schedule as the enrollment's provisioning document (MS-MDE2) carries it: the long-run
 * interval raised to LONG_RUN_MIN_MINUTES when it is shorter (0, the set switched off, stays 0).
 * The admin's own schedule then goes over OMA-DM in the device's first session (pollPayload).
 */
export function provisioningSchedule(s: CheckinSchedule): CheckinSchedule {
  const interval = s.regular.intervalMinutes;
  if (interval === 0 || interval >= LONG_RUN_MIN_MINUTES) return s;
  return { ...s, regular: { ...s.regular, intervalMinutes: LONG_RUN_MIN_MINUTES } };
}

/** The Poll node set of a provider, in node order (name → value, Meta/Format). */
function pollNodes(providerId: string, s: CheckinSchedule): { target: string; format: 'int' | 'bool'; data: string }[] {
  const base = `./Vendor/MSFT/DMClient/Provider/${encodeURIComponent(providerId)}/Poll`;
  const p = toPoll(s);
  const int = (name: string, v: number) => ({ target: `${base}/${name}`, format: 'int' as const, data: String(v) });
  const bool = (name: string, v: boolean) => ({ target: `${base}/${name}`, format: 'bool' as const, data: String(v) });
  return [
    int('IntervalForFirstSetOfRetries', p.intervalForFirstSetOfRetries),
    int('NumberOfFirstRetries', p.numberOfFirstRetries),
    int('IntervalForSecondSetOfRetries', p.intervalForSecondSetOfRetries),
    int('NumberOfSecondRetries', p.numberOfSecondRetries),
    int('IntervalForRemainingScheduledRetries', p.intervalForRemainingScheduledRetries),
    int('NumberOfRemainingScheduledRetries', p.numberOfRemainingScheduledRetries),
    bool('PollOnLogin', p.pollOnLogin),
    bool('AllUsersPollOnFirstLogin', p.allUsersPollOnFirstLogin),
  ];
}

/**
 * The schedule as one Atomic of Replaces: the device holds the eight nodes from its provisioning
 * document, and takes all of them or none (a half-applied schedule could leave it with two
 * infinite schedules, which Windows "corrects" its own way).
 */
export function pollPayload(providerId: string, s: CheckinSchedule): CommandPayload {
  return { kind: 'Atomic', commands: pollNodes(providerId, s).map((it) => ({ kind: 'Replace', items: [it] })) };
}
