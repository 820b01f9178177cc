// SQLite: Enrollment Status Page policies and day-zero runs (see EspStore).
import type Database from 'better-sqlite3';
import { POLICY_COLUMNS, RUN_START, policyFromRow, policyValues, runFromRow, runValues, sortPolicies, sortRuns } from '../esp-rows.js';
import type { Row } from '../rows.js';
import type { EspStore } from '../types.js';

export function sqliteEsp(db: Database.Database): EspStore {
  const s = {
    policies: db.prepare('SELECT * FROM esp_policies'),
    policy: db.prepare('SELECT * FROM esp_policies WHERE id = ?'),
    insPolicy: db.prepare(`INSERT INTO esp_policies (${POLICY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)`),
    updPolicy: db.prepare('UPDATE esp_policies SET name = ?, target_type = ?, target_id = ?, settings = ?, updated_at = ? WHERE id = ?'),
    delPolicy: db.prepare('DELETE FROM esp_policies WHERE id = ?'),
    runs: db.prepare('SELECT * FROM esp_runs WHERE device_pk = ?'),
    insRun: db.prepare(RUN_START(() => '?')),
    updRun: db.prepare('UPDATE esp_runs SET items = ?, finished_at = ?, outcome = ? WHERE device_pk = ? AND user_key = ?'),
    open: db.prepare('SELECT 1 FROM esp_runs WHERE outcome IS NULL AND deadline > ? LIMIT 1'),
    all: db.prepare('SELECT * FROM esp_runs'),
    since: db.prepare('SELECT * FROM esp_runs WHERE started_at >= ?'),
  };
  return {
    async listPolicies() {
      return sortPolicies((s.policies.all() as Row[]).map(policyFromRow));
    },
    async getPolicy(id) {
      const r = s.policy.get(id) as Row | undefined;
      return r ? policyFromRow(r) : undefined;
    },
    async createPolicy(p) {
      s.insPolicy.run(...policyValues(p));
    },
    async updatePolicy(p) {
      const [id, name, type, tid, settings, , updatedAt] = policyValues(p);
      return s.updPolicy.run(name, type, tid, settings, updatedAt, id).changes > 0;
    },
    async deletePolicy(id) {
      return s.delPolicy.run(id).changes > 0;
    },
    async runs(devicePk) {
      return sortRuns((s.runs.all(devicePk) as Row[]).map(runFromRow));
    },
    async startRun(run, replaceBefore) {
      return s.insRun.run(...runValues(run), replaceBefore ?? '').changes > 0;
    },
    async saveRun(run) {
      s.updRun.run(JSON.stringify(run.items), run.finishedAt ?? null, run.outcome ?? null, run.devicePk, run.userKey);
    },
    async anyOpen(now) {
      return s.open.get(now) !== undefined;
    },
    async allRuns(since) {
      return ((since ? s.since.all(since) : s.all.all()) as Row[]).map(runFromRow);
    },
  };
}
