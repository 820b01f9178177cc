// Rows of esp_policies and esp_runs (migrations 27 and 31), shared by both backends.
import type { EspFleetFigures, EspOutcome, EspPolicy, EspRun, EspRunItem, EspTarget } from '../domain/esp.js';
import { opt, type Row } from './rows.js';
import type { EspFigureParts } from './types.js';

type PolicySettings = Omit<EspPolicy, 'id' | 'name' | 'target' | 'createdAt' | 'updatedAt'>;

export const POLICY_COLUMNS = 'id, name, target_type, target_id, settings, created_at, updated_at';

export function policyValues(p: EspPolicy): unknown[] {
  const { id, name, target, createdAt, updatedAt, ...settings } = p;
  return [id, name, target.type, target.id ?? null, JSON.stringify(settings satisfies PolicySettings), createdAt, updatedAt];
}

export function policyFromRow(r: Row): EspPolicy {
  const target: EspTarget = { type: String(r.target_type) as EspTarget['type'] };
  const tid = opt(r.target_id);
  if (tid !== undefined) target.id = tid;
  const settings = JSON.parse(String(r.settings)) as PolicySettings;
  return { id: String(r.id), name: String(r.name), target, ...settings, createdAt: String(r.created_at), updatedAt: String(r.updated_at) };
}

export const RUN_COLUMNS =
  'device_pk, user_key, upn, policy_id, started_at, deadline, error_text, items, finished_at, outcome, duration_ms, last_item, last_item_name';

/** Insert a run; on its (device, phase) replace only a run started before the 14th parameter. */
export const RUN_START = (p: (n: number) => string) =>
  `INSERT INTO esp_runs (${RUN_COLUMNS}) VALUES (${[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13].map(p).join(', ')})
   ON CONFLICT (device_pk, user_key) DO UPDATE SET upn = excluded.upn, policy_id = excluded.policy_id, started_at = excluded.started_at,
     deadline = excluded.deadline, error_text = excluded.error_text, items = excluded.items, finished_at = excluded.finished_at, outcome = excluded.outcome,
     duration_ms = excluded.duration_ms, last_item = excluded.last_item, last_item_name = excluded.last_item_name
   WHERE esp_runs.started_at < ${p(14)}`;

/** Saves a run's progress: items, finish, outcome and the figures' columns (parameters 7–8 the key). */
export const RUN_SAVE = (p: (n: number) => string) =>
  `UPDATE esp_runs SET items = ${p(1)}, finished_at = ${p(2)}, outcome = ${p(3)}, duration_ms = ${p(4)}, last_item = ${p(5)}, last_item_name = ${p(6)}
   WHERE device_pk = ${p(7)} AND user_key = ${p(8)}`;

/**
 * The columns the fleet figures read instead of the items (migration 31): milliseconds from start
 * to finish of a run that ended 'done', and the run's last item done or failed (the first of
 * those with the latest time), the one that held its page longest.
 */
export function figureValues(x: EspRun): [number | null, string | null, string | null] {
  const duration = x.outcome === 'done' && x.finishedAt ? Date.parse(x.finishedAt) - Date.parse(x.startedAt) : NaN;
  let last: EspRunItem | undefined;
  for (const i of x.items) if (i.at && (!last || i.at > last.at!)) last = i;
  return [Number.isFinite(duration) ? duration : null, last?.profileId ?? null, last?.name || null];
}

export const saveValues = (x: EspRun): unknown[] => [
  JSON.stringify(x.items),
  x.finishedAt ?? null,
  x.outcome ?? null,
  ...figureValues(x),
  x.devicePk,
  x.userKey,
];

export function runValues(x: EspRun): unknown[] {
  return [
    x.devicePk,
    x.userKey,
    x.upn ?? null,
    x.policyId,
    x.startedAt,
    x.deadline,
    x.errorText ?? null,
    JSON.stringify(x.items),
    x.finishedAt ?? null,
    x.outcome ?? null,
    ...figureValues(x),
  ];
}

