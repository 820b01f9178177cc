// SQLite: Enrollment Status Page policies and day-zero runs (see EspStore).
import type Database from 'better-sqlite3';
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

export function sqliteEsp(db: Database.Database): EspStore {
  const s = {
    policies: db.prepare('SELECT * FROM esp_policies'),
    policy: db.prepare('SELECT * FROM esp_policies WHERE id = ?'),
    insPolicy: db.prepare(`INSERT INTO esp_policies (${POLICY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)`),
    updPolicy: db.prepare('UPDATE esp_policies SET name = ?, target_type = ?, target_id = ?, settings = ?, updated_at = ? WHERE id = ?'),
    delPolicy: db.prepare('DELETE FROM esp_policies WHERE id = ?'),
    runs: db.prepare('SELECT * FROM esp_runs WHERE device_pk = ?'),
    insRun: db.prepare(RUN_START(() => '?')),
    updRun: db.prepare(RUN_SAVE(() => '?')),
    open: db.prepare('SELECT 1 FROM esp_runs WHERE outcome IS NULL AND deadline > ? LIMIT 1'),
    all: db.prepare('SELECT * FROM esp_runs'),
    since: db.prepare('SELECT * FROM esp_runs WHERE started_at >= ?'),
  };
  /** The figures' statements per phase and bound (six shapes at most), prepared once. */
  const figures = new Map<string, ReturnType<typeof prepareFigures>>();
  const prepareFigures = (where: string) => {
    const sql = FIGURES_SQL(where);
    return { done: db.prepare(sql.done), duration: db.prepare(`${sql.duration}?`).pluck(), rest: db.prepare(sql.rest) };
  };
  // One read transaction: the ranks and rows agree with each other.
  const readFigures = db.transaction((q: { phase: 'device' | 'user' | 'all'; since?: string }, quantiles: number[]) => {
    const { where, params } = figuresFilter(q, () => '?');
    let st = figures.get(where);
    if (!st) figures.set(where, (st = prepareFigures(where)));
    const done = st.done.all(...params) as Row[];
    const timed = timedRuns(done);
    const durations = quantiles.map((x) => (timed ? (st.duration.get(...params, nearestRank(timed, x)) as number | undefined) : undefined));
    return figureParts(done, durations, st.rest.all(...params) as Row[]);
  });
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
      s.updRun.run(...saveValues(run));
    },
    async anyOpen(now) {
      return s.open.get(now) !== undefined;
    },
    async allRuns(since) {
      return ((since ? s.since.all(since) : s.all.all()) as Row[]).map(runFromRow);
    },
    async figures(q, quantiles) {
      return readFigures.deferred(q, quantiles);
    },
  };
}
