// SQLite: profile delivery rows, one per (device, user, profile).
import type Database from 'better-sqlite3';
import type { DeliveryStore } from '../types.js';
import type { ProfileDelivery } from '../../domain/profile.js';
import { deliveryFromRow, opt, PROBLEM_COUNTS_SQL, problemFromRow, type Row } from '../rows.js';

/** The upsert every writer of delivery rows uses (session turns, failures after retries, seeding). */
export function deliveryWriter(db: Database.Database): (d: ProfileDelivery) => void {
  const put = db.prepare(
    `INSERT INTO profile_deliveries (device_pk, user_key, profile_id, upn, version, applied_version, status, detail, hold, batch, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (device_pk, user_key, profile_id) DO UPDATE SET upn = excluded.upn, version = excluded.version,
       applied_version = excluded.applied_version, status = excluded.status, detail = excluded.detail, hold = excluded.hold,
       batch = excluded.batch, updated_at = excluded.updated_at`,
  );
  return (d) =>
    put.run(
      d.devicePk,
      d.userKey,
      d.profileId,
      d.upn ?? null,
      d.version,
      d.appliedVersion ?? null,
      d.status,
      d.detail ?? null,
      d.hold ?? null,
      d.batch ?? null,
      d.updatedAt,
    );
}

export function sqliteDeliveries(db: Database.Database): DeliveryStore {
  const s = {
    // Read on every planned session: positional rows (no per-row column-name objects).
    forDevice: db
      .prepare(
        `SELECT user_key, upn, profile_id, version, applied_version, status, detail, hold, batch, updated_at
         FROM profile_deliveries WHERE device_pk = ? ORDER BY user_key, profile_id`,
      )
      .raw(),
    allCounts: db.prepare('SELECT status, COUNT(*) AS n FROM profile_deliveries GROUP BY status'),
    problems: db.prepare(PROBLEM_COUNTS_SQL),
    counts: db.prepare('SELECT status, COUNT(*) AS n FROM profile_deliveries WHERE profile_id = ? GROUP BY status'),
    outdated: db.prepare(`SELECT COUNT(*) FROM profile_deliveries WHERE profile_id = ? AND version < ? AND status NOT IN ('removed', 'removing')`).pluck(),
    list: db.prepare('SELECT * FROM profile_deliveries WHERE profile_id = ? ORDER BY updated_at DESC, device_pk, user_key LIMIT ? OFFSET ?'),
    listStatus: db.prepare(
      'SELECT * FROM profile_deliveries WHERE profile_id = ? AND status = ? ORDER BY updated_at DESC, device_pk, user_key LIMIT ? OFFSET ?',
    ),
  };
  const write = deliveryWriter(db);
  const putAll = db.transaction((rows: ProfileDelivery[]) => rows.forEach(write)).immediate;
  return {
    async forDevice(devicePk) {
      return (s.forDevice.all(devicePk) as unknown[][]).map((r) => ({
        devicePk,
        userKey: r[0] as string,
        upn: opt(r[1]),
        profileId: r[2] as string,
        version: r[3] as number,
        appliedVersion: r[4] === null ? undefined : (r[4] as number),
        status: r[5] as ProfileDelivery['status'],
        detail: opt(r[6]),
        hold: opt(r[7]) as ProfileDelivery['hold'],
        batch: opt(r[8]),
        updatedAt: r[9] as string,
      }));
    },
    async summary(profileId, currentVersion) {
      const counts: Record<string, number> = {};
      for (const r of s.counts.all(profileId) as Row[]) counts[String(r.status)] = Number(r.n);
      return { counts, outdated: Number(s.outdated.get(profileId, currentVersion)) };
    },
    async list(profileId, { status, limit, offset }) {
      const rows = (status ? s.listStatus.all(profileId, status, limit, offset) : s.list.all(profileId, limit, offset)) as Row[];
      return rows.map(deliveryFromRow);
    },
    async put(rows) {
      putAll(rows);
    },
    async statusCounts() {
      const out: Record<string, number> = {};
      for (const r of s.allCounts.all() as Row[]) out[String(r.status)] = Number(r.n);
      return out;
    },
    async problemCounts() {
      return (s.problems.all() as Row[]).map(problemFromRow);
    },
  };
}