export function runFromRow(r: Row): EspRun {
  const x: EspRun = {
    devicePk: String(r.device_pk),
    userKey: String(r.user_key),
    policyId: String(r.policy_id),
    startedAt: String(r.started_at),
    deadline: String(r.deadline),
    items: JSON.parse(String(r.items)) as EspRunItem[],
  };
  const upn = opt(r.upn);
  const errorText = opt(r.error_text);
  const finishedAt = opt(r.finished_at);
  const outcome = opt(r.outcome);
  if (upn !== undefined) x.upn = upn;
  if (errorText !== undefined) x.errorText = errorText;
  if (finishedAt !== undefined) x.finishedAt = finishedAt;
  if (outcome !== undefined) x.outcome = outcome as EspOutcome;
  return x;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The device phase first, then by user key: the same order on both backends. */
export const sortRuns = (runs: EspRun[]): EspRun[] => runs.sort((a, b) => cmp(a.userKey, b.userKey));

/** Policies by name, then id. */
export const sortPolicies = (ps: EspPolicy[]): EspPolicy[] => ps.sort((a, b) => cmp(a.name.toLowerCase(), b.name.toLowerCase()) || cmp(a.id, b.id));

/** A phase and a start bound as SQL conditions on esp_runs, with their parameters from `first` on. */
export function figuresFilter(q: FiguresQuery, p: (n: number) => string, first: number): { where: string; params: unknown[] } {
  const where = [q.phase === 'device' ? "user_key = ''" : q.phase === 'user' ? "user_key <> ''" : 'TRUE'];
  const params: unknown[] = [];
  if (q.since !== undefined) {
    where.push(`started_at >= ${p(first)}`);
    params.push(q.since);
  }
  return { where: where.join(' AND '), params };
}

export interface FiguresQuery {
  phase: EspFleetFigures['phase'];
  since?: string;
  now: string;
}

/** The fleet figures' statements over runs matching `where` (a figuresFilter), `now` at parameter `nowAt`. */
export const FIGURES_SQL = (where: string, now: string) => ({
  counts: `SELECT COUNT(*) AS runs,
    COALESCE(SUM(CASE WHEN outcome IS NULL AND deadline > ${now} THEN 1 ELSE 0 END), 0) AS in_progress,
    COALESCE(SUM(CASE WHEN outcome = 'done' THEN 1 ELSE 0 END), 0) AS done,
    COALESCE(SUM(CASE WHEN outcome = 'failed' THEN 1 ELSE 0 END), 0) AS failed,
    COALESCE(SUM(CASE WHEN outcome = 'done' AND duration_ms IS NOT NULL THEN 1 ELSE 0 END), 0) AS timed
    FROM esp_runs WHERE ${where}`,
  duration: `SELECT duration_ms FROM esp_runs WHERE outcome = 'done' AND duration_ms IS NOT NULL AND ${where} ORDER BY duration_ms LIMIT 1 OFFSET `,
  lastItems: `SELECT last_item, MIN(last_item_name) AS name, COUNT(*) AS n FROM esp_runs
    WHERE outcome = 'done' AND last_item IS NOT NULL AND ${where} GROUP BY last_item`,
  stuck: `SELECT * FROM esp_runs WHERE (outcome IN ('failed', 'timed-out') OR (outcome IS NULL AND deadline <= ${now})) AND ${where}`,
});

/** The 0-based position of the nearest-rank quantile `q` among `n` sorted values. */
export const nearestRank = (n: number, q: number): number => Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1));

/** The counts row, the durations at each quantile (ms), the done runs by last item and the stuck runs, as one result. */
export function figureParts(counts: Row, durations: (number | undefined)[], lastItems: Row[], stuck: Row[]): EspFigureParts {
  const n = (v: unknown) => Number(v ?? 0);
  const runs = n(counts.runs);
  const inProgress = n(counts.in_progress);
  const done = n(counts.done);
  const failed = n(counts.failed);
  return {
    runs,
    byOutcome: { inProgress, done, failed, timedOut: runs - inProgress - done - failed },
    durationsMs: durations,
    lastItems: lastItems.map((r) => {
      const name = opt(r.name);
      return { profileId: String(r.last_item), runs: n(r.n), ...(name !== undefined ? { name } : {}) };
    }),
    stuck: stuck.map(runFromRow),
  };
}
