// bench/console: the console's server time with a large fleet. 100,000 devices (and three
// profiles' delivery rows for each) are written straight into the SQLite store of a real test
// server, in the shape the server writes them; then each page is requested in process (inject,
// with the break-glass token) and timed: the device list's first page, a page 50,000 rows deep by
// its cursor, filtered, sorted, searched, and the dashboard. Targets (issue #13): device list
// p95 < 100 ms per page, dashboard p95 < 300 ms.
//
//   npm run bench:console [-- --devices 100000 --runs 40]
import Database from 'better-sqlite3';
import crypto from 'node:crypto';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { encodeCursor } from '../src/service/fleet/cursor.js';
import { startTestServer } from '../test/helpers/server.js';
import { fmt, percentile } from './stats.js';

const argv = process.argv;
const arg = (name: string, def: string) => {
  const i = argv.indexOf(`--${name}`);
  return i > 0 ? argv[i + 1] : def;
};
const DEVICES = Number(arg('devices', '100000'));
const RUNS = Number(arg('runs', '40'));
const DAY = 86_400_000;

const BUILDS = ['10.0.26100.2894', '10.0.26100.2605', '10.0.22631.4602', '10.0.22631.4460', '10.0.22621.4602', '10.0.19045.5247', '10.0.19045.5131'];
const EDITIONS = ['4', '4', '4', '48', '48', '121', '125', '27'];

/** Devices and delivery rows, in batches of one transaction per 5,000 devices. */
function seed(file: string, profileIds: string[]): void {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  const insDev = db.prepare(`INSERT INTO devices (id, device_id, hw_dev_id, entra_device_id, enrollment_type, auth_method, tenant_id, user_oid, upn,
      device_name, os_version, os_edition, device_type, state, enrolled_at, updated_at, dm_username, dm_password_digest, dm_server_name,
      dm_server_digest, dm_nonce, last_seen_at, current_user_oid, current_user_upn, login_status, inventory, inventory_at, principal)
    VALUES (?, ?, ?, ?, ?, 'entra', ?, ?, ?, ?, ?, ?, 'Desktop', ?, ?, ?, ?, 'x', 'fenestra', 'x', 'bm9uY2U=', ?, ?, ?, ?, ?, ?, ?)`);
  const insRow = db.prepare(
    `INSERT INTO profile_deliveries (device_pk, user_key, profile_id, version, applied_version, status, detail, updated_at) VALUES (?, '', ?, 1, 1, ?, ?, ?)`,
  );
  const now = Date.now();
  const tenant = crypto.randomUUID();
  const rnd = (n: number) => Math.floor(Math.random() * n);
  const iso = (t: number) => new Date(t).toISOString();
  const batch = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
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
      insDev.run(
        id,
        `BENCH-${i}`,
        crypto.randomBytes(8).toString('hex'),
        crypto.randomUUID(),
        shared ? 'Device' : 'Full',
        tenant,
        shared ? null : crypto.randomUUID(),
        shared ? null : user,
        host,
        build.split('.').slice(0, 3).join('.'),
        EDITIONS[rnd(EDITIONS.length)],
        i % 33 === 0 ? 'unenrolled' : 'enrolled',
        iso(enrolled),
        iso(enrolled),
        `BENCH-${i}`,
        seen,
        shared && seen ? crypto.randomUUID() : null,
        shared && seen ? user : null,
        shared && seen ? 'user' : null,
        inventory,
        inventory ? iso(enrolled) : null,
        shared ? `tenant:${tenant}` : `user:${user}`,
      );
      for (const p of profileIds) {
        const r = rnd(1000);
        const status = r < 8 ? 'failed' : r < 13 ? 'held' : 'verified';
        insRow.run(id, p, status, status === 'failed' ? '500 Command failed' : null, iso(enrolled));
      }
    }
  });
  for (let i = 0; i < DEVICES; i += 5000) batch(i, Math.min(DEVICES, i + 5000));
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}

