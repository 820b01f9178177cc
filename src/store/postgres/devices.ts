// PostgreSQL: the device list's pages and counts, the fleet summary, deleting a device record,
// and the stale-device policy (settings key 'stale-devices'). The SQL is shared (store/device-query.ts).
import type { DeviceRemoval, FleetCounts } from '../../domain/fleet.js';
import { activityParams, activitySql, countSql, numbered, pageSql, summarySql } from '../device-query.js';
import { deviceSettingKeys, fleetCountsFrom, STALE_POLICY_KEY, stalePolicyFromJson, tablesKeyedByDevice } from '../device-rows.js';
import { deviceFromRow, type Row } from '../rows.js';
import type { DeviceStore } from '../types.js';
import { appendAudit } from './audit.js';
import type { Db } from './db.js';

type Extra = Pick<DeviceStore, 'page' | 'countMatching' | 'fleetCounts' | 'remove' | 'stalePolicy' | 'setStalePolicy'>;

const SUMMARY = summarySql;
const ACTIVITY = numbered(activitySql);
const POLICY_PUT =
  'INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at';

export function postgresDeviceQueries(db: Db): Extra {
  return {
    async page(q) {
      const { text, params } = pageSql('postgres', q);
      return (await db.q(numbered(text), params)).map((r) => ({ device: deviceFromRow(r), key: String(r.sort_key) }));
    },
    async countMatching(f, upTo) {
      const { text, params } = countSql('postgres', f, upTo);
      return Number((await db.q(numbered(text), params))[0].n);
    },
    async fleetCounts(at): Promise<FleetCounts> {
      const [groups, activity] = await Promise.all([db.q(SUMMARY), db.q(ACTIVITY, activityParams(at.today, at.week, at.month, at.staleBefore))]);
      return fleetCountsFrom(groups, activity[0]);
    },
    async remove(devicePk, at, audit) {
      return db.tx(async (c): Promise<DeviceRemoval | undefined> => {
        const [d] = (await c.query('SELECT id, device_id, released_device_id FROM devices WHERE id = $1 FOR UPDATE', [devicePk])).rows as Row[];
        if (!d) return undefined;
        const certificates = (
          (await c.query(`SELECT serial FROM certificates WHERE device_pk = $1 AND status = 'active' ORDER BY serial COLLATE "C"`, [devicePk])).rows as Row[]
        ).map((r) => String(r.serial));
        await c.query(
          `UPDATE certificates SET status = 'revoked', revoked_at = $1, revocation_reason = 'device deleted' WHERE device_pk = $2 AND status = 'active'`,
          [at, devicePk],
        );
        const rows: Record<string, number> = {
          command_results:
            (await c.query('DELETE FROM command_results WHERE command_id IN (SELECT id FROM commands WHERE device_pk = $1)', [devicePk])).rowCount ?? 0,
        };
        // Every table with a device_pk column, read at each delete: the tables other features add
        // (check-in schedules, push channels…) go with the device without a change here.
        const keyed = (
          (await c.query(`SELECT table_name FROM information_schema.columns WHERE column_name = 'device_pk' AND table_schema = current_schema()`)).rows as Row[]
        ).map((r) => String(r.table_name));
        for (const table of tablesKeyedByDevice(keyed)) rows[table] = (await c.query(`DELETE FROM "${table}" WHERE device_pk = $1`, [devicePk])).rowCount ?? 0;
        // What the device holds of the branding and the renewal settings (settings rows keyed by its pk).
        const settings = (await c.query('DELETE FROM settings WHERE key = ANY($1)', [deviceSettingKeys(devicePk)])).rowCount ?? 0;
        if (settings) rows.settings = settings;
        await c.query('DELETE FROM devices WHERE id = $1', [devicePk]);
        await appendAudit(c, {
          ...audit,
          detail: { ...audit.detail, deviceId: String(d.released_device_id ?? d.device_id), revokedCertificates: certificates, removed: rows },
        });
        return { certificates, rows };
      });
    },
    async stalePolicy() {
      const [r] = await db.q('SELECT value FROM settings WHERE key = $1', [STALE_POLICY_KEY]);
      return stalePolicyFromJson(r?.value);
    },
    async setStalePolicy(p, audit) {
      await db.tx(async (c) => {
        await c.query(POLICY_PUT, [STALE_POLICY_KEY, JSON.stringify(p), p.updatedAt ?? audit.at]);
        await appendAudit(c, audit);
      });
    },
  };
}
