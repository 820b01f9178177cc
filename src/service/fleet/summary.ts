// The fleet summary: devices by OS build, edition, enrollment type and state, by last check-in
// (today — since 00:00 UTC —, the 7 and 30 days before, older, never) and how many are stale
// under the stale policy. Released records (history of a re-enrolled DeviceID) are not counted.
import type { Store } from '../../store/types.js';
import { edition } from './editions.js';
import { currentStalePolicy } from './stale-policy.js';

const DAY = 86_400_000;

export async function fleetSummary(store: Store, now = new Date()) {
  const policy = await currentStalePolicy(store);
  const today = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  await store.flush();
  const [c, byCompliance] = await Promise.all([
    store.devices.fleetCounts({
      today: today.toISOString(),
      week: new Date(now.getTime() - 7 * DAY).toISOString(),
      month: new Date(now.getTime() - 30 * DAY).toISOString(),
      staleBefore: new Date(now.getTime() - policy.staleAfterDays * DAY).toISOString(),
    }),
    // Devices evaluated for compliance, by state (issue #14; one GROUP BY over the state index).
    store.compliance.counts(),
  ]);
  const byEdition: Record<string, number> = {};
  for (const [code, n] of Object.entries(c.byEditionCode)) {
    const name = edition(code || undefined).name ?? 'unknown';
    byEdition[name] = (byEdition[name] ?? 0) + n;
  }
  return {
    at: now.toISOString(),
    total: c.total,
    byOsBuild: c.byOsBuild,
    byEdition,
    byEditionCode: c.byEditionCode,
    byEnrollmentType: c.byEnrollmentType,
    byState: c.byState,
    lastSeen: c.lastSeen,
    stale: { count: c.stale, staleAfterDays: policy.staleAfterDays, policy: policy.action },
    byCompliance,
  };
}
