// SQLite: what is installed per device and tree, as read back (see DeviceAppStore).
import type Database from 'better-sqlite3';
import { READ_UPSERT, deviceAppFromRow, deviceAppReadFromRow, sortDeviceAppReads, sortDeviceApps } from '../device-app-rows.js';
import type { Row } from '../rows.js';
import type { DeviceAppStore } from '../types.js';

type App = Parameters<DeviceAppStore['replace']>[3][number];

export function sqliteDeviceApps(db: Database.Database): DeviceAppStore {
  const s = {
    del: db.prepare('DELETE FROM device_apps WHERE device_pk = ? AND user_key = ? AND source = ?'),
    ins: db.prepare(
      'INSERT OR REPLACE INTO device_apps (device_pk, user_key, source, app_key, name, version, publisher, seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    upd: db.prepare('UPDATE device_apps SET name = ?, version = ?, publisher = ? WHERE device_pk = ? AND user_key = ? AND source = ? AND app_key = ?'),
    read: db.prepare(READ_UPSERT(() => '?')),
    apps: db.prepare('SELECT * FROM device_apps WHERE device_pk = ?'),
    reads: db.prepare('SELECT * FROM device_app_reads WHERE device_pk = ?'),
    readsOf: db.prepare('SELECT * FROM device_app_reads WHERE device_pk = ? AND user_key = ?'),
  };
  const replace = db.transaction((devicePk: string, userKey: string, source: string, apps: App[], at: string) => {
    s.del.run(devicePk, userKey, source);
    for (const a of apps) s.ins.run(devicePk, userKey, source, a.appKey, a.name ?? null, a.version ?? null, a.publisher ?? null, at);
    s.read.run(devicePk, userKey, source, at, null);
  });
  const details = db.transaction((devicePk: string, userKey: string, source: string, apps: App[]) => {
    for (const a of apps) s.upd.run(a.name ?? null, a.version ?? null, a.publisher ?? null, devicePk, userKey, source, a.appKey);
  });
  return {
    async replace(devicePk, userKey, source, apps, at) {
      replace.immediate(devicePk, userKey, source, apps, at);
    },
    async details(devicePk, userKey, source, apps) {
      details.immediate(devicePk, userKey, source, apps);
    },
    async failed(devicePk, userKey, source, error, at) {
      s.read.run(devicePk, userKey, source, at, error);
    },
    async list(devicePk) {
      return {
        apps: sortDeviceApps((s.apps.all(devicePk) as Row[]).map(deviceAppFromRow)),
        reads: sortDeviceAppReads((s.reads.all(devicePk) as Row[]).map(deviceAppReadFromRow)),
      };
    },
    async reads(devicePk, userKey) {
      return sortDeviceAppReads((s.readsOf.all(devicePk, userKey) as Row[]).map(deviceAppReadFromRow));
    },
  };
}
