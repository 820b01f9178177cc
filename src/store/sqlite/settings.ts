// SQLite: server settings (the global check-in schedule), group schedules and what each device
// holds (see CheckinScheduleStore).
import type Database from 'better-sqlite3';
import type { AuditEntry } from '../../domain/audit.js';
import type { CheckinSchedule, DeviceCheckinState, GroupCheckinSchedule } from '../../domain/checkin-schedule.js';
import type { Row } from '../rows.js';
import { auditInsertSql, auditInsertValues } from '../statements.js';
import type { CheckinScheduleStore } from '../types.js';
import { FOR_DEVICE_SQL, GLOBAL_KEY, deviceStateFromRow, globalFromRow, deviceStateValues, groupScheduleFromRow } from '../settings-rows.js';

export function sqliteCheckinSchedules(db: Database.Database): CheckinScheduleStore {
  const s = {
    get: db.prepare('SELECT value, updated_at FROM settings WHERE key = ?'),
    put: db.prepare(
      'INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at',
    ),
    groups: db.prepare(`SELECT s.group_id, g.name, s.schedule, s.updated_at FROM group_checkin_schedules s JOIN groups g ON g.id = s.group_id ORDER BY g.name`),
    groupPut: db.prepare(
      `INSERT INTO group_checkin_schedules (group_id, schedule, updated_at) SELECT id, ?, ? FROM groups WHERE id = ?
       ON CONFLICT (group_id) DO UPDATE SET schedule = excluded.schedule, updated_at = excluded.updated_at`,
    ),
    groupDel: db.prepare('DELETE FROM group_checkin_schedules WHERE group_id = ?'),
    forDevice: db.prepare(FOR_DEVICE_SQL.replace(/\$\d/g, '?')),
    stateGet: db.prepare('SELECT * FROM device_checkin_schedules WHERE device_pk = ?'),
    statePut: db.prepare(
      `INSERT INTO device_checkin_schedules (device_pk, enrolled_at, applied, pending, failure, updated_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (device_pk) DO UPDATE SET enrolled_at = excluded.enrolled_at, applied = excluded.applied, pending = excluded.pending,
         failure = excluded.failure, updated_at = excluded.updated_at`,
    ),
    audit: db.prepare(auditInsertSql('sqlite')),
    genBump: db.prepare('UPDATE profile_generation SET gen = gen + 1 WHERE id = 1'),
  };
  const audited = <A extends unknown[], R>(fn: (...a: A) => R) =>
    db.transaction((audit: AuditEntry | undefined, ...a: A): R => {
      const r = fn(...a);
      if (r === false) return r;
      if (audit) s.audit.run(auditInsertValues(audit));
      // What some device should hold changed: sessions look again (see CheckinScheduleStore).
      s.genBump.run();
      return r;
    });
  const setGlobal = audited((v: CheckinSchedule, at: string) => void s.put.run(GLOBAL_KEY, JSON.stringify(v), at));
  const setGroup = audited((id: string, v: CheckinSchedule, at: string) => s.groupPut.run(JSON.stringify(v), at, id).changes > 0);
  const deleteGroup = audited((id: string) => s.groupDel.run(id).changes > 0);
  return {
    async global() {
      const r = s.get.get(GLOBAL_KEY) as Row | undefined;
      return r ? globalFromRow(r.value, r.updated_at) : undefined;
    },
    async setGlobal(v, at, audit) {
      setGlobal(audit, v, at);
    },
    async groups() {
      return (s.groups.all() as Row[]).map(groupScheduleFromRow);
    },
    async setGroup(id, v, at, audit) {
      return setGroup(audit, id, v, at);
    },
    async deleteGroup(id, audit) {
      return deleteGroup(audit, id);
    },
    async forDevice(members) {
      const [a, b, c] = [members[0] ?? '', members[1] ?? '', members[2] ?? ''];
      const rows = s.forDevice.all(GLOBAL_KEY, a, b, c) as Row[];
      const g = rows.find((r) => r.group_id === null);
      const groups: GroupCheckinSchedule[] = rows.filter((r) => r.group_id !== null).map(groupScheduleFromRow);
      return { global: g ? globalFromRow(g.schedule, g.updated_at) : undefined, groups };
    },
    async deviceState(pk) {
      const r = s.stateGet.get(pk) as Row | undefined;
      return r ? deviceStateFromRow(r) : undefined;
    },
    async putDeviceState(st: DeviceCheckinState, at) {
      s.statePut.run(...deviceStateValues(st, at));
    },
  };
}
