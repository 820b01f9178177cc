// Rows and the one read of the check-in schedule tables, shared by both backends (the SQL is
// portable; SQLite gets `?` for the `$n` marks).
import type { CheckinSchedule, DeviceCheckinState, GroupCheckinSchedule } from '../domain/checkin-schedule.js';
import type { Row } from './rows.js';

export const GLOBAL_KEY = 'checkin-schedule';

/** The global schedule (group_id NULL) and those of device groups holding one of three member keys. */
export const FOR_DEVICE_SQL = `
SELECT NULL AS group_id, NULL AS name, value AS schedule, updated_at FROM settings WHERE key = $1
UNION ALL
SELECT s.group_id, g.name, s.schedule, s.updated_at FROM group_checkin_schedules s JOIN groups g ON g.id = s.group_id
 WHERE g.kind = 'device' AND EXISTS (SELECT 1 FROM group_members m WHERE m.group_id = s.group_id AND m.member IN ($2, $3, $4))`;

export const groupScheduleFromRow = (r: Row): GroupCheckinSchedule => ({
  groupId: String(r.group_id),
  groupName: String(r.name),
  schedule: JSON.parse(String(r.schedule)) as CheckinSchedule,
  updatedAt: String(r.updated_at),
});

export const globalFromRow = (value: unknown, updatedAt: unknown) => ({
  schedule: JSON.parse(String(value)) as CheckinSchedule,
  updatedAt: String(updatedAt),
});

const json = <T>(v: unknown): T | undefined => (v === null || v === undefined ? undefined : (JSON.parse(String(v)) as T));

export const deviceStateFromRow = (r: Row): DeviceCheckinState => ({
  devicePk: String(r.device_pk),
  enrolledAt: String(r.enrolled_at),
  applied: json(r.applied),
  pending: json(r.pending),
  failure: json(r.failure),
});

/** device_pk, enrolled_at, applied, pending, failure, updated_at */
export const deviceStateValues = (st: DeviceCheckinState, at: string): unknown[] => [
  st.devicePk,
  st.enrolledAt,
  st.applied ? JSON.stringify(st.applied) : null,
  st.pending ? JSON.stringify(st.pending) : null,
  st.failure ? JSON.stringify(st.failure) : null,
  at,
];
