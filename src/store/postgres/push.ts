// PostgreSQL: WNS push state per device (see PushStore).
import { pushFromRow, pushUpsertSql, pushValues } from '../push-rows.js';
import type { PushStore } from '../types.js';
import type { Db } from './db.js';

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
  };
}
