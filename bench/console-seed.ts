// bench/console's fleet: devices (and a delivery row per profile for each) in the shape the
// server writes them, written straight into the store's database — SQLite through its file,
// PostgreSQL through the server's schema — in batches of 5,000 devices per transaction.
import Database from 'better-sqlite3';
import crypto from 'node:crypto';
import pg from 'pg';

const DAY = 86_400_000;
const BATCH = 5000;
const BUILDS = ['10.0.26100.2894', '10.0.26100.2605', '10.0.22631.4602', '10.0.22631.4460', '10.0.22621.4602', '10.0.19045.5247', '10.0.19045.5131'];
const EDITIONS = ['4', '4', '4', '48', '48', '121', '125', '27'];

type Cols = Record<string, string | number | null>;

/** Device i of the fleet and its delivery rows: one in 10 never reported inventory, one in 20 was never seen, one in 33 is unenrolled. */
function deviceRows(i: number, now: number, tenant: string, profileIds: string[]): { device: Cols; deliveries: Cols[] } {
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
  return { device, deliveries };
}

function* batches(devices: number, profileIds: string[]) {
  const now = Date.now();
  const tenant = crypto.randomUUID();
  for (let from = 0; from < devices; from += BATCH) {
    const rows = [];
    for (let i = from; i < Math.min(devices, from + BATCH); i++) rows.push(deviceRows(i, now, tenant, profileIds));
    yield { devices: rows.map((r) => r.device), deliveries: rows.flatMap((r) => r.deliveries) };
  }
}

const insertSql = (table: string, row: Cols) => {
  const cols = Object.keys(row);
  return `INSERT INTO ${table} (${cols.join(', ')}) VALUES (${cols.map((c) => `@${c}`).join(', ')})`;
};

export function seedSqlite(file: string, devices: number, profileIds: string[]): void {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  let ins: { dev: Database.Statement; del: Database.Statement } | undefined;
  const write = db.transaction((b: { devices: Cols[]; deliveries: Cols[] }) => {
    ins ??= { dev: db.prepare(insertSql('devices', b.devices[0])), del: db.prepare(insertSql('profile_deliveries', b.deliveries[0])) };
    for (const d of b.devices) ins.dev.run(d);
    for (const d of b.deliveries) ins.del.run(d);
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
    for (const b of batches(devices, profileIds)) {
      await c.query('BEGIN');
      await copy('devices', b.devices);
      if (b.deliveries.length) await copy('profile_deliveries', b.deliveries);
      await c.query('COMMIT');
    }
    await c.query('VACUUM ANALYZE devices');
    await c.query('VACUUM ANALYZE profile_deliveries');
  } finally {
    await c.end();
  }
}
