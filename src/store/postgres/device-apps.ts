// PostgreSQL: what is installed per device and tree, as read back (see DeviceAppStore).
import { READ_UPSERT, deviceAppFromRow, deviceAppReadFromRow, sortDeviceAppReads, sortDeviceApps } from '../device-app-rows.js';
import type { DeviceAppStore } from '../types.js';
import type { Db } from './db.js';

const UPSERT_READ = READ_UPSERT((n) => `$${n}`);

export function postgresDeviceApps(db: Db): DeviceAppStore {
  return {
    async replace(devicePk, userKey, source, apps, at) {
      await db.tx(async (c) => {
        // Two replicas recording reads of the same tree: the row lock of the read orders them.
        await c.query(UPSERT_READ, [devicePk, userKey, source, at, null]);
        await c.query('DELETE FROM device_apps WHERE device_pk = $1 AND user_key = $2 AND source = $3', [devicePk, userKey, source]);
        if (apps.length === 0) return;
        // One statement for the whole list (unnest of parallel arrays).
        await c.query(
          `INSERT INTO device_apps (device_pk, user_key, source, app_key, name, version, publisher, seen_at)
           SELECT $1, $2, $3, k, n, v, p, $4 FROM unnest($5::text[], $6::text[], $7::text[], $8::text[]) AS t (k, n, v, p)
           ON CONFLICT (device_pk, user_key, source, app_key) DO NOTHING`,
          [
            devicePk,
            userKey,
            source,
            at,
            apps.map((a) => a.appKey),
            apps.map((a) => a.name ?? null),
            apps.map((a) => a.version ?? null),
            apps.map((a) => a.publisher ?? null),
          ],
        );
      });
    },
    async details(devicePk, userKey, source, apps) {
      if (apps.length === 0) return;
      await db.run(
        `UPDATE device_apps d SET name = t.n, version = t.v, publisher = t.p
         FROM unnest($4::text[], $5::text[], $6::text[], $7::text[]) AS t (k, n, v, p)
         WHERE d.device_pk = $1 AND d.user_key = $2 AND d.source = $3 AND d.app_key = t.k`,
        [
          devicePk,
          userKey,
          source,
          apps.map((a) => a.appKey),
          apps.map((a) => a.name ?? null),
          apps.map((a) => a.version ?? null),
          apps.map((a) => a.publisher ?? null),
        ],
      );
    },
    async failed(devicePk, userKey, source, error, at) {
      await db.run(UPSERT_READ, [devicePk, userKey, source, at, error]);
    },
    async list(devicePk) {
      const [apps, reads] = await Promise.all([
        db.q('SELECT * FROM device_apps WHERE device_pk = $1', [devicePk]),
        db.q('SELECT * FROM device_app_reads WHERE device_pk = $1', [devicePk]),
      ]);
      return { apps: sortDeviceApps(apps.map(deviceAppFromRow)), reads: sortDeviceAppReads(reads.map(deviceAppReadFromRow)) };
    },
    async reads(devicePk, userKey) {
      return sortDeviceAppReads(
        (await db.q('SELECT * FROM device_app_reads WHERE device_pk = $1 AND user_key = $2', [devicePk, userKey])).map(deviceAppReadFromRow),
      );
    },
  };
}
