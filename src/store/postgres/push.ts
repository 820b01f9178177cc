// PostgreSQL: WNS push state per device, and the push settings an admin stored (see PushStore).
import { PUSH_SETTINGS_KEY, pushFromRow, pushUpsertSql, pushValues } from '../push-rows.js';
import type { PushStore } from '../types.js';
import { appendAudit } from './audit.js';
import type { Db } from './db.js';

const SETTINGS_PUT =
  'INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at';

export function postgresPush(db: Db): PushStore {
  const put = pushUpsertSql('postgres');
  return {
    async get(devicePk) {
      const rows = await db.q('SELECT * FROM push_channels WHERE device_pk = $1', [devicePk]);
      return rows[0] ? pushFromRow(rows[0]) : undefined;
    },
    async put(r) {
      await db.run(put, pushValues(r));
    },
    async settings() {
      const [r] = await db.q('SELECT value, updated_at FROM settings WHERE key = $1', [PUSH_SETTINGS_KEY]);
      return r ? { value: String(r.value), updatedAt: String(r.updated_at) } : undefined;
    },
    async setSettings(value, at, audit) {
      return db.tx(async (c) => {
        const r =
          value === undefined
            ? await c.query('DELETE FROM settings WHERE key = $1', [PUSH_SETTINGS_KEY])
            : await c.query(SETTINGS_PUT, [PUSH_SETTINGS_KEY, value, at]);
        const changed = (r.rowCount ?? 0) > 0;
        if (changed) await appendAudit(c, audit);
        return changed;
      });
    },
  };
}
