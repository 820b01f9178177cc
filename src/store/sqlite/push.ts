// SQLite: WNS push state per device (see PushStore).
import type Database from 'better-sqlite3';
import { pushFromRow, pushUpsertSql, pushValues } from '../push-rows.js';
import type { Row } from '../rows.js';
import type { PushStore } from '../types.js';

export function sqlitePush(db: Database.Database): PushStore {
  const get = db.prepare('SELECT * FROM push_channels WHERE device_pk = ?');
  const put = db.prepare(pushUpsertSql('sqlite'));
  return {
    async get(devicePk) {
      const r = get.get(devicePk) as Row | undefined;
      return r ? pushFromRow(r) : undefined;
    },
    async put(r) {
      put.run(...pushValues(r));
    },
  };
}
