// PostgreSQL: Enrollment Status Page policies and day-zero runs (see EspStore).
import { POLICY_COLUMNS, RUN_START, policyFromRow, policyValues, runFromRow, runValues, sortPolicies, sortRuns } from '../esp-rows.js';
import type { EspStore } from '../types.js';
import type { Db } from './db.js';

const START = RUN_START((n) => `$${n}`);

export function postgresEsp(db: Db): EspStore {
  return {
    async listPolicies() {
      return sortPolicies((await db.q('SELECT * FROM esp_policies')).map(policyFromRow));
    },
    async getPolicy(id) {
      const [r] = await db.q('SELECT * FROM esp_policies WHERE id = $1', [id]);
      return r ? policyFromRow(r) : undefined;
    },
    async createPolicy(p) {
      await db.run(`INSERT INTO esp_policies (${POLICY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)`, policyValues(p));
    },
    async updatePolicy(p) {
      const [id, name, type, tid, settings, , updatedAt] = policyValues(p);
      return (
        (await db.run('UPDATE esp_policies SET name = $2, target_type = $3, target_id = $4, settings = $5, updated_at = $6 WHERE id = $1', [
          id,
          name,
          type,
          tid,
          settings,
          updatedAt,
        ])) > 0
      );
    },
    async deletePolicy(id) {
      return (await db.run('DELETE FROM esp_policies WHERE id = $1', [id])) > 0;
    },
    async runs(devicePk) {
      return sortRuns((await db.q('SELECT * FROM esp_runs WHERE device_pk = $1', [devicePk])).map(runFromRow));
    },
    async startRun(run, replaceBefore) {
      return (await db.run(START, [...runValues(run), replaceBefore ?? ''])) > 0;
    },
    async saveRun(run) {
      await db.run('UPDATE esp_runs SET items = $3, finished_at = $4, outcome = $5 WHERE device_pk = $1 AND user_key = $2', [
        run.devicePk,
        run.userKey,
        JSON.stringify(run.items),
        run.finishedAt ?? null,
        run.outcome ?? null,
      ]);
    },
    async anyOpen(now) {
      return (await db.q('SELECT 1 FROM esp_runs WHERE outcome IS NULL AND deadline > $1 LIMIT 1', [now])).length > 0;
    },
    async allRuns(since) {
      return (since ? await db.q('SELECT * FROM esp_runs WHERE started_at >= $1', [since]) : await db.q('SELECT * FROM esp_runs')).map(runFromRow);
    },
  };
}
