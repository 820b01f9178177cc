// Rows to records for the fleet views, shared by both backends.
import type { FleetCounts, StalePolicy } from '../domain/fleet.js';
import type { Row } from './rows.js';
import { brandingDeviceKey } from './branding-rows.js';
import { renewalSettingsDeviceKey } from './renewal-settings-rows.js';

export const STALE_POLICY_KEY = 'stale-devices';

export function stalePolicyFromJson(v: unknown): StalePolicy | undefined {
  return v === undefined || v === null ? undefined : (JSON.parse(String(v)) as StalePolicy);
}

/** Tables to empty of a deleted device's rows, children first: certificates and commands last but one, devices itself apart. */
export function tablesKeyedByDevice(tables: string[]): string[] {
  const last = ['commands', 'certificates'];
  return [...tables.filter((t) => t !== 'devices' && !last.includes(t)).sort(), ...last.filter((t) => tables.includes(t))];
}

/** Settings rows kept per device (keyed by its pk in the settings table, no device_pk column): deleted with the device. */
export const deviceSettingKeys = (devicePk: string): string[] => [brandingDeviceKey(devicePk), renewalSettingsDeviceKey(devicePk)];

const num = (v: unknown) => Number(v ?? 0);

/** The fleet counts from summarySql's rows (each grouping, NULL as '', summed) and activitySql's one row (the buckets). */
export function fleetCountsFrom(rows: Row[], activity: Row | undefined): FleetCounts {
  const c: FleetCounts = {
    total: 0,
    byOsBuild: {},
    byEditionCode: {},
    byEnrollmentType: {},
    byState: {},
    lastSeen: { today: 0, last7Days: 0, last30Days: 0, older: 0, never: 0 },
    stale: 0,
  };
  const add = (into: Record<string, number>, k: unknown, n: number) => {
    const key = String(k ?? '');
    into[key] = (into[key] ?? 0) + n;
  };
  for (const r of rows) {
    const n = num(r.total);
    c.total += n;
    add(c.byOsBuild, r.os_build, n);
    add(c.byEditionCode, r.os_edition, n);
    add(c.byEnrollmentType, r.enrollment_type, n);
    add(c.byState, r.state, n);
  }
  const a = activity ?? {};
  c.lastSeen = { today: num(a.today), last7Days: num(a.week), last30Days: num(a.month), older: num(a.older), never: num(a.never) };
  c.stale = num(a.stale);
  return c;
}
