// Fleet views: the device list's query, the fleet summary's counts, the stale-device policy.

export type DeviceSortKey = 'lastSeen' | 'enrolledAt' | 'hostName' | 'upn';

/** Which devices: every set field narrows the list (AND). Text matches are case-insensitive. */
export interface DeviceFilter {
  /** Substring of the UPN (enrollment or signed-in user), DeviceID, our id or host name. */
  q?: string;
  /** Exact UPN, enrollment user or signed-in user. */
  upn?: string;
  deviceId?: string;
  hostName?: string;
  /** Prefix of the OS build (`10.0.22631` matches `10.0.22631.4460`). */
  osBuild?: string;
  /** OS edition numbers (SKU); the service maps names to them. */
  editionCodes?: number[];
  enrollmentType?: 'Full' | 'Device';
  state?: 'enrolled' | 'unenrolled';
  /** Last check-in strictly before / at or after this instant (never-seen devices match neither). */
  lastSeenBefore?: string;
  lastSeenAfter?: string;
  /** Not seen since this instant (never seen: since enrollment). */
  staleBefore?: string;
  /** Devices with a delivery row in this status (of `profileId` when given), or of this profile. */
  profileStatus?: string;
  profileId?: string;
  /** Devices in this compliance state (unknown: also those never evaluated). */
  compliance?: 'compliant' | 'noncompliant' | 'inGracePeriod' | 'unknown';
}

export interface DeviceQuery extends DeviceFilter {
  sort: DeviceSortKey;
  descending: boolean;
  limit: number;
  /** Keyset: rows after this (sort value, id) pair in the order asked. */
  after?: { key: string; id: string };
  /** Compatibility paging (no cursor). */
  offset?: number;
}

export interface FleetCounts {
  total: number;
  byOsBuild: Record<string, number>;
  /** By edition number (as the device gave it; '' when unknown). */
  byEditionCode: Record<string, number>;
  byEnrollmentType: Record<string, number>;
  byState: Record<string, number>;
  lastSeen: { today: number; last7Days: number; last30Days: number; older: number; never: number };
  stale: number;
}

export type StaleAction = 'none' | 'retire' | 'delete';

export interface StalePolicy {
  /** A device not seen for this many days (never seen: since enrollment) is stale. */
  staleAfterDays: number;
  /** What the maintenance loop does to devices stale for `afterDays`: retire = revoke (the record stays), delete = revoke and delete. */
  action: StaleAction;
  afterDays: number;
  updatedAt?: string;
}

/** What went with a deleted device record (for its audit entry). */
export interface DeviceRemoval {
  certificates: string[];
  rows: Record<string, number>;
}
