// Bounds on what a device writes into our tables. Everything a device sends is attacker-controlled
// input: alerts (device_alerts), DevInfo/inventory values (devices.inventory), its LoginStatus
// (devices.login_status) and how many sessions it keeps state for (dm_sessions) are capped here
// before the turn is committed, so a device can neither grow the database without bound nor make
// one row huge. Pure functions.
import type { DeviceAlert } from '../../domain/session.js';

export const DEVICE_INPUT_LIMITS = {
  /** Alerts stored from one message; the rest are counted in one summary alert. */
  alertsPerMessage: 10,
  /** Alerts kept per device (newest first); maintenance also drops them by age. */
  alertsPerDevice: 100,
  /** type, format, mark, source of an alert. */
  alertFieldChars: 256,
  alertDataChars: 4096,
  /** Distinct inventory nodes kept per device (the inventory request asks for about 20). */
  inventoryKeys: 64,
  inventoryKeyChars: 256,
  inventoryValueChars: 1024,
  loginStatusChars: 32,
  /** Session state rows kept per device (a device runs one session at a time). */
  sessionsPerDevice: 4,
} as const;

/** The type of the summary alert standing for the alerts of a message that were not stored. */
export const ALERTS_DROPPED_TYPE = 'fenestra/alerts-not-stored';

const clip = (s: string | undefined, max: number) => (s === undefined || s.length <= max ? s : s.slice(0, max));

/**
 * The first `alertsPerMessage` alerts, each field clipped, and one summary alert for the rest.
 * Our own alerts (type `fenestra/…`: one of each type, at most 4) are kept besides.
 */
export function capAlerts(alerts: DeviceAlert[], max: number = DEVICE_INPUT_LIMITS.alertsPerMessage): DeviceAlert[] {
  const f = DEVICE_INPUT_LIMITS.alertFieldChars;
  const ours = alerts.filter((a) => a.type?.startsWith('fenestra/'));
  const device = alerts.filter((a) => !a.type?.startsWith('fenestra/'));
  const ownTypes = new Set<string>();
  // (A device may send such types too: one of each, and a few at most.)
  const own = ours.filter((a) => !ownTypes.has(a.type!) && ownTypes.add(a.type!)).slice(0, 4);
  const kept: DeviceAlert[] = [...device.slice(0, max), ...own].map((a) => ({
    code: clip(a.code, f)!,
    type: clip(a.type, f),
    format: clip(a.format, f),
    mark: clip(a.mark, f),
    source: clip(a.source, f),
    data: clip(a.data, DEVICE_INPUT_LIMITS.alertDataChars),
  }));
  if (device.length > max) {
    kept.push({ code: device[max].code.slice(0, f), type: ALERTS_DROPPED_TYPE, data: `${device.length - max} more alerts in this message were not stored` });
  }
  return kept;
}

/**
 * The inventory values of this turn that may be written (the store merges them into the
 * device's): keys and values clipped, and no new key once the device has `inventoryKeys`.
 */
export function boundInventory(current: Record<string, string> | undefined, incoming: Record<string, string>): Record<string, string> {
  const L = DEVICE_INPUT_LIMITS;
  const out: Record<string, string> = {};
  let keys = Object.keys(current ?? {}).length;
  for (const [k, v] of Object.entries(incoming)) {
    if (k.length > L.inventoryKeyChars) continue;
    const known = current !== undefined && Object.prototype.hasOwnProperty.call(current, k);
    if (!known) {
      if (keys >= L.inventoryKeys) continue;
      keys++;
    }
    out[k] = clip(v, L.inventoryValueChars)!;
  }
  return out;
}

export const boundLoginStatus = (s: string) => clip(s, DEVICE_INPUT_LIMITS.loginStatusChars)!;
