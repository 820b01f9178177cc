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
  'device_pk, user_key, upn, policy_id, started_at, deadline, error_text, items, finished_at, outcome, duration_ms, last_item, last_item_name, open_items';

/** Insert a run; on its (device, phase) replace only a run started before the 15th parameter. */
export const RUN_START = (p: (n: number) => string) =>
  `INSERT INTO esp_runs (${RUN_COLUMNS}) VALUES (${[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14].map(p).join(', ')})
   ON CONFLICT (device_pk, user_key) DO UPDATE SET upn = excluded.upn, policy_id = excluded.policy_id, started_at = excluded.started_at,
     deadline = excluded.deadline, error_text = excluded.error_text, items = excluded.items, finished_at = excluded.finished_at, outcome = excluded.outcome,
     duration_ms = excluded.duration_ms, last_item = excluded.last_item, last_item_name = excluded.last_item_name, open_items = excluded.open_items
   WHERE esp_runs.started_at < ${p(15)}`;

/** Saves a run's progress: items, finish, outcome and the figures' columns (parameters 8–9 the key). */
export const RUN_SAVE = (p: (n: number) => string) =>
  `UPDATE esp_runs SET items = ${p(1)}, finished_at = ${p(2)}, outcome = ${p(3)}, duration_ms = ${p(4)}, last_item = ${p(5)}, last_item_name = ${p(6)},
   open_items = ${p(7)} WHERE device_pk = ${p(8)} AND user_key = ${p(9)}`;

/**
 * The columns the fleet figures read instead of the items (migration 31): milliseconds from start
 * to finish of a run that ended 'done'; the run's last item done or failed (the first of those
 * with the latest time), the one that held its page longest, and that item's name; the items not
 * done (pending or failed) as JSON.
 */
export function figureValues(x: EspRun): [number | null, string | null, string | null, string] {
  const duration = x.outcome === 'done' && x.finishedAt ? Date.parse(x.finishedAt) - Date.parse(x.startedAt) : NaN;
  let last: EspRunItem | undefined;
  for (const i of x.items) if (i.at && (!last || i.at > last.at!)) last = i;
  const open = x.items.filter((i) => i.status !== 'done');
  return [Number.isFinite(duration) ? duration : null, last?.profileId ?? null, last?.name || null, JSON.stringify(open)];
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
export function figuresFilter(q: FiguresQuery, p: (n: number) => string): { where: string; params: unknown[] } {
  const where = [q.phase === 'device' ? "user_key = ''" : q.phase === 'user' ? "user_key <> ''" : 'TRUE'];
  const params: unknown[] = [];
  if (q.since !== undefined) {
    where.push(`started_at >= ${p(1)}`);
    params.push(q.since);
  }
  return { where: where.join(' AND '), params };
}

export interface FiguresQuery {
  phase: EspFleetFigures['phase'];
  since?: string;
}

/**
 * The fleet figures' statements over the runs matching `where` (a figuresFilter), each answered
 * from a partial index of migration 31 without reading the runs: the done runs by last item
 * (esp_runs_last), the done runs in order of duration (esp_runs_done), the others with the items
 * not done (esp_runs_rest; the few runs that failed, timed out or are under way).
 */
export const FIGURES_SQL = (where: string) => ({
  done: `SELECT last_item, MIN(last_item_name) AS name, COUNT(*) AS n, COUNT(duration_ms) AS timed FROM esp_runs
    WHERE outcome = 'done' AND ${where} GROUP BY last_item`,
  duration: `SELECT duration_ms FROM esp_runs WHERE outcome = 'done' AND duration_ms IS NOT NULL AND ${where} ORDER BY duration_ms LIMIT 1 OFFSET `,
  rest: `SELECT outcome, deadline, open_items FROM esp_runs WHERE (outcome IS NULL OR outcome <> 'done') AND ${where}`,
});

/** The 0-based position of the nearest-rank quantile `q` among `n` sorted values. */
export const nearestRank = (n: number, q: number): number => Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1));

/** How many done runs have a duration (the ranks' base). */
export const timedRuns = (done: Row[]): number => done.reduce((sum, r) => sum + Number(r.timed ?? 0), 0);

/** The rows of FIGURES_SQL's done and rest, and the durations at each quantile (ms), as one result. */
export function figureParts(done: Row[], durations: (number | undefined)[], rest: Row[]): EspFigureParts {
  return {
    done: done.map((r) => {
      const id = opt(r.last_item);
      const name = opt(r.name);
      return { runs: Number(r.n), ...(id !== undefined ? { profileId: id } : {}), ...(name !== undefined ? { name } : {}) };
    }),
    durationsMs: durations,
    rest: rest.map((r) => {
      const outcome = opt(r.outcome);
      return {
        deadline: String(r.deadline),
        items: JSON.parse(String(r.open_items ?? '[]')) as EspRunItem[],
        ...(outcome !== undefined ? { outcome: outcome as EspOutcome } : {}),
      };
    }),
  };
}
