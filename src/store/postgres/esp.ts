// PostgreSQL: Enrollment Status Page policies and day-zero runs (see EspStore).
import {
  FIGURES_SQL,
  POLICY_COLUMNS,
  RUN_SAVE,
  RUN_START,
  figureParts,
  figuresFilter,
  nearestRank,
  policyFromRow,
  policyValues,
  runFromRow,
  runValues,
  saveValues,
  sortPolicies,
  sortRuns,
  timedRuns,
} from '../esp-rows.js';
import type { Row } from '../rows.js';
import type { EspStore } from '../types.js';
import type { Db } from './db.js';

const START = RUN_START((n) => `$${n}`);
const SAVE = RUN_SAVE((n) => `$${n}`);

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
      await db.run(SAVE, saveValues(run));
    },
    async anyOpen(now) {
      return (await db.q('SELECT 1 FROM esp_runs WHERE outcome IS NULL AND deadline > $1 LIMIT 1', [now])).length > 0;
    },
    async allRuns(since) {
      return (since ? await db.q('SELECT * FROM esp_runs WHERE started_at >= $1', [since]) : await db.q('SELECT * FROM esp_runs')).map(runFromRow);
    },
    async figures(q, quantiles) {
      const { where, params } = figuresFilter(q, (n) => `$${n}`);
      const sql = FIGURES_SQL(where);
      // One snapshot for the ranks and rows.
      return db.tx(async (c) => {
        await c.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY');
        const done = (await c.query(sql.done, params)).rows as Row[];
        const timed = timedRuns(done);
        const durations: (number | undefined)[] = [];
        for (const x of quantiles) {
          const rows = timed ? ((await c.query(`${sql.duration}${nearestRank(timed, x)}`, params)).rows as Row[]) : [];
          durations.push(rows.length ? Number(rows[0].duration_ms) : undefined);
        }
        return figureParts(done, durations, (await c.query(sql.rest, params)).rows as Row[]);
      });
    },
  };
}
