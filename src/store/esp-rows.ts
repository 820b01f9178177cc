// Rows of esp_policies and esp_runs (migration 27), shared by both backends.
import type { EspOutcome, EspPolicy, EspRun, EspRunItem, EspTarget } from '../domain/esp.js';
import { opt, type Row } from './rows.js';

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

export const RUN_COLUMNS = 'device_pk, user_key, upn, policy_id, started_at, deadline, error_text, items, finished_at, outcome';

/** Insert a run; on its (device, phase) replace only a run started before the 11th parameter. */
export const RUN_START = (p: (n: number) => string) =>
  `INSERT INTO esp_runs (${RUN_COLUMNS}) VALUES (${[1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map(p).join(', ')})
   ON CONFLICT (device_pk, user_key) DO UPDATE SET upn = excluded.upn, policy_id = excluded.policy_id, started_at = excluded.started_at,
     deadline = excluded.deadline, error_text = excluded.error_text, items = excluded.items, finished_at = excluded.finished_at, outcome = excluded.outcome
   WHERE esp_runs.started_at < ${p(11)}`;

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
