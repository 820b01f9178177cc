// The check-in schedule as the admin sets it (global, or per device group), and what we know of
// the schedule each device holds. On the device it is the DMClient Poll node set (minutes).

/** One set of scheduled check-ins: `count` sessions `intervalMinutes` apart (count 0: for ever). */
export interface CheckinRetries {
  intervalMinutes: number;
  count: number;
}

export interface CheckinSchedule {
  /** Right after enrollment (or a schedule change): Poll/IntervalForFirstSetOfRetries, NumberOfFirstRetries. */
  firstRetries: CheckinRetries;
  /** Then: IntervalForSecondSetOfRetries, NumberOfSecondRetries (interval 0: skipped). */
  secondRetries: CheckinRetries;
  /** The long-run schedule: IntervalForRemainingScheduledRetries, NumberOfRemainingScheduledRetries (count 0: for ever). */
  regular: CheckinRetries;
  /** A session at every user sign-in (PollOnLogin). */
  pollOnLogin: boolean;
  /** A session at the first sign-in of every user (AllUsersPollOnFirstLogin). */
  allUsersPollOnFirstLogin: boolean;
}

/** Where a device's effective schedule comes from. */
export type CheckinScheduleSource = { kind: 'default' } | { kind: 'global' } | { kind: 'group'; groupId: string; groupName: string };

/** A group's own schedule. */
export interface GroupCheckinSchedule {
  groupId: string;
  groupName: string;
  schedule: CheckinSchedule;
  updatedAt: string;
}

/** What the server knows of the schedule a device holds, and of the delivery of a newer one. */
export interface DeviceCheckinState {
  devicePk: string;
  /** The enrollment this state belongs to (a re-enrollment resets the device's schedule to the provisioning document's). */
  enrolledAt: string;
  /** The schedule the device acknowledged, its hash and when. */
  applied?: { hash: string; schedule: CheckinSchedule; at: string };
  /** The schedule on its way: the queued command that carries it. */
  pending?: { hash: string; schedule: CheckinSchedule; commandId: string; at: string };
  /** The last failed delivery: retried after a delay. */
  failure?: { hash: string; error: string; at: string };
}
