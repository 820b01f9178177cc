// The fleet's day-zero figures counted in SQL (EspStore.figures, migration 31) against the plain
// path (fleetFigures over every run read whole), on SQLite and PostgreSQL through a real server's
// GET /api/v1/fleet/day-zero: a seeded set whose p50/p95 are known, every outcome (told and
// silent time-outs, in progress), items done at the same instant, unnamed items, runs without
// items, both phases and a start bound. The columns the figures read are also filled in from the
// items for runs written before migration 31.
import Database from 'better-sqlite3';
import path from 'node:path';
import pg from 'pg';
import t from 'tap';
import type { EspRun, EspRunItem } from '../../src/domain/esp.js';
import { fleetFigures } from '../../src/service/esp/timeline.js';
import { MIGRATIONS, migrationSql } from '../../src/store/migrations.js';
import { freshSchema, PG_BASE_URL, withSearchPath } from '../helpers/pg.js';
import { startTestServer } from '../helpers/server.js';

const MIN = 60_000;
const NOW = Date.now();
const iso = (ms: number) => new Date(ms).toISOString();
/** Runs started a day ago (deadlines long past) but for the open ones; the bound `since` falls between the two days. */
const DAY1 = NOW - 86_400_000;
const DAY0 = NOW - 2 * 86_400_000;
const SINCE = iso(NOW - 1.5 * 86_400_000);

const item = (profileId: string, name: string | undefined, status: EspRunItem['status'], at?: number): EspRunItem => ({
  profileId,
  ...(name ? { name } : {}),
  kind: 'custom',
  status,
  ...(at === undefined ? {} : { at: iso(at) }),
});

/**
 * Device phase: 40 runs done in 1..40 minutes (shuffled; p50 the 21st = 1200 s, p95 the 39th =
 * 2280 s with the one done without items, 30 s, first), their last item 'app' in 35 and 'vpn'
 * in 5 (5 more with 'vpn' done at the same instant as 'app', listed before it: 'app' counts); 3
 * failed on 'vpn'; 2 timed out as told, 2 silent past their deadline ('cert' pending), 1 in
 * progress. User phase: 9 done in
 * 10..90 s, 1 failed on an unnamed item. Half of each started on the earlier day.
 */
function seedRuns(): EspRun[] {
  const runs: EspRun[] = [];
  let n = 0;
  const run = (userKey: string, started: number, o: Partial<EspRun>): EspRun => ({
    devicePk: `dev-${++n}`,
    userKey,
    policyId: 'pol',
    startedAt: iso(started),
    deadline: iso(started + 60 * MIN),
    errorText: 'Call IT',
    items: [],
    ...o,
  });
  const order = Array.from({ length: 40 }, (_, i) => (i * 17) % 40); // a fixed shuffle of 0..39
  for (const [k, i] of order.entries()) {
    const start = (k % 2 ? DAY1 : DAY0) + k * MIN;
    const took = (i + 1) * MIN;
    const lastVpn = k % 4 === 0;
    const tie = k % 8 === 0;
    const items = [
      item('cert', 'Root CA', 'done', start + 1000),
      item('app', 'Agent', 'done', start + (lastVpn ? (tie ? took - 500 : took - 900) : took - 500)),
      item('vpn', 'Corp VPN', 'done', start + (lastVpn ? took - 500 : took - 800)),
    ];
    runs.push(run('', start, { items, outcome: 'done', finishedAt: iso(start + took) }));
  }
  for (let k = 0; k < 3; k++) {
    const start = (k % 2 ? DAY1 : DAY0) + k * MIN;
    runs.push(
      run('', start, {
        items: [item('cert', 'Root CA', 'done', start + 1000), item('vpn', 'Corp VPN', 'failed', start + 5000), item('app', 'Agent', 'pending')],
        outcome: 'failed',
        finishedAt: iso(start + 5000),
      }),
    );
  }
  for (let k = 0; k < 4; k++) {
    const start = (k % 2 ? DAY1 : DAY0) + k * MIN;
    const told = k < 2;
    runs.push(
      run('', start, {
        items: [item('cert', 'Root CA', 'pending'), item('app', 'Agent', 'done', start + 2000)],
        ...(told ? { outcome: 'timed-out' as const, finishedAt: iso(start + 60 * MIN) } : {}),
      }),
    );
  }
  runs.push(run('', NOW - 5 * MIN, { items: [item('cert', 'Root CA', 'done', NOW - 4 * MIN), item('app', 'Agent', 'pending')] }));
  runs.push(run('', DAY1, { items: [], outcome: 'done', finishedAt: iso(DAY1 + 30_000) }));
  for (let k = 0; k < 9; k++) {
    const start = (k % 2 ? DAY1 : DAY0) + k * MIN;
    const took = (k + 1) * 10_000;
    runs.push(run(`user-${k}`, start, { items: [item('mail', 'Mail', 'done', start + took)], outcome: 'done', finishedAt: iso(start + took) }));
  }
  runs.push(run('user-x', DAY1, { items: [item('drive', undefined, 'failed', DAY1 + 3000)], outcome: 'failed', finishedAt: iso(DAY1 + 3000) }));
  return runs;
}

