// PostgreSQL: the renewal settings devices were given (see RenewalSettingsStore).
import { RENEWAL_SETTINGS_KEY, renewalSettingsDeviceKey } from '../renewal-settings-rows.js';
import type { RenewalSettingsStore } from '../types.js';
import type { Db } from './db.js';

const PUT =
  'INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at';

export function postgresRenewalSettings(db: Db): RenewalSettingsStore {
  const read = async (key: string) => {
    const [r] = await db.q('SELECT value FROM settings WHERE key = $1', [key]);
    return r ? String(r.value) : undefined;
  };
  return {
    current: () => read(RENEWAL_SETTINGS_KEY),
    async setCurrent(value, at) {
      await db.run(PUT, [RENEWAL_SETTINGS_KEY, value, at]);
    },
    deviceState: (devicePk) => read(renewalSettingsDeviceKey(devicePk)),
    async putDeviceState(devicePk, value, at) {
      await db.run(PUT, [renewalSettingsDeviceKey(devicePk), value, at]);
    },
  };
}
