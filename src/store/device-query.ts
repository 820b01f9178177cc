// The device list's SQL, written once for both backends: the WHERE clause of a DeviceFilter, the
// keyset order of a DeviceQuery, the fleet summary's GROUP BY and the stale-policy candidates.
// Only two things differ: how a value is read out of the inventory JSON, and the collation that
// makes PostgreSQL order text byte-wise as SQLite does (same pages on both, whatever the
// database's locale). Statements use `?`; PostgreSQL's `$n` come from `numbered`.
import type { DeviceFilter, DeviceQuery, DeviceSortKey } from '../domain/fleet.js';
import { complianceFilterSql } from './compliance-query.js';

export type Dialect = 'sqlite' | 'postgres';

const HOST_NODE = './DevDetail/Ext/Microsoft/DNSComputerName';

function inventoryValue(dialect: Dialect, node: string): string {
  return dialect === 'sqlite' ? `json_extract(d.inventory, '$."${node}"')` : `(d.inventory::jsonb ->> '${node}')`;
}

/** Host name: what the device reported (DNSComputerName), else the name it enrolled with. */
export const hostNameSql = (dialect: Dialect) => `COALESCE(${inventoryValue(dialect, HOST_NODE)}, d.device_name)`;
/**
 * OS build: what the device reported (DevDetail/SwV), else the version it enrolled with — the
 * column the database computes from those two on every write (migration 20).
 */
const OS_BUILD = 'd.os_build';

const byteOrder = (dialect: Dialect, expr: string) => (dialect === 'postgres' ? `(${expr}) COLLATE "C"` : expr);

/** The sort value of a row: never NULL (NULL sorts as ''), so keyset comparisons hold. */
export function sortKeySql(dialect: Dialect, sort: DeviceSortKey): string {
  const expr = {
    lastSeen: `COALESCE(d.last_seen_at, '')`,
    enrolledAt: 'd.enrolled_at',
    hostName: `lower(COALESCE(${hostNameSql(dialect)}, ''))`,
    upn: `lower(COALESCE(d.upn, ''))`,
  }[sort];
  return byteOrder(dialect, expr);
}

const likeEscape = (s: string) => s.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * Every text the search box looks in, lower-cased and joined by spaces: PostgreSQL's
 * trigram index (migration 19) is built on exactly this expression. SQLite keeps the same text
 * in the FTS5 table `device_search`, which triggers on `devices` keep up to date.
 */
export function searchTextSql(dialect: Dialect): string {
  const parts = ['d.upn', 'd.current_user_upn', 'd.device_id', 'd.id', hostNameSql(dialect)].map((c) => `COALESCE(${c}, '')`);
  return `lower(${parts.join(` || ' ' || `)})`;
}

/** Shortest search the trigram indexes can narrow down; a shorter one reads every row. */
export const TRIGRAM_MIN = 3;

/** An FTS5 phrase: the text in double quotes, its own double quotes doubled. */
const ftsPhrase = (q: string) => `"${q.replace(/"/g, '""')}"`;

export interface Sql {
  text: string;
  params: unknown[];
}