const s = await startTestServer();
try {
  const file = path.join(s.dir, 'data', 'fenestra.db');
  const profiles = [];
  for (const [name, n] of [
    ['Office Wi-Fi', 1],
    ['Mail', 2],
    ['Device policy', 3],
  ] as const) {
    const r = await s.admin('POST', '/api/v1/profiles', {
      name,
      kind: 'custom',
      scope: 'device',
      settings: { nodes: [{ locUri: `./Device/Vendor/MSFT/Policy/Config/Bench/Setting${n}`, format: 'int', value: String(n) }] },
    });
    if (r.status !== 201) throw new Error(`profile: ${r.status} ${JSON.stringify(r.json)}`);
    profiles.push(r.json.id as string);
  }
  const t0 = performance.now();
  seed(file, profiles);
  console.log(`bench/console — ${DEVICES} devices and ${DEVICES * profiles.length} delivery rows seeded in ${fmt((performance.now() - t0) / 1000)} s`);

  const ro = new Database(file, { readonly: true });
  const deep = ro.prepare('SELECT enrolled_at, id FROM devices ORDER BY enrolled_at DESC, id DESC LIMIT 1 OFFSET ?').get(Math.floor(DEVICES / 2)) as {
    enrolled_at: string;
    id: string;
  };
  ro.close();
  const app = s.server.app;
  const headers = { authorization: `Bearer ${s.adminToken}`, 'accept-encoding': 'gzip' };
  const pages: [string, string][] = [
    ['devices: first page', '/console/devices'],
    [`devices: ${DEVICES / 2} rows deep (cursor)`, `/console/devices?cursor=${encodeCursor('-enrolledAt', deep.enrolled_at, deep.id)}`],
    ['devices: filtered (enrolled, user, Enterprise)', '/console/devices?state=enrolled&enrollmentType=Full&edition=Enterprise'],
    ['devices: filtered (OS build prefix)', '/console/devices?osBuild=10.0.22631'],
    ['devices: stale only', '/console/devices?stale=1'],
    ['devices: failed profiles', '/console/devices?profileStatus=failed'],
    ['devices: sorted by last seen', '/console/devices?sort=-lastSeen'],
    ['devices: sorted by name', '/console/devices?sort=hostName'],
    ['devices: searched (user)', '/console/devices?q=user31337'],
    ['devices: searched (host name part)', '/console/devices?q=PC-0999'],
    ['dashboard', '/console/'],
  ];
  // Wall time is what the issue's targets speak of; CPU time (this process: server and inject)
  // says the same with less noise when other work shares the machine.
  console.log(`server time per request (in-process inject, ${RUNS} runs after 3 warm-ups), ms — wall, then CPU:`);
  const results: { name: string; p50: number; p95: number }[] = [];
  for (const [name, url] of pages) {
    const times: number[] = [];
    const cpu: number[] = [];
    for (let i = 0; i < RUNS + 3; i++) {
      const start = performance.now();
      const c0 = process.cpuUsage();
      const r = await app.inject({ url, headers });
      const c = process.cpuUsage(c0);
      const ms = performance.now() - start;
      if (r.statusCode !== 200) throw new Error(`${url}: ${r.statusCode} ${r.body.slice(0, 300)}`);
      if (i >= 3) {
        times.push(ms);
        cpu.push((c.user + c.system) / 1000);
      }
    }
    times.sort((a, b) => a - b);
    cpu.sort((a, b) => a - b);
    const row = { name, p50: percentile(times, 50), p95: percentile(times, 95) };
    results.push(row);
    const target = name === 'dashboard' ? 300 : 100;
    console.log(
      `  ${name.padEnd(48)} p50 ${fmt(row.p50).padStart(7)}  p95 ${fmt(row.p95).padStart(7)}  ${(row.p95 < target ? 'ok' : `OVER ${target}`).padEnd(8)}` +
        `  cpu p50 ${fmt(percentile(cpu, 50)).padStart(7)}  p95 ${fmt(percentile(cpu, 95)).padStart(7)}`,
    );
  }
  // The first page's transfer: HTML and every asset it links, compressed as a browser gets them.
  const first = await app.inject({ url: '/console/', headers });
  let bytes = first.rawPayload.length;
  for (const m of first.body.matchAll(/(?:href|src)="(\/console\/assets\/[^"]+)"/g)) {
    bytes += (await app.inject({ url: m[1].replace(/&amp;/g, '&'), headers: { 'accept-encoding': 'br, gzip' } })).rawPayload.length;
  }
  console.log(`dashboard page + assets, compressed: ${fmt(bytes / 1024)} KB (HTML sent uncompressed in process)`);
} finally {
  await s.close();
}
