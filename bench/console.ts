// bench/console: the console's server time with a large fleet, on SQLite and on PostgreSQL.
// 100,000 devices (and three profiles' delivery rows for each, and their day-zero runs) are
// written straight into the store of a real test server, in the shape the server writes them
// (bench/console-seed.ts); then each page is requested in process (inject, with the break-glass
// token) and timed: the device list's first page, a page 50,000 rows deep by its cursor, filtered,
// sorted, searched, the dashboard — its fleet figures counted afresh at each request (uncached),
// and cached —, the day-zero figures (API and console page) and one device's day zero. Then the
// day-zero figures alone, turn about: every run read and counted in JS (before migration 31, the
// baseline) and counted in SQL, with a check that both agree. Then the fleet summary's queries
// alone: the five full scans of before migration 20 (the baseline) and the one pass over the
// devices_summary index, interleaved, with a check that both count the same.
// Targets (issue #13): device list p95 < 100 ms per page, dashboard uncached p95 < 300 ms;
// the day-zero figures as the dashboard, one device's as a list page.
//
// CPU per request is this process's (server and inject) plus, on PostgreSQL, that of the
// server's backends (/proc/<pid>/schedstat, found by application_name); the bench's PostgreSQL
// sessions run without parallel workers so that a query's whole CPU is its backend's.
//
//   npm run bench:console [-- --devices 100000 --runs 40 --store sqlite|postgres|both --only 'day zero']
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import type { EspFleetFigures } from '../src/domain/esp.js';
import type { FleetCounts } from '../src/domain/fleet.js';
import { forgetFleetFigures } from '../src/http/console/pages/dashboard.js';
import { DayZeroView, fleetFigures } from '../src/service/esp/timeline.js';
import { encodeCursor } from '../src/service/fleet/cursor.js';
import { freshSchema, PG_BASE_URL } from '../test/helpers/pg.js';
import { startTestServer } from '../test/helpers/server.js';
import { seedPostgres, seedSqlite } from './console-seed.js';
import { fmt, percentile } from './stats.js';

const argv = process.argv;
const arg = (name: string, def: string) => {
  const i = argv.indexOf(`--${name}`);
  return i > 0 ? argv[i + 1] : def;
};
const DEVICES = Number(arg('devices', '100000'));
const RUNS = Number(arg('runs', '40'));
const STORES = arg('store', 'both') === 'both' ? (['sqlite', 'postgres'] as const) : [arg('store', 'sqlite') as 'sqlite' | 'postgres'];
/** Only the pages whose name holds one of these (comma-separated), e.g. --only 'day zero,dashboard'. */
const ONLY = arg('only', '') ? arg('only', '').split(',') : undefined;
const DAY = 86_400_000;
const APP = 'fenestra-bench-console';

/** The fleet summary as it was counted before migration 20: four GROUP BYs and the last-seen pass, each a full scan. */
function legacySummary(dialect: 'sqlite' | 'postgres') {
  const build =
    dialect === 'sqlite'
      ? `COALESCE(json_extract(d.inventory, '$."./DevDetail/SwV"'), d.os_version)`
      : `COALESCE((d.inventory::jsonb ->> './DevDetail/SwV'), d.os_version)`;
  const live = 'FROM devices d WHERE d.released_device_id IS NULL';
  const group = (expr: string) => `SELECT COALESCE(${expr}, '') AS k, COUNT(*) AS n ${live} GROUP BY COALESCE(${expr}, '')`;
  let i = 0;
  const ph = dialect === 'sqlite' ? () => '?' : () => `$${++i}`;
  return {
    groups: { byOsBuild: group(build), byEditionCode: group('d.os_edition'), byEnrollmentType: group('d.enrollment_type'), byState: group('d.state') },
    lastSeen: `SELECT
  SUM(CASE WHEN d.last_seen_at >= ${ph()} THEN 1 ELSE 0 END) AS today,
  SUM(CASE WHEN d.last_seen_at < ${ph()} AND d.last_seen_at >= ${ph()} THEN 1 ELSE 0 END) AS week,
  SUM(CASE WHEN d.last_seen_at < ${ph()} AND d.last_seen_at >= ${ph()} THEN 1 ELSE 0 END) AS month,
  SUM(CASE WHEN d.last_seen_at < ${ph()} THEN 1 ELSE 0 END) AS older,
  SUM(CASE WHEN d.last_seen_at IS NULL THEN 1 ELSE 0 END) AS never,
  SUM(CASE WHEN d.state = 'enrolled' AND COALESCE(d.last_seen_at, d.enrolled_at) < ${ph()} THEN 1 ELSE 0 END) AS stale,
  COUNT(*) AS total
${live}`,
  };
}