export function filterSql(dialect: Dialect, f: DeviceFilter): Sql {
  const where: string[] = [];
  const params: unknown[] = [];
  /** One condition and the values of its placeholders, in order. */
  const cond = (sql: string, ...values: unknown[]) => {
    where.push(sql);
    params.push(...values);
  };
  const host = hostNameSql(dialect);
  if (f.q) {
    const cols = ['d.upn', 'd.current_user_upn', 'd.device_id', 'd.id', host];
    const like = `%${likeEscape(f.q)}%`;
    // The index narrows the rows down to those whose text holds the search's trigrams (a
    // superset); the column-by-column LIKE below then decides, as it always has.
    if ([...f.q].length >= TRIGRAM_MIN) {
      if (dialect === 'sqlite') cond('d.rowid IN (SELECT rowid FROM device_search WHERE device_search MATCH ?)', ftsPhrase(f.q));
      else cond(`${searchTextSql(dialect)} LIKE ? ESCAPE '\\'`, like);
    }
    cond(`(${cols.map((c) => `lower(${c}) LIKE ? ESCAPE '\\'`).join(' OR ')})`, ...cols.map(() => like));
  }
  if (f.upn) {
    cond('(lower(d.upn) = ? OR lower(d.current_user_upn) = ?)', f.upn.toLowerCase(), f.upn.toLowerCase());
  }
  if (f.deviceId) {
    cond('(lower(d.device_id) = ? OR lower(d.released_device_id) = ?)', f.deviceId.toLowerCase(), f.deviceId.toLowerCase());
  }
  if (f.hostName) {
    cond(`lower(${host}) = ?`, f.hostName.toLowerCase());
  }
  if (f.osBuild) {
    cond(`${OS_BUILD} LIKE ? ESCAPE '\\'`, `${f.osBuild.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  }
  if (f.editionCodes) {
    // No edition of that name: nothing matches (an empty IN list is not SQL).
    if (f.editionCodes.length === 0) where.push('1 = 0');
    else cond(`d.os_edition IN (${f.editionCodes.map(() => '?').join(', ')})`, ...f.editionCodes.map(String));
  }
  if (f.enrollmentType) {
    cond('d.enrollment_type = ?', f.enrollmentType);
  }
  if (f.state) {
    cond('d.state = ?', f.state);
  }
  if (f.lastSeenBefore) {
    cond('d.last_seen_at < ?', f.lastSeenBefore);
  }
  if (f.lastSeenAfter) {
    cond('d.last_seen_at >= ?', f.lastSeenAfter);
  }
  if (f.staleBefore) {
    cond('COALESCE(d.last_seen_at, d.enrolled_at) < ?', f.staleBefore);
  }
  if (f.profileStatus || f.profileId) {
    // An IN list rather than a correlated EXISTS: a status (profile_deliveries_status) or a
    // profile (profile_deliveries_profile) picks the few devices first, instead of one probe per device.
    const sub: string[] = [];
    const values: unknown[] = [];
    if (f.profileStatus) {
      sub.push('pd.status = ?');
      values.push(f.profileStatus);
    }
    if (f.profileId) {
      sub.push('pd.profile_id = ?');
      values.push(f.profileId);
    }
    cond(`d.id IN (SELECT pd.device_pk FROM profile_deliveries pd WHERE ${sub.join(' AND ')})`, ...values);
  }
  if (f.compliance) {
    const c = complianceFilterSql(f.compliance);
    cond(c.sql, ...c.values);
  }
  return { text: where.length ? `WHERE ${where.join(' AND ')}` : '', params };
}

/** One page: the rows and each one's sort value (`sort_key`), in the order asked, after the cursor. */
export function pageSql(dialect: Dialect, q: DeviceQuery): Sql {
  const f = filterSql(dialect, q);
  const key = sortKeySql(dialect, q.sort);
  const id = byteOrder(dialect, 'd.id');
  const dir = q.descending ? 'DESC' : 'ASC';
  const where = [f.text];
  const params = [...f.params];
  if (q.after) {
    const cmp = q.descending ? '<' : '>';
    where.push(`${f.text ? 'AND' : 'WHERE'} (${key} ${cmp} ? OR (${key} = ? AND ${id} ${cmp} ?))`);
    params.push(q.after.key, q.after.key, q.after.id);
  }
  params.push(q.limit, q.offset ?? 0);
  return {
    text: `SELECT d.*, ${key} AS sort_key FROM devices d ${where.join(' ')} ORDER BY ${key} ${dir}, ${id} ${dir} LIMIT ? OFFSET ?`,
    params,
  };
}

/** How many rows match; with `upTo`, no more than that many are read (the count stops there). */
export function countSql(dialect: Dialect, f: DeviceFilter, upTo?: number): Sql {
  const w = filterSql(dialect, f);
  if (upTo === undefined) return { text: `SELECT COUNT(*) AS n FROM devices d ${w.text}`, params: w.params };
  return { text: `SELECT COUNT(*) AS n FROM (SELECT 1 FROM devices d ${w.text} LIMIT ?) m`, params: [...w.params, upTo] };
}

/**
 * The fleet summary, as two index-only reads of live records (released ones are history): a
 * row per (OS build, edition, enrollment type, state) with its count, from the partial index
 * devices_summary; and one row counting them by last check-in — today, the 7 and 30 days
 * before, older, never — and the stale ones, from the partial index devices_activity
 * (migration 23: the last-seen time, which every session updates, is kept out of the index
 * that holds the OS build computed from the inventory). Neither reads the wide rows.
 */
export const summarySql = `SELECT ${OS_BUILD} AS os_build, d.os_edition AS os_edition, d.enrollment_type AS enrollment_type, d.state AS state, COUNT(*) AS total
FROM devices d WHERE d.released_device_id IS NULL
GROUP BY ${OS_BUILD}, d.os_edition, d.enrollment_type, d.state`;

/** The last-seen buckets and the stale count of live records. Params: activityParams. */
export const activitySql = `SELECT
  COUNT(*) FILTER (WHERE d.last_seen_at >= ?) AS today,
  COUNT(*) FILTER (WHERE d.last_seen_at < ? AND d.last_seen_at >= ?) AS week,
  COUNT(*) FILTER (WHERE d.last_seen_at < ? AND d.last_seen_at >= ?) AS month,
  COUNT(*) FILTER (WHERE d.last_seen_at < ?) AS older,
  COUNT(*) FILTER (WHERE d.last_seen_at IS NULL) AS never,
  COUNT(*) FILTER (WHERE d.state = 'enrolled' AND COALESCE(d.last_seen_at, d.enrolled_at) < ?) AS stale
FROM devices d WHERE d.released_device_id IS NULL`;

/** today, 7 days ago, 30 days ago, stale-before: the placeholders of activitySql. */
export const activityParams = (today: string, week: string, month: string, staleBefore: string) => [today, today, week, week, month, month, staleBefore];

/** `?` placeholders as PostgreSQL's `$1, $2…` (our statements hold no `?` in literals). */
export const numbered = (text: string) => {
  let i = 0;
  return text.replace(/\?/g, () => `$${++i}`);
};
