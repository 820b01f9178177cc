// The Enrollment Status Page (issue #16): what the admin requires before the desktop, and how
// each enrollment's day zero went (the device phase, then each user's first sign-in).

/** Who an ESP policy applies to, as profile assignments: every device, a local group, or an Entra group (object ID, lower case). */
export interface EspTarget {
  type: 'all' | 'group' | 'entraGroup';
  /** The group id or the Entra group's object ID; absent for 'all'. */
  id?: string;
}

export interface EspPolicy {
  id: string;
  name: string;
  target: EspTarget;
  /** Profiles (any kind, 'app' included) that must be in place before the desktop, when assigned to the device or user. */
  requiredProfileIds: string[];
  /** TimeOutUntilSyncFailure: minutes (1..1440) before the device shows the error. */
  timeoutMinutes: number;
  /** CustomErrorText: what the device shows when day zero fails or times out. */
  errorText?: string;
  /** BlockInStatusPage: keep the user on the page until done (the Try again button is then always offered). */
  blockDevice: boolean;
  /** With blockDevice: offer Reset PC on failure (BlockInStatusPage 0x1). */
  allowReset?: boolean;
  /** With blockDevice: offer Continue anyway on failure (BlockInStatusPage 0x4). */
  allowContinue?: boolean;
  /** AllowCollectLogsButton. */
  allowCollectLogs: boolean;
  /** SkipUserStatusPage: no user phase. */
  skipUserPhase: boolean;
  /** SkipDeviceStatusPage: no device phase. */
  skipDevicePhase: boolean;
  createdAt: string;
  updatedAt: string;
}

export type EspItemStatus = 'pending' | 'done' | 'failed';

export interface EspRunItem {
  profileId: string;
  /** The profile's name and kind when the run started (the profile may go later). */
  name?: string;
  kind?: string;
  status: EspItemStatus;
  /** When it was done or failed. */
  at?: string;
  /** Why it failed (the delivery's detail). */
  detail?: string;
}

export type EspOutcome = 'done' | 'timed-out' | 'failed';

/** One phase of one enrollment's day zero: the device phase (userKey '') or one user's first sign-in. */
export interface EspRun {
  devicePk: string;
  /** '' = the device phase; else the user key (Entra object ID, lower case). */
  userKey: string;
  upn?: string;
  /** The policy that applied when it started. */
  policyId: string;
  startedAt: string;
  /** When the run ends 'timed-out' unless done before (startedAt + TimeOutUntilSyncFailure). */
  deadline: string;
  /** The error text declared to the device (kept: the policy may change later). */
  errorText?: string;
  items: EspRunItem[];
  /** When ServerHasFinishedProvisioning was set (outcome 'done'), or when the run failed or timed out. */
  finishedAt?: string;
  outcome?: EspOutcome;
}

/** A run's timeline for the admin: started, each item done or failed, finished / failed / timed out. */
export interface EspEvent {
  at: string;
  type: 'started' | 'item-done' | 'item-failed' | 'finished' | 'failed' | 'timed-out';
  profileId?: string;
  name?: string;
  detail?: string;
}

/** Fleet-wide day zero (GET /api/v1/fleet/day-zero). */
export interface EspFleetFigures {
  phase: 'device' | 'user' | 'all';
  runs: number;
  byOutcome: { inProgress: number; done: number; failed: number; timedOut: number };
  /** Seconds from start to finish of the runs that ended 'done' (absent when none). */
  p50Seconds?: number;
  p95Seconds?: number;
  /** The items that held runs back most: the last item done in successful runs, the pending/failed ones in the others. */
  blocking: { profileId: string; name?: string; runs: number; failed: number; timedOut: number }[];
}