type Row = Record<string, unknown>;
const legacyCounts = (groups: Record<string, Row[]>, ls: Row): FleetCounts => {
  const n = (v: unknown) => Number(v ?? 0);
  const map = (rows: Row[]) => Object.fromEntries(rows.map((r) => [String(r.k), n(r.n)]));
  return {
    total: n(ls.total),
    byOsBuild: map(groups.byOsBuild),
    byEditionCode: map(groups.byEditionCode),
    byEnrollmentType: map(groups.byEnrollmentType),
    byState: map(groups.byState),
    lastSeen: { today: n(ls.today), last7Days: n(ls.week), last30Days: n(ls.month), older: n(ls.older), never: n(ls.never) },
    stale: n(ls.stale),
  };
};

/** Same counts, whatever the order of keys. */
const sameCounts = (a: FleetCounts, b: FleetCounts) => {
  const sorted = (c: FleetCounts) =>
    JSON.stringify(c, (_k, v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort()) : v));
  return sorted(a) === sorted(b);
};

/** CPU, ms, of the PostgreSQL backends whose application_name is `app` (the server's pool, or the bench's own client). */
async function pgCpu(admin: pg.Client, app: string): Promise<Map<number, number>> {
  const { rows } = await admin.query('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [app]);
  const out = new Map<number, number>();
  for (const { pid } of rows as { pid: number }[]) {
    try {
      out.set(pid, Number(fs.readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6);
    } catch {
      // gone meanwhile, or PostgreSQL runs elsewhere: not counted
    }
  }
  return out;
}
const cpuDelta = (before: Map<number, number>, after: Map<number, number>) => [...after].reduce((sum, [pid, ms]) => sum + ms - (before.get(pid) ?? 0), 0);

interface Timing {
  wall: number[];
  cpu: number[];
}
const timing = (): Timing => ({ wall: [], cpu: [] });
const line = (name: string, t: Timing, target?: number) => {
  const w = [...t.wall].sort((a, b) => a - b);
  const c = [...t.cpu].sort((a, b) => a - b);
  const p95 = percentile(w, 95);
  const verdict = target === undefined ? '' : p95 < target ? 'ok' : `OVER ${target}`;
  return (
    `  ${name.padEnd(48)} p50 ${fmt(percentile(w, 50)).padStart(7)}  p95 ${fmt(p95).padStart(7)}  ${verdict.padEnd(8)}` +
    `  cpu p50 ${fmt(percentile(c, 50)).padStart(7)}  p95 ${fmt(percentile(c, 95)).padStart(7)}`
  );
};

async function bench(kind: 'sqlite' | 'postgres'): Promise<void> {
  const schema = kind === 'postgres' ? await freshSchema('benchconsole') : undefined;
  const options = schema && encodeURIComponent(`-c search_path=${schema.schema} -c max_parallel_workers_per_gather=0`);
  const serverUrl = schema && `${PG_BASE_URL}${PG_BASE_URL.includes('?') ? '&' : '?'}options=${options}&application_name=${APP}`;
  const s = await startTestServer(serverUrl ? { FENESTRA_DATABASE_URL: serverUrl } : {}, { database: kind });
  const admin = schema ? new pg.Client({ connectionString: schema.url }) : undefined;
  const legacyPg = schema ? new pg.Client({ connectionString: `${serverUrl!.replace(APP, `${APP}-legacy`)}` }) : undefined;
  try {
    await admin?.connect();
    await legacyPg?.connect();
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
    const file = path.join(s.dir, 'data', 'fenestra.db');
    const t0 = performance.now();
    if (schema) await seedPostgres(schema.url, DEVICES, profiles);
    else seedSqlite(file, DEVICES, profiles);
    console.log(
      `\nbench/console on ${kind} — ${DEVICES} devices and ${DEVICES * profiles.length} delivery rows and their day-zero runs seeded in ${fmt((performance.now() - t0) / 1000)} s`,
    );

    const deepSql = 'SELECT enrolled_at, id FROM devices ORDER BY enrolled_at DESC, id DESC LIMIT 1 OFFSET ';
    const half = Math.floor(DEVICES / 2);
    let deep: { enrolled_at: string; id: string };
    let legacyRun: (sql: string, params?: unknown[]) => Promise<Row[]>;
    let ro: Database.Database | undefined;
    if (legacyPg) {
      deep = (await legacyPg.query(`SELECT enrolled_at, id FROM devices ORDER BY enrolled_at COLLATE "C" DESC, id COLLATE "C" DESC LIMIT 1 OFFSET $1`, [half]))
        .rows[0] as typeof deep;
      legacyRun = async (sql, params) => (await legacyPg.query(sql, params)).rows as Row[];
    } else {
      const db = (ro = new Database(file, { readonly: true }));
      deep = db.prepare(`${deepSql}?`).get(half) as typeof deep;
      legacyRun = async (sql, params = []) => db.prepare(sql).all(...params) as Row[];
    }
    const app = s.server.app;
    const store = s.server.store;
    const headers = { authorization: `Bearer ${s.adminToken}`, 'accept-encoding': 'gzip' };
    /** CPU, ms, of this process and of the server's (or `app`'s) PostgreSQL backends while `fn` runs. */
    const measure = async (t: Timing | undefined, fn: () => Promise<void>, backends = APP) => {
      const p0 = admin && (await pgCpu(admin, backends));
      const start = performance.now();
      const c0 = process.cpuUsage();
      await fn();
      const c = process.cpuUsage(c0);
      const ms = performance.now() - start;
      const pgMs = admin && p0 ? cpuDelta(p0, await pgCpu(admin, backends)) : 0;
      t?.wall.push(ms);
      t?.cpu.push((c.user + c.system) / 1000 + pgMs);
    };
    const pages: [string, string, number, 'uncached'?][] = [
      ['devices: first page', '/console/devices', 100],
      [`devices: ${half} rows deep (cursor)`, `/console/devices?cursor=${encodeCursor('-enrolledAt', deep.enrolled_at, deep.id)}`, 100],
      ['devices: filtered (enrolled, user, Enterprise)', '/console/devices?state=enrolled&enrollmentType=Full&edition=Enterprise', 100],
      ['devices: filtered (OS build prefix)', '/console/devices?osBuild=10.0.22631', 100],
      ['devices: stale only', '/console/devices?stale=1', 100],
      ['devices: failed profiles', '/console/devices?profileStatus=failed', 100],
      ['devices: sorted by last seen', '/console/devices?sort=-lastSeen', 100],
      ['devices: sorted by name', '/console/devices?sort=hostName', 100],
      ['devices: searched (user)', '/console/devices?q=user31337', 100],
      ['devices: searched (host name part)', '/console/devices?q=PC-0999', 100],
      ['dashboard (uncached: counted at each request)', '/console/', 300, 'uncached'],
      ['dashboard (cached figures)', '/console/', 300],
      ['day zero API: device phase', '/api/v1/fleet/day-zero', 300],
      ['day zero API: both phases', '/api/v1/fleet/day-zero?phase=all', 300],
      ['day zero API: device phase, last 30 days', `/api/v1/fleet/day-zero?since=${new Date(Date.now() - 30 * DAY).toISOString()}`, 300],
      ['day zero page (console: both phases)', '/console/day-zero', 300],
      ["day zero API: one device's runs", `/api/v1/devices/${deep.id}/day-zero`, 100],
      ['device page (console: its day zero)', `/console/devices/${deep.id}`, 100],
    ];
    // Wall time is what the issue's targets speak of; CPU time says the same with less noise
    // when other work shares the machine.
    console.log(`server time per request (in-process inject, ${RUNS} runs after 3 warm-ups), ms — wall, then CPU:`);
    for (const [name, url, target, uncached] of pages) {
      if (ONLY && !ONLY.some((o) => name.includes(o))) continue;
      const t = timing();
      for (let i = 0; i < RUNS + 3; i++) {
        if (uncached) forgetFleetFigures(store);
        await measure(i >= 3 ? t : undefined, async () => {
          const r = await app.inject({ url, headers });
          if (r.statusCode !== 200) throw new Error(`${url}: ${r.statusCode} ${r.body.slice(0, 300)}`);
        });
      }
      console.log(line(name, t, target));
    }

    // The day-zero figures alone: every run read whole and counted in JS (the plain path, as before
    // migration 31) and counted in SQL (EspStore.figures), turn about, with a check that both agree.
    const view = new DayZeroView(store);
    for (const phase of ['device', 'all'] as const) {
      const plain = timing();
      const sql = timing();
      const figures: { plain?: EspFleetFigures; sql?: EspFleetFigures } = {};
      for (let i = 0; i < RUNS + 3; i++) {
        const warm = i >= 3;
        await measure(warm ? plain : undefined, async () => {
          figures.plain = fleetFigures(await store.esp.allRuns(), new Date().toISOString(), phase);
        });
        await measure(warm ? sql : undefined, async () => {
          figures.sql = await view.fleet(phase);
        });
      }
      console.log(`day-zero figures alone, phase ${phase} (${RUNS} runs each, turn about), ms — wall, then CPU:`);
      console.log(line('before: every run read, counted in JS', plain));
      console.log(line('after: counted from the partial indexes (migration 31)', sql));
      const same = JSON.stringify(figures.plain) === JSON.stringify(figures.sql);
      console.log(`  same figures: ${same ? 'yes' : `NO\n${JSON.stringify(figures)}`}`);
    }

    // The fleet summary alone, before and after migration 20, turn about on the same data.
    if (ONLY) {
      ro?.close();
      return;
    }
    const now = Date.now();
    const at = {
      today: new Date(now - (now % DAY)).toISOString(),
      week: new Date(now - 7 * DAY).toISOString(),
      month: new Date(now - 30 * DAY).toISOString(),
      staleBefore: new Date(now - 30 * DAY).toISOString(),
    };
    const legacy = legacySummary(kind);
    const legacyParams = [at.today, at.today, at.week, at.week, at.month, at.month, at.staleBefore];
    const old = timing();
    const one = timing();
    let counts: { old?: FleetCounts; one?: FleetCounts } = {};
    for (let i = 0; i < RUNS + 3; i++) {
      const warm = i >= 3;
      await measure(
        warm ? old : undefined,
        async () => {
          const groups: Record<string, Row[]> = {};
          for (const [name, sql] of Object.entries(legacy.groups)) groups[name] = await legacyRun(sql);
          counts.old = legacyCounts(groups, (await legacyRun(legacy.lastSeen, legacyParams))[0]);
        },
        `${APP}-legacy`,
      );
      await measure(warm ? one : undefined, async () => {
        counts.one = await store.devices.fleetCounts(at);
      });
    }
    console.log(`fleet summary queries alone (${RUNS} runs each, turn about), ms — wall, then CPU:`);
    console.log(line('before: 5 full scans, OS build from the JSON', old));
    console.log(line('after: a GROUP BY over devices_summary and one pass over devices_activity', one));
    console.log(`  same counts: ${counts.old && counts.one && sameCounts(counts.old, counts.one) ? 'yes' : `NO\n${JSON.stringify(counts)}`}`);
    counts = {};
    ro?.close();

    // The first page's transfer: HTML and every asset it links, compressed as a browser gets them.
    const first = await app.inject({ url: '/console/', headers });
    let bytes = first.rawPayload.length;
    for (const m of first.body.matchAll(/(?:href|src)="(\/console\/assets\/[^"]+)"/g)) {
      bytes += (await app.inject({ url: m[1].replace(/&amp;/g, '&'), headers: { 'accept-encoding': 'br, gzip' } })).rawPayload.length;
    }
    console.log(`dashboard page + assets, compressed: ${fmt(bytes / 1024)} KB (HTML sent uncompressed in process)`);
  } finally {
    await legacyPg?.end();
    await admin?.end();
    await s.close();
    await schema?.drop();
  }
}

for (const kind of STORES) await bench(kind);
