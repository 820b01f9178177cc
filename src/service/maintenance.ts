// Periodic housekeeping: session traces and device alerts are kept for a bounded time and count
// per device, and abandoned session state is forgotten (its unanswered commands are requeued at
// the device's next session anyway).
import type { Logger } from 'pino';
import type { Store } from '../store/types.js';
import { runDueRevocations } from './device-revocation.js';
import { applyStalePolicy } from './fleet/stale-policy.js';
import { DEVICE_INPUT_LIMITS } from './management/device-input.js';
import { SESSION_IDLE_MS } from './management/session-token.js';

export interface RetentionSettings {
  traceDays: number;
  tracesPerDevice: number;
  sessionIdleMinutes: number;
  /** Device alerts: days kept (default 30) and newest kept per device (default as in commitTurn). */
  alertDays?: number;
  alertsPerDevice?: number;
}

export const DEFAULT_RETENTION: RetentionSettings = { traceDays: 7, tracesPerDevice: 200, sessionIdleMinutes: SESSION_IDLE_MS / 60_000 };

export async function runMaintenance(
  store: Store,
  r: RetentionSettings,
  now: Date,
): Promise<{ traces: number; sessions: number; alerts: number; revoked: number; staleRetired: number; staleDeleted: number }> {
  // Revocations waiting for a wipe/retire (or their deadline): see device-revocation.ts.
  const revoked = await runDueRevocations(store, now);
  const traces = await store.traces.prune(new Date(now.getTime() - r.traceDays * 86_400_000).toISOString(), r.tracesPerDevice);
  const sessions = await store.management.pruneSessions(new Date(now.getTime() - r.sessionIdleMinutes * 60_000).toISOString());
  const alertsBefore = new Date(now.getTime() - (r.alertDays ?? 30) * 86_400_000).toISOString();
  const alerts = await store.traces.pruneAlerts(alertsBefore, r.alertsPerDevice ?? DEVICE_INPUT_LIMITS.alertsPerDevice);
  // The stale-device policy (service/fleet/stale-policy.ts): devices long unseen retired or deleted.
  const stale = await applyStalePolicy(store, now);
  return { traces, sessions, alerts, revoked, staleRetired: stale.retired, staleDeleted: stale.deleted };
}

/** Runs maintenance every `everyMs` until stopped. */
export function scheduleMaintenance(store: Store, log: Logger, everyMs = 10 * 60_000, r = DEFAULT_RETENTION): () => void {
  const timer = setInterval(() => {
    runMaintenance(store, r, new Date()).then(
      (n) => Object.values(n).some((v) => v > 0) && log.info(n, 'maintenance: pruned traces, alerts and idle sessions; due revocations; stale devices'),
      (err) => log.warn({ err }, 'maintenance failed'),
    );
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
