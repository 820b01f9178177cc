// SQLite: the renewal settings devices were given (see RenewalSettingsStore).
import type Database from 'better-sqlite3';
import { RENEWAL_SETTINGS_KEY, renewalSettingsDeviceKey } from '../renewal-settings-rows.js';
import type { RenewalSettingsStore } from '../types.js';

export function sqliteRenewalSettings(db: Database.Database): RenewalSettingsStore {
  const get = db.prepare('SELECT value FROM settings WHERE key = ?').pluck();
  const put = db.prepare(
    'INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at',
  );
  const read = (key: string) => {
    const v = get.get(key) as string | undefined;
    return v === undefined ? undefined : String(v);
  };
  return {
    async current() {
      return read(RENEWAL_SETTINGS_KEY);
    },
    async setCurrent(value, at) {
      put.run(RENEWAL_SETTINGS_KEY, value, at);
    },
    async deviceState(devicePk) {
      return read(renewalSettingsDeviceKey(devicePk));
    },
    async putDeviceState(devicePk, value, at) {
      put.run(renewalSettingsDeviceKey(devicePk), value, at);
    },
  };
}
