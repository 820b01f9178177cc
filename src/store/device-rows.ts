// Rows to records for the fleet views, shared by both backends.
import type { FleetCounts, StalePolicy } from '../domain/fleet.js';
import type { Row } from './rows.js';

export const STALE_POLICY_KEY = 'stale-devices';

export function stalePolicyFromJson(v: unknown): StalePolicy | undefined {
  return v === undefined || v === null ? undefined : (JSON.parse(String(v)) as StalePolicy);
}

/** Tables to empty of a deleted device's rows, children first: certificates and commands last but one, devices itself apart. */
export function tablesKeyedByDevice(tables: string[]): string[] {
  const last = ['commands', 'certificates'];
  return [...tables.filter((t) => t !== 'devices' && !last.includes(t)).sort(), ...last.filter((t) => tables.includes(t))];
}

const num = (v: unknown) => Number(v ?? 0);

export function fleetCountsFrom(groups: Record<string, Row[]>, ls: Row): FleetCounts {
  const map = (rows: Row[] | undefined) => Object.fromEntries((rows ?? []).map((r) => [String(r.k), num(r.n)]));
  return {
    total: num(ls.total),
    byOsBuild: map(groups.byOsBuild),
    byEditionCode: map(groups.byEditionCode),
    byEnrollmentType: map(groups.byEnrollmentType),
    byState: map(groups.byState),
    lastSeen: { today: num(ls.today), last7Days: num(ls.week), last30Days: num(ls.month), older: num(ls.older), never: num(ls.never) },
    stale: num(ls.stale),
  };
}
