// bench/console's fleet: devices (and a delivery row per profile for each, and their day-zero
// runs) in the shape the server writes them, written straight into the store's database — SQLite
// through its file, PostgreSQL through the server's schema — in batches of 5,000 devices per
// transaction.
import Database from 'better-sqlite3';
import crypto from 'node:crypto';
import pg from 'pg';
import type { EspRun, EspRunItem } from '../src/domain/esp.js';
import { figureValues } from '../src/store/esp-rows.js';

const DAY = 86_400_000;
const BATCH = 5000;
const BUILDS = ['10.0.26100.2894', '10.0.26100.2605', '10.0.22631.4602', '10.0.22631.4460', '10.0.22621.4602', '10.0.19045.5247', '10.0.19045.5131'];
const EDITIONS = ['4', '4', '4', '48', '48', '121', '125', '27'];

type Cols = Record<string, string | number | null>;

/** The ESP policy every seeded run names. */
export const ESP_POLICY = 'bench-esp-policy';

/**
 * A day-zero run (device phase, or a user's) with one item per profile: 92% done (after 2 to 40
 * minutes, items done one after another), 4% failed (one item failed), 2% timed out and told so
 * at the next check-in, 1.5% past their deadline without a word (timed out as of now), 0.5% in
 * progress (started minutes ago, deadline an hour ahead).
 */
function espRun(devicePk: string, userKey: string, upn: string | null, started: number, now: number, profileIds: string[]): Cols {
  const rnd = (n: number) => Math.floor(Math.random() * n);
  const iso = (t: number) => new Date(t).toISOString();
  const r = rnd(1000);
  const kind = r < 920 ? 'done' : r < 960 ? 'failed' : r < 980 ? 'timed-out' : r < 995 ? 'silent' : 'open';
  if (kind === 'open') started = now - rnd(30 * 60_000);
  const deadline = started + 60 * 60_000;
  const total = 120_000 + rnd(38 * 60_000) + (Math.random() < 0.05 ? rnd(20 * 60_000) : 0);
  const failAt = rnd(profileIds.length);
  let t = started;
  const items = profileIds.map((profileId, n) => {
    const item: Record<string, string> = { profileId, name: `Profile ${n + 1}`, kind: 'custom', status: 'pending' };
    const reached = kind === 'done' || (kind === 'failed' && n <= failAt) || ((kind === 'timed-out' || kind === 'silent' || kind === 'open') && n < failAt);
    if (!reached) return item;
    t += Math.floor((total / profileIds.length) * (0.5 + Math.random()));
    item.at = iso(Math.min(t, started + total));
    item.status = kind === 'failed' && n === failAt ? 'failed' : 'done';
    if (item.status === 'failed') item.detail = '500 Command failed';
    return item;
  });
  const end = kind === 'done' ? started + total : kind === 'failed' ? t : kind === 'timed-out' ? deadline : null;
  const run: EspRun = { devicePk, userKey, policyId: ESP_POLICY, startedAt: iso(started), deadline: iso(deadline), items: items as unknown as EspRunItem[] };
  if (end !== null) run.finishedAt = iso(end);
  if (kind !== 'silent' && kind !== 'open') run.outcome = kind;
  // The columns migration 31 added, as the store writes them.
  const [duration, last, lastName, open] = figureValues(run);
  return {
    device_pk: devicePk,
    user_key: userKey,
    upn,
    policy_id: ESP_POLICY,
    started_at: run.startedAt,
    deadline: run.deadline,
    error_text: 'Call the help desk',
    items: JSON.stringify(items),
    finished_at: run.finishedAt ?? null,
    outcome: run.outcome ?? null,
    duration_ms: duration,
    last_item: last,
    last_item_name: lastName,
    open_items: open,
  };
}

