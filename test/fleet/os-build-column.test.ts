// The OS build column (migration 20: DevDetail/SwV the device reported, else the version it
// enrolled with) follows every write of the inventory and of the enrolled version, on both
// backends; the fleet summary's one pass counts exactly what the devices' records say (checked
// against a count in JS of every record), released records left out; the list's OS-build filter
// reads the same column.
import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import t from 'tap';
import type { Device } from '../../src/domain/device.js';
import type { FleetCounts } from '../../src/domain/fleet.js';
import { openStore } from '../../src/store/open.js';
import type { Store } from '../../src/store/types.js';
import { freshSchema } from '../helpers/pg.js';
import { at, cert, device, turn } from '../store/suite.js';

const SWV = './DevDetail/SwV';
const HOST = './DevDetail/Ext/Microsoft/DNSComputerName';

/** A store of `kind` and a reader of its devices' os_build column, straight from the database. */
async function withBackend(kind: 'sqlite' | 'postgres', fn: (store: Store, column: () => Promise<Record<string, string | null>>) => Promise<void>) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-os-build-'));
  const schema = kind === 'postgres' ? await freshSchema('osbuild') : undefined;
  const file = path.join(dir, 'b.db');
  const store = await openStore(schema ? { kind: 'postgres', url: schema.url } : { kind: 'sqlite', file });
  const client = schema && new pg.Client({ connectionString: schema.url });
  await client?.connect();
  const sql = 'SELECT id, os_build FROM devices';
  const column = async () => {
    let rows: { id: string; os_build: string | null }[];
    if (client) rows = (await client.query(sql)).rows;
    else {
      const db = new Database(file, { readonly: true });
      rows = db.prepare(sql).all() as typeof rows;
      db.close();
    }
    return Object.fromEntries(rows.map((r) => [r.id, r.os_build]));
  };
  try {
    await fn(store, column);
  } finally {
    await client?.end();
    await store.close();
    await schema?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const WHEN = { today: at(3000), week: at(2000), month: at(1000), staleBefore: at(1500) };

/** The fleet counts as the records say, counted in JS: the oracle of the one-pass summary. */
function expected(devices: Device[]): FleetCounts {
  const c: FleetCounts = {
    total: 0,
    byOsBuild: {},
    byEditionCode: {},
    byEnrollmentType: {},
    byState: {},
    lastSeen: { today: 0, last7Days: 0, last30Days: 0, older: 0, never: 0 },
    stale: 0,
  };
  const add = (m: Record<string, number>, k: string | undefined) => (m[k ?? ''] = (m[k ?? ''] ?? 0) + 1);
  for (const d of devices.filter((d) => !d.releasedDeviceId)) {
    c.total++;
    add(c.byOsBuild, d.inventory?.[SWV] ?? d.osVersion);
    add(c.byEditionCode, d.osEdition);
    add(c.byEnrollmentType, d.enrollmentType);
    add(c.byState, d.state);
    const seen = d.lastSeenAt;
    if (seen === undefined) c.lastSeen.never++;
    else if (seen >= WHEN.today) c.lastSeen.today++;
    else if (seen >= WHEN.week) c.lastSeen.last7Days++;
    else if (seen >= WHEN.month) c.lastSeen.last30Days++;
    else c.lastSeen.older++;
    if (d.state === 'enrolled' && (seen ?? d.enrolledAt) < WHEN.staleBefore) c.stale++;
  }
  return c;
}

for (const kind of ['sqlite', 'postgres'] as const) {
  t.test(`${kind}: the OS build column follows the inventory and the enrolled version; the summary counts the records`, async (t) => {
    await withBackend(kind, async (store, column) => {
      const all = async () => (await store.devices.page({ sort: 'enrolledAt', descending: false, limit: 1000 })).map((r) => r.device);
      const builds = async (prefix: string) =>
        (await store.devices.page({ sort: 'enrolledAt', descending: false, limit: 100, osBuild: prefix })).map((r) => r.device.id);
      const enroll = (o: Partial<Device>) => store.enrollments.recordEnrollment(device({ enrolledAt: at(o.id ? Number(o.id.slice(1)) : 0), ...o }), cert());
      const report = (id: string, s: number, inventory: Record<string, string>) =>
        store.management.commitTurn(turn(id, `s-${id}-${s}`, { at: at(s), device: { inventory, inventoryAt: at(s) } }));

      await enroll({ id: 'd1', deviceId: 'DEV-1', osVersion: '10.0.19045', osEdition: '4', principal: 'user:a' });
      await enroll({ id: 'd2', deviceId: 'DEV-2', osEdition: '48', enrollmentType: 'Full' });
      await enroll({ id: 'd3', deviceId: 'DEV-3', osVersion: '10.0.22631', osEdition: '4' });
      await enroll({ id: 'd4', deviceId: 'DEV-4', osVersion: '10.0.22621' });
      await enroll({ id: 'd5', deviceId: 'DEV-5', osVersion: '10.0.26100', osEdition: '121', principal: 'user:e' });
      await enroll({ id: 'd6', deviceId: 'DEV-6', enrollmentType: 'Full' });
      t.same(
        await column(),
        { d1: '10.0.19045', d2: null, d3: '10.0.22631', d4: '10.0.22621', d5: '10.0.26100', d6: null },
        'at enrollment: the enrolled version, or none',
      );

      await report('d3', 3100, { [SWV]: '10.0.22631.4460', [HOST]: 'PC-3' });
      await report('d4', 2500, { [HOST]: 'PC-4', './DevInfo/Man': 'Contoso' });
      await report('d2', 1200, { [SWV]: '10.0.26100.2894' });
      await report('d6', 100, { [HOST]: 'PC-6' });
      t.match(
        await column(),
        { d2: '10.0.26100.2894', d3: '10.0.22631.4460', d4: '10.0.22621', d6: null },
        'a reported build wins; an inventory without one keeps the enrolled version (or none)',
      );

      await report('d3', 3200, { [SWV]: '10.0.26100.1742' });
      t.equal((await column()).d3, '10.0.26100.1742', 'a newer report replaces it');
      await report('d3', 3300, { [HOST]: 'PC-3b' });
      t.equal((await column()).d3, '10.0.26100.1742', 'a report without the build keeps the last one');

      await store.enrollments.recordEnrollment(
        device({ id: 'x', deviceId: 'DEV-1', osVersion: '10.0.22631', principal: 'user:a', enrolledAt: at(900) }),
        cert(),
      );
      t.equal((await column()).d1, '10.0.22631', 're-enrollment: the new enrolled version');

      await store.management.unenroll('d5', at(800), 'test');
      const again = await store.enrollments.recordEnrollment(
        device({ deviceId: 'DEV-5', osVersion: '10.0.26200', principal: 'user:e', enrolledAt: at(950) }),
        cert(),
      );
      await store.flush();
      const cols = await column();
      t.equal(cols.d5, '10.0.26100', 'the released record keeps its build');
      t.equal(cols[again.id], '10.0.26200', 'the new record has its own');

      const devices = await all();
      const counts = await store.devices.fleetCounts(WHEN);
      t.same(counts, expected(devices), 'the one-pass summary counts what the records say (released record left out)');
      t.same(counts.byOsBuild, { '10.0.22631': 1, '10.0.26100.2894': 1, '10.0.26100.1742': 1, '10.0.22621': 1, '10.0.26200': 1, '': 1 }, 'by OS build');
      t.same(counts.lastSeen, { today: 1, last7Days: 1, last30Days: 1, older: 1, never: 2 }, 'by last check-in');
      t.equal(counts.stale, 4, 'stale: seen (or, never seen, enrolled) before the cut');
      t.equal(counts.total, 6);
      t.same(counts.byState, { enrolled: 6 });

      t.same(
        await builds('10.0.26100'),
        ['d2', 'd3', 'd5'],
        'OS-build filter: a reported build, or the enrolled version (the released record, as the list shows it)',
      );
      t.same(await builds('10.0.2262'), ['d4'], 'OS-build filter: the enrolled version when none was reported');
      t.same(await builds('10.0.22631'), ['d1'], 'OS-build filter: the re-enrolled version');
      t.same(await builds('10.0.26100.2'), ['d2']);
      t.equal(await store.devices.countMatching({ osBuild: '10.0.26' }), 4, 'counted: d2, d3, the released d5 and its new record');
    });
  });
}
