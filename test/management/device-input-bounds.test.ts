// What a device writes is bounded: alerts per message and per device (and by age in
// maintenance), inventory keys and value sizes, the LoginStatus column. A device flooding us with
// alerts or DevInfo nodes grows the database by a bounded amount, whatever it sends.
import path from 'node:path';
import t from 'tap';
import Database from 'better-sqlite3';
import { buildSyncML } from '../../src/protocol/syncml/build.js';
import type { SyncCommand } from '../../src/protocol/syncml/types.js';
import { DEFAULT_RETENTION, runMaintenance } from '../../src/service/maintenance.js';
import { enrollEntraDevice } from '../helpers/enrolled.js';
import { startTestServer } from '../helpers/server.js';

const M = '/ManagementServer/MDM.svc';
const CT = { 'content-type': 'application/vnd.syncml.dm+xml' };

function message(deviceId: string, target: string, sessionId: string, body: SyncCommand[]): string {
  return buildSyncML({ hdr: { verDTD: '1.2', verProto: 'DM/1.2', sessionId, msgId: '1', targetUri: target, sourceUri: deviceId }, final: true, body });
}

/** Bytes of the database in use (pages not on the free list), whatever the WAL holds. */
function liveBytes(file: string): number {
  const db = new Database(file, { readonly: true });
  try {
    const p = (q: string) => Number(db.pragma(q, { simple: true }));
    return (p('page_count') - p('freelist_count')) * p('page_size');
  } finally {
    db.close();
  }
}

t.test('a device flooding alerts and inventory nodes grows the database by a bounded amount', async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.close());
  const tid = await s.connectTenant();
  const e = await enrollEntraDevice(s, tid);
  const mtls = { cert: e.certPem, key: e.keyPem };
  const post = (xml: string) => s.request(M, { method: 'POST', body: xml, headers: CT, ...mtls });
  const dbFile = path.join(s.dir, 'data', 'fenestra.db');
  t.equal((await post(message(e.dev.deviceId, s.publicUrl + M, '1', [{ kind: 'Alert', cmdId: '1', data: '1201', items: [] }]))).status, 200);
  await s.server.store.flush();
  const before = liveBytes(dbFile);

  // 20 messages of ~900 KB: 190 generic alerts of 4 KB each, with an oversized type.
  const data = 'A'.repeat(4000);
  for (let i = 0; i < 20; i++) {
    const alerts: SyncCommand[] = [{ kind: 'Alert', cmdId: '1', data: '1201', items: [] }];
    for (let j = 0; j < 190; j++) {
      alerts.push({
        kind: 'Alert',
        cmdId: String(j + 2),
        data: '1226',
        items: [{ source: `./Vendor/X/${j}`, meta: { type: 'x'.repeat(j === 0 ? 600 : 10), format: 'chr' }, data }],
      });
    }
    const r = await post(message(e.dev.deviceId, s.publicUrl + M, String(100 + i), alerts));
    t.equal(r.status, 200, `message ${i} answered`);
  }
  // DevInfo flood: 2000 nodes of 2 KB in Replace commands, over two sessions.
  for (let i = 0; i < 2; i++) {
    const items = Array.from({ length: 1000 }, (_, j) => ({ source: `./DevInfo/Flood${i}_${j}`, data: 'v'.repeat(j === 0 ? 2000 : 8) }));
    const r = await post(
      message(e.dev.deviceId, s.publicUrl + M, String(200 + i), [
        { kind: 'Alert', cmdId: '1', data: '1201', items: [] },
        { kind: 'Replace', cmdId: '2', items },
      ]),
    );
    t.equal(r.status, 200, `DevInfo flood ${i} answered`);
  }
  // Sessions started and never finished (a package that announces more): state is kept for few.
  for (let i = 0; i < 10; i++) {
    const xml = buildSyncML({
      hdr: { verDTD: '1.2', verProto: 'DM/1.2', sessionId: String(400 + i), msgId: '1', targetUri: s.publicUrl + M, sourceUri: e.dev.deviceId },
      final: false,
      body: [{ kind: 'Alert', cmdId: '1', data: '1201', items: [] }],
    });
    t.equal((await post(xml)).status, 200, `unfinished session ${i}`);
  }
  const r = await post(
    message(e.dev.deviceId, s.publicUrl + M, '300', [
      { kind: 'Alert', cmdId: '1', data: '1224', items: [{ meta: { type: 'com.microsoft/MDM/LoginStatus' }, data: 'u'.repeat(100_000) }] },
    ]),
  );
  t.equal(r.status, 200);
  await s.server.store.flush();

  const db = new Database(dbFile, { readonly: true });
  t.teardown(() => db.close());
  const n = (db.prepare('SELECT COUNT(*) AS n FROM device_alerts').get() as { n: number }).n;
  t.ok(n <= 100, `alerts kept per device are bounded (${n})`);
  const maxType = (db.prepare('SELECT MAX(LENGTH(type)) AS n FROM device_alerts').get() as { n: number }).n;
  t.ok(maxType <= 256, `alert fields are clipped (${maxType})`);
  const summary = db.prepare("SELECT COUNT(*) AS n FROM device_alerts WHERE type = 'fenestra/alerts-not-stored'").get() as { n: number };
  t.ok(summary.n > 0, 'the alerts not stored are counted in a summary alert');
  const dev = db.prepare('SELECT inventory, login_status FROM devices WHERE device_id = ?').get(e.dev.deviceId) as { inventory: string; login_status: string };
  const inv = JSON.parse(dev.inventory) as Record<string, string>;
  t.ok(Object.keys(inv).length <= 64, `inventory keys are bounded (${Object.keys(inv).length})`);
  t.ok(
    Object.values(inv).every((v) => v.length <= 1024),
    'inventory values are clipped',
  );
  t.ok(dev.login_status.length <= 32, `LoginStatus is clipped (${dev.login_status.length})`);
  const sessions = (db.prepare('SELECT COUNT(*) AS n FROM dm_sessions').get() as { n: number }).n;
  t.ok(sessions <= 4, `session state rows per device are bounded (${sessions})`);
  const grown = liveBytes(dbFile) - before;
  t.ok(grown < 3 * 1024 * 1024, `database growth is bounded (${(grown / 1048576).toFixed(1)} MB for ~20 MB sent)`);

  // Maintenance drops alerts by age.
  const later = new Date(Date.now() + 31 * 86_400_000);
  const pruned = await runMaintenance(s.server.store, DEFAULT_RETENTION, later);
  t.ok((pruned as { alerts?: number }).alerts! > 0, 'maintenance pruned old alerts');
  t.equal((db.prepare('SELECT COUNT(*) AS n FROM device_alerts').get() as { n: number }).n, 0, 'none older than the retention left');
});