/** Device i of the fleet, its delivery rows and day-zero runs: one in 10 never reported inventory, one in 20 was never seen, one in 33 is unenrolled. */
function deviceRows(i: number, now: number, tenant: string, profileIds: string[]): { device: Cols; deliveries: Cols[]; runs: Cols[] } {
  const rnd = (n: number) => Math.floor(Math.random() * n);
  const iso = (t: number) => new Date(t).toISOString();
  const id = crypto.randomUUID();
  const build = BUILDS[rnd(BUILDS.length)];
  const shared = i % 10 < 3;
  const user = `user${i % 40000}@contoso.com`;
  const enrolled = now - rnd(365) * DAY - rnd(DAY);
  const seen = i % 20 === 0 ? null : iso(now - rnd(40) * DAY - rnd(DAY));
  const host = `PC-${String(i).padStart(6, '0')}`;
  const inventory =
    i % 10 === 9
      ? null
      : JSON.stringify({
          './DevDetail/SwV': build,
          './DevDetail/Ext/Microsoft/DNSComputerName': host,
          './DevInfo/Man': 'Contoso',
          './DevInfo/Mod': `Model ${i % 7}`,
          './DevDetail/Ext/Microsoft/SMBIOSSerialNumber': `SN${i}`,
          './DevDetail/Ext/Microsoft/TotalRAM': '16384',
          './DevInfo/Lang': 'fr-FR',
        });
  const device: Cols = {
    id,
    device_id: `BENCH-${i}`,
    hw_dev_id: crypto.randomBytes(8).toString('hex'),
    entra_device_id: crypto.randomUUID(),
    enrollment_type: shared ? 'Device' : 'Full',
    auth_method: 'entra',
    tenant_id: tenant,
    user_oid: shared ? null : crypto.randomUUID(),
    upn: shared ? null : user,
    device_name: host,
    os_version: build.split('.').slice(0, 3).join('.'),
    os_edition: EDITIONS[rnd(EDITIONS.length)],
    device_type: 'Desktop',
    state: i % 33 === 0 ? 'unenrolled' : 'enrolled',
    enrolled_at: iso(enrolled),
    updated_at: iso(enrolled),
    dm_username: `BENCH-${i}`,
    dm_password_digest: 'x',
    dm_server_name: 'fenestra',
    dm_server_digest: 'x',
    dm_nonce: 'bm9uY2U=',
    last_seen_at: seen,
    current_user_oid: shared && seen ? crypto.randomUUID() : null,
    current_user_upn: shared && seen ? user : null,
    login_status: shared && seen ? 'user' : null,
    inventory,
    inventory_at: inventory ? iso(enrolled) : null,
    principal: shared ? `tenant:${tenant}` : `user:${user}`,
  };
  const deliveries = profileIds.map((p): Cols => {
    const r = rnd(1000);
    const status = r < 8 ? 'failed' : r < 13 ? 'held' : 'verified';
    return {
      device_pk: id,
      user_key: '',
      profile_id: p,
      version: 1,
      applied_version: 1,
      status,
      detail: status === 'failed' ? '500 Command failed' : null,
      updated_at: iso(enrolled),
    };
  });
  const runs = [espRun(id, '', null, enrolled, now, profileIds)];
  if (!shared) runs.push(espRun(id, String(device.user_oid), user, enrolled + 600_000, now, profileIds));
  return { device, deliveries, runs };
}

function* batches(devices: number, profileIds: string[]) {
  const now = Date.now();
  const tenant = crypto.randomUUID();
  for (let from = 0; from < devices; from += BATCH) {
    const rows = [];
    for (let i = from; i < Math.min(devices, from + BATCH); i++) rows.push(deviceRows(i, now, tenant, profileIds));
    yield { devices: rows.map((r) => r.device), deliveries: rows.flatMap((r) => r.deliveries), runs: rows.flatMap((r) => r.runs) };
  }
}

function espPolicy(profileIds: string[]): Cols {
  const at = new Date().toISOString();
  const settings = {
    requiredProfileIds: profileIds,
    timeoutMinutes: 60,
    errorText: 'Call the help desk',
    blockDevice: true,
    allowCollectLogs: true,
    skipUserPhase: false,
    skipDevicePhase: false,
  };
  return { id: ESP_POLICY, name: 'Day zero', target_type: 'all', target_id: null, settings: JSON.stringify(settings), created_at: at, updated_at: at };
}

const insertSql = (table: string, row: Cols) => {
  const cols = Object.keys(row);
  return `INSERT INTO ${table} (${cols.join(', ')}) VALUES (${cols.map((c) => `@${c}`).join(', ')})`;
};

export function seedSqlite(file: string, devices: number, profileIds: string[]): void {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  db.prepare(insertSql('esp_policies', espPolicy(profileIds))).run(espPolicy(profileIds));
  let ins: { dev: Database.Statement; del: Database.Statement; run: Database.Statement } | undefined;
  const write = db.transaction((b: { devices: Cols[]; deliveries: Cols[]; runs: Cols[] }) => {
    ins ??= {
      dev: db.prepare(insertSql('devices', b.devices[0])),
      del: db.prepare(insertSql('profile_deliveries', b.deliveries[0])),
      run: db.prepare(insertSql('esp_runs', b.runs[0])),
    };
    for (const d of b.devices) ins.dev.run(d);
    for (const d of b.deliveries) ins.del.run(d);
    for (const r of b.runs) ins.run.run(r);
  });
  for (const b of batches(devices, profileIds)) write(b);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}

/** Into the schema of `url`; then VACUUM ANALYZE, as autovacuum would do after such a load. */
export async function seedPostgres(url: string, devices: number, profileIds: string[]): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const copy = (table: string, rows: Cols[]) => {
      const cols = Object.keys(rows[0]).join(', ');
      return c.query(`INSERT INTO ${table} (${cols}) SELECT ${cols} FROM json_populate_recordset(NULL::${table}, $1)`, [JSON.stringify(rows)]);
    };
    await copy('esp_policies', [espPolicy(profileIds)]);
    for (const b of batches(devices, profileIds)) {
      await c.query('BEGIN');
      await copy('devices', b.devices);
      if (b.deliveries.length) await copy('profile_deliveries', b.deliveries);
      await copy('esp_runs', b.runs);
      await c.query('COMMIT');
    }
    await c.query('VACUUM ANALYZE devices');
    await c.query('VACUUM ANALYZE profile_deliveries');
    await c.query('VACUUM ANALYZE esp_runs');
  } finally {
    await c.end();
  }
}
