// PostgreSQL: profile delivery rows, one per (device, user, profile).
import type { DeliveryStore } from '../types.js';
import type { ProfileDelivery } from '../../domain/profile.js';
import { type Db, type Sql } from './db.js';
import { deliveryFromRow, n, PROBLEM_COUNTS_SQL, problemFromRow } from '../rows.js';

/**
 * The upsert every writer of delivery rows uses (session turns, seeding), many rows per
 * statement. SQLite writes the same upsert row by row.
 */
export async function writeDeliveries(c: Sql, all: ProfileDelivery[]): Promise<void> {
  // One statement cannot upsert a key twice: the last row of a key wins, as row by row.
  const rows = [...new Map(all.map((d) => [`${d.devicePk}\u0000${d.userKey}\u0000${d.profileId}`, d])).values()];
  for (let i = 0; i < rows.length; i += 1000) {
    const part = rows.slice(i, i + 1000);
    const col = <T>(f: (d: ProfileDelivery) => T) => part.map(f);
    await c.query(
      `INSERT INTO profile_deliveries (device_pk, user_key, profile_id, upn, version, applied_version, status, detail, hold, batch, updated_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::int[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[])
       ON CONFLICT (device_pk, user_key, profile_id) DO UPDATE SET upn = excluded.upn, version = excluded.version,
         applied_version = excluded.applied_version, status = excluded.status, detail = excluded.detail, hold = excluded.hold,
         batch = excluded.batch, updated_at = excluded.updated_at`,
      [
        col((d) => d.devicePk),
        col((d) => d.userKey),
        col((d) => d.profileId),
        col((d) => n(d.upn)),
        col((d) => d.version),
        col((d) => n(d.appliedVersion)),
        col((d) => d.status),
        col((d) => n(d.detail)),
        col((d) => n(d.hold)),
        col((d) => n(d.batch)),
        col((d) => d.updatedAt),
      ],
    );
  }
}

export function postgresDeliveries(db: Db): DeliveryStore {
  return {
    async forDevice(devicePk) {
      // Byte order of keys, as SQLite sorts them.
      const rows = await db.q(
        `SELECT device_pk, user_key, upn, profile_id, version, applied_version, status, detail, hold, batch, updated_at
         FROM profile_deliveries WHERE device_pk = $1 ORDER BY user_key COLLATE "C", profile_id COLLATE "C"`,
        [devicePk],
      );
      return rows.map(deliveryFromRow);
    },
    async summary(profileId, currentVersion) {
      const counts: Record<string, number> = {};
      for (const r of await db.q('SELECT status, COUNT(*) AS n FROM profile_deliveries WHERE profile_id = $1 GROUP BY status', [profileId])) {
        counts[String(r.status)] = Number(r.n);
      }
      const [o] = await db.q(`SELECT COUNT(*) AS n FROM profile_deliveries WHERE profile_id = $1 AND version < $2 AND status NOT IN ('removed', 'removing')`, [
        profileId,
        currentVersion,
      ]);
      return { counts, outdated: Number(o.n) };
    },
    async list(profileId, { status, limit, offset }) {
      const rows = status
        ? await db.q(
            'SELECT * FROM profile_deliveries WHERE profile_id = $1 AND status = $2 ORDER BY updated_at DESC, device_pk, user_key LIMIT $3 OFFSET $4',
            [profileId, status, limit, offset],
          )
        : await db.q('SELECT * FROM profile_deliveries WHERE profile_id = $1 ORDER BY updated_at DESC, device_pk, user_key LIMIT $2 OFFSET $3', [
            profileId,
            limit,
            offset,
          ]);
      return rows.map(deliveryFromRow);
    },
    async put(rows) {
      if (!rows.length) return;
      await db.tx((c) => writeDeliveries(c, rows));
    },
    async statusCounts() {
      const out: Record<string, number> = {};
      for (const r of await db.q('SELECT status, COUNT(*) AS n FROM profile_deliveries GROUP BY status', [])) out[String(r.status)] = Number(r.n);
      return out;
    },
    async problemCounts() {
      return (await db.q(PROBLEM_COUNTS_SQL, [])).map(problemFromRow);
    },
  };
}
