// SQLite: WNS push state per device, and the push settings an admin stored (see PushStore).
import type Database from 'better-sqlite3';
import { PUSH_SETTINGS_KEY, pushFromRow, pushUpsertSql, pushValues } from '../push-rows.js';
import type { Row } from '../rows.js';
import { auditInsertSql, auditInsertValues } from '../statements.js';
import type { PushStore } from '../types.js';

export function sqlitePush(db: Database.Database): PushStore {
  const get = db.prepare('SELECT * FROM push_channels WHERE device_pk = ?');
  const put = db.prepare(pushUpsertSql('sqlite'));
  const s = {
    get: db.prepare('SELECT value, updated_at FROM settings WHERE key = ?'),
    put: db.prepare(
      'INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at',
    ),
    del: db.prepare('DELETE FROM settings WHERE key = ?'),
    audit: db.prepare(auditInsertSql('sqlite')),
  };
  const setSettings = db.transaction((value: string | undefined, at: string, audit: Parameters<PushStore['setSettings']>[2]) => {
    const changed = value === undefined ? s.del.run(PUSH_SETTINGS_KEY).changes > 0 : s.put.run(PUSH_SETTINGS_KEY, value, at).changes > 0;
    if (changed) s.audit.run(auditInsertValues(audit));
    return changed;
  });
  return {
    async get(devicePk) {
      const r = get.get(devicePk) as Row | undefined;
      return r ? pushFromRow(r) : undefined;
    },
    async put(r) {
      put.run(...pushValues(r));
    },
    async settings() {
      const r = s.get.get(PUSH_SETTINGS_KEY) as Row | undefined;
      return r ? { value: String(r.value), updatedAt: String(r.updated_at) } : undefined;
    },
    async setSettings(value, at, audit) {
      return setSettings.immediate(value, at, audit);
    },
  };
}
