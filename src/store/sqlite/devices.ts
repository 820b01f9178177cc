// SQLite: the device list's pages and counts, the fleet summary, deleting a device record, and
// the stale-device policy (settings key 'stale-devices'). The SQL is shared (store/device-query.ts).
import type Database from 'better-sqlite3';
import type { AuditEntry } from '../../domain/audit.js';
import type { DeviceRemoval, FleetCounts, StalePolicy } from '../../domain/fleet.js';
import { activityParams, activitySql, countSql, pageSql, summarySql } from '../device-query.js';
import { deviceSettingKeys, fleetCountsFrom, STALE_POLICY_KEY, stalePolicyFromJson, tablesKeyedByDevice } from '../device-rows.js';
import { deviceFromRow, type Row } from '../rows.js';
import type { DeviceStore } from '../types.js';

type Extra = Pick<DeviceStore, 'page' | 'countMatching' | 'fleetCounts' | 'remove' | 'stalePolicy' | 'setStalePolicy'>;

export function sqliteDeviceQueries(db: Database.Database, appendAudit: (a: AuditEntry) => void): Extra {
  const summary = db.prepare(summarySql);
  const activity = db.prepare(activitySql);
  const s = {
    policyGet: db.prepare('SELECT value FROM settings WHERE key = ?').pluck(),
    policyPut: db.prepare(
      'INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at',
    ),
    device: db.prepare('SELECT id, device_id, released_device_id FROM devices WHERE id = ?'),
    activeCerts: db.prepare(`SELECT serial FROM certificates WHERE device_pk = ? AND status = 'active' ORDER BY serial`).pluck(),
    revokeCerts: db.prepare(
      `UPDATE certificates SET status = 'revoked', revoked_at = ?, revocation_reason = 'device deleted' WHERE device_pk = ? AND status = 'active'`,
    ),
    commandResults: db.prepare('DELETE FROM command_results WHERE command_id IN (SELECT id FROM commands WHERE device_pk = ?)'),
    deleteDevice: db.prepare('DELETE FROM devices WHERE id = ?'),
    deleteSetting: db.prepare('DELETE FROM settings WHERE key = ?'),
    // Every table with a device_pk column, read at each delete: the tables other features add
    // (check-in schedules, push channels…) go with the device without a change here.
    keyed: db.prepare(`SELECT m.name FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table' AND p.name = 'device_pk'`).pluck(),
  };
  const remove = db.transaction((devicePk: string, at: string, audit: AuditEntry): DeviceRemoval | undefined => {
    const d = s.device.get(devicePk) as Row | undefined;
    if (!d) return undefined;
    const certificates = s.activeCerts.all(devicePk) as string[];
    s.revokeCerts.run(at, devicePk);
    const rows: Record<string, number> = { command_results: s.commandResults.run(devicePk).changes };
    for (const table of tablesKeyedByDevice(s.keyed.all() as string[])) {
      rows[table] = db.prepare(`DELETE FROM "${table}" WHERE device_pk = ?`).run(devicePk).changes;
    }
    // What the device holds of the branding and the renewal settings (settings rows keyed by its pk).
    let settings = 0;
    for (const key of deviceSettingKeys(devicePk)) settings += s.deleteSetting.run(key).changes;
    if (settings) rows.settings = settings;
    s.deleteDevice.run(devicePk);
    const removal = { certificates, rows };
    appendAudit({
      ...audit,
      detail: { ...audit.detail, deviceId: String(d.released_device_id ?? d.device_id), revokedCertificates: certificates, removed: rows },
    });
    return removal;
  }).immediate;
  return {
    async page(q) {
      const { text, params } = pageSql('sqlite', q);
      return (db.prepare(text).all(...params) as Row[]).map((r) => ({ device: deviceFromRow(r), key: String(r.sort_key) }));
    },
    async countMatching(f, upTo) {
      const { text, params } = countSql('sqlite', f, upTo);
      return Number((db.prepare(text).get(...params) as Row).n);
    },
    async fleetCounts(at): Promise<FleetCounts> {
      return fleetCountsFrom(summary.all() as Row[], activity.get(...activityParams(at.today, at.week, at.month, at.staleBefore)) as Row | undefined);
    },
    async remove(devicePk, at, audit) {
      return remove(devicePk, at, audit);
    },
    async stalePolicy() {
      return stalePolicyFromJson(s.policyGet.get(STALE_POLICY_KEY));
    },
    async setStalePolicy(p: StalePolicy, audit) {
      db.transaction(() => {
        s.policyPut.run(STALE_POLICY_KEY, JSON.stringify(p), p.updatedAt ?? audit.at);
        appendAudit(audit);
      }).immediate();
    },
  };
}
