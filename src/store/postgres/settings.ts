// PostgreSQL: server settings (the global check-in schedule), group schedules and what each
// device holds (see CheckinScheduleStore).
import type { DeviceCheckinState } from '../../domain/checkin-schedule.js';
import { FOR_DEVICE_SQL, GLOBAL_KEY, deviceStateFromRow, globalFromRow, deviceStateValues, groupScheduleFromRow } from '../settings-rows.js';
import type { CheckinScheduleStore } from '../types.js';
import { appendAudit } from './audit.js';
import type { Db, Sql } from './db.js';

// What some device should hold changed: sessions look again (see CheckinScheduleStore).
const bump = (c: Sql) => c.query('UPDATE profile_generation SET gen = gen + 1 WHERE id = 1');

export function postgresCheckinSchedules(db: Db): CheckinScheduleStore {
  return {
    async global() {
      const [r] = await db.q('SELECT value, updated_at FROM settings WHERE key = $1', [GLOBAL_KEY]);
      return r ? globalFromRow(r.value, r.updated_at) : undefined;
    },
    async setGlobal(v, at, audit) {
      await db.tx(async (c) => {
        await c.query(
          `INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3)
           ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
          [GLOBAL_KEY, JSON.stringify(v), at],
        );
        await appendAudit(c, audit);
        await bump(c);
      });
    },
    async groups() {
      const rows = await db.q(
        'SELECT s.group_id, g.name, s.schedule, s.updated_at FROM group_checkin_schedules s JOIN groups g ON g.id = s.group_id ORDER BY g.name',
      );
      return rows.map(groupScheduleFromRow);
    },
    async setGroup(id, v, at, audit) {
      return db.tx(async (c) => {
        const r = await c.query(
          `INSERT INTO group_checkin_schedules (group_id, schedule, updated_at) SELECT id, $1, $2 FROM groups WHERE id = $3
           ON CONFLICT (group_id) DO UPDATE SET schedule = excluded.schedule, updated_at = excluded.updated_at`,
          [JSON.stringify(v), at, id],
        );
        if (!r.rowCount) return false;
        await appendAudit(c, audit);
        await bump(c);
        return true;
      });
    },
    async deleteGroup(id, audit) {
      return db.tx(async (c) => {
        const r = await c.query('DELETE FROM group_checkin_schedules WHERE group_id = $1', [id]);
        if (!r.rowCount) return false;
        await appendAudit(c, audit);
        await bump(c);
        return true;
      });
    },
    async forDevice(members) {
      const rows = await db.q(FOR_DEVICE_SQL, [GLOBAL_KEY, members[0] ?? '', members[1] ?? '', members[2] ?? '']);
      const g = rows.find((r) => r.group_id === null);
      return {
        global: g ? globalFromRow(g.schedule, g.updated_at) : undefined,
        groups: rows.filter((r) => r.group_id !== null).map(groupScheduleFromRow),
      };
    },
    async deviceState(pk) {
      const [r] = await db.q('SELECT * FROM device_checkin_schedules WHERE device_pk = $1', [pk]);
      return r ? deviceStateFromRow(r) : undefined;
    },
    async putDeviceState(st: DeviceCheckinState, at) {
      await db.q(
        `INSERT INTO device_checkin_schedules (device_pk, enrolled_at, applied, pending, failure, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (device_pk) DO UPDATE SET enrolled_at = excluded.enrolled_at, applied = excluded.applied, pending = excluded.pending,
           failure = excluded.failure, updated_at = excluded.updated_at`,
        deviceStateValues(st, at),
      );
    },
  };
}
