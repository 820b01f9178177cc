// Rows of device_apps and device_app_reads (migration 26), shared by both backends.
import type { Row } from './rows.js';
import type { DeviceApp, DeviceAppRead, DeviceAppSource } from './types.js';

const opt = (v: unknown) => (v === null || v === undefined ? undefined : String(v));

export function deviceAppFromRow(r: Row): DeviceApp {
  const a: DeviceApp = { userKey: String(r.user_key), source: String(r.source) as DeviceAppSource, appKey: String(r.app_key), seenAt: String(r.seen_at) };
  const name = opt(r.name);
  const version = opt(r.version);
  const publisher = opt(r.publisher);
  if (name !== undefined) a.name = name;
  if (version !== undefined) a.version = version;
  if (publisher !== undefined) a.publisher = publisher;
  return a;
}

export function deviceAppReadFromRow(r: Row): DeviceAppRead {
  const x: DeviceAppRead = { userKey: String(r.user_key), source: String(r.source) as DeviceAppSource, readAt: String(r.read_at) };
  const error = opt(r.error);
  if (error !== undefined) x.error = error;
  return x;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The device tree first, then by user, source, name (case-blind), key: the same order on both backends. */
export function sortDeviceApps(apps: DeviceApp[]): DeviceApp[] {
  return apps.sort(
    (a, b) =>
      cmp(a.userKey, b.userKey) || cmp(a.source, b.source) || cmp((a.name ?? '').toLowerCase(), (b.name ?? '').toLowerCase()) || cmp(a.appKey, b.appKey),
  );
}

export function sortDeviceAppReads(reads: DeviceAppRead[]): DeviceAppRead[] {
  return reads.sort((a, b) => cmp(a.userKey, b.userKey) || cmp(a.source, b.source));
}

export const READ_UPSERT = (p: (n: number) => string) =>
  `INSERT INTO device_app_reads (device_pk, user_key, source, read_at, error) VALUES (${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${p(5)})
   ON CONFLICT (device_pk, user_key, source) DO UPDATE SET read_at = excluded.read_at, error = excluded.error`;