/** Figures with their blocking list in a stable form (names may come from any run of the item). */
const comparable = (f: object) => JSON.parse(JSON.stringify(f)) as Record<string, unknown>;

for (const kind of ['sqlite', 'postgres'] as const) {
  t.test(kind, async (t) => {
    const schema = kind === 'postgres' ? await freshSchema('espfig') : undefined;
    const s = await startTestServer(schema ? { FENESTRA_DATABASE_URL: schema.url } : {}, { database: kind });
    t.teardown(async () => {
      await s.close();
      await schema?.drop();
    });
    const esp = s.server.store.esp;
    for (const r of seedRuns()) {
      // Started open, then saved as it ended: the way sessions write runs.
      const { outcome: _o, finishedAt: _f, ...open } = r;
      t.ok(await esp.startRun({ ...open, items: r.items.map(({ at: _a, ...i }) => ({ ...i, status: 'pending' as const })) }));
      await esp.saveRun(r);
    }
    const api = async (query: string) => {
      const r = await s.admin('GET', `/api/v1/fleet/day-zero${query}`);
      t.equal(r.status, 200, query);
      return r.json as Record<string, unknown>;
    };
    const plain = async (phase: 'device' | 'user' | 'all', since?: string) =>
      comparable(fleetFigures(await esp.allRuns(since), new Date().toISOString(), phase));

    const device = await api('');
    t.equal(device.p50Seconds, 1200, 'p50: the 21st of 41 done runs (the one without items took 30 s)');
    t.equal(device.p95Seconds, 2280, 'p95: the 39th');
    t.same(device.byOutcome, { inProgress: 1, done: 41, failed: 3, timedOut: 4 });
    t.same(
      (device.blocking as { profileId: string; runs: number; failed: number; timedOut: number }[]).map((b) => [b.profileId, b.runs, b.failed, b.timedOut]),
      [
        ['app', 35, 0, 0],
        ['vpn', 8, 3, 0],
        ['cert', 4, 0, 4],
      ],
    );
    t.same(device, await plain('device'), 'device phase: as the plain path');
    t.same(await api('?phase=user'), await plain('user'), 'user phase: as the plain path');
    t.same(await api('?phase=all'), await plain('all'), 'both phases: as the plain path');
    t.same(await api(`?phase=all&since=${encodeURIComponent(SINCE)}`), await plain('all', SINCE), 'since a bound: as the plain path');
    t.same(await api('?since=2099-01-01T00:00:00Z'), await plain('device', '2099-01-01T00:00:00.000Z'), 'no run: as the plain path');
    t.notOk('p50Seconds' in (await api('?since=2099-01-01T00:00:00Z')), 'no run: no percentiles');

    // Runs written before migration 31: their columns filled in from the items by the migration.
    const m = MIGRATIONS.find((x) => x.version === 31)!;
    const backfill = migrationSql(m, kind)
      .split(';')
      .map((x) => x.trim())
      .filter((x) => x.startsWith('UPDATE'));
    t.equal(backfill.length, 3);
    const before = await api('?phase=all');
    if (schema) {
      const c = new pg.Client({ connectionString: withSearchPath(PG_BASE_URL, schema.schema) });
      await c.connect();
      await c.query('UPDATE esp_runs SET duration_ms = NULL, last_item = NULL, last_item_name = NULL, open_items = NULL');
      for (const sql of backfill) await c.query(sql);
      await c.end();
    } else {
      const db = new Database(path.join(s.dir, 'data', 'fenestra.db'));
      db.exec('UPDATE esp_runs SET duration_ms = NULL, last_item = NULL, last_item_name = NULL, open_items = NULL');
      for (const sql of backfill) db.exec(sql);
      db.close();
    }
    t.same(await api('?phase=all'), before, 'columns filled in by the migration: the same figures');
  });
}
