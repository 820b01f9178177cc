// A device list with more than 10,000 matches, on a real server: a filtered list answers total
// 10000 with totalIsLowerBound and the console says "10,000+"; the whole fleet is counted
// exactly; a search of rows written straight into the database finds them (the search index is
// kept by the database itself, whoever writes).
import crypto from 'node:crypto';
import path from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import { startTestServer } from '../helpers/server.js';

const N = 10_001;

function seed(file: string): void {
  const db = new Database(file);
  const ins = db.prepare(`INSERT INTO devices (id, device_id, enrollment_type, auth_method, upn, device_name, os_version, os_edition, state, enrolled_at,
      updated_at, dm_username, dm_password_digest, dm_server_name, dm_server_digest, dm_nonce, last_seen_at)
    VALUES (?, ?, 'Full', 'entra', ?, ?, '10.0.26100', '48', 'enrolled', ?, ?, ?, 'x', 'fenestra', 'x', 'bm9uY2U=', ?)`);
  const at = Date.now() - 86_400_000;
  const seen = new Date(Date.now() - 3_600_000).toISOString();
  db.transaction(() => {
    for (let i = 0; i < N; i++) {
      const when = new Date(at + i * 1000).toISOString();
      ins.run(crypto.randomUUID(), `TOT-${i}`, `tot${i}@contoso.com`, `TOT-${String(i).padStart(5, '0')}`, when, when, `TOT-${i}`, seen);
    }
  })();
  db.close();
}

t.test('more than 10,000 matches', async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.close());
  seed(path.join(s.dir, 'data', 'fenestra.db'));

  const filtered = await s.admin('GET', '/api/v1/devices?state=enrolled&limit=1');
  t.equal(filtered.status, 200);
  t.equal(filtered.json.total, 10_000, 'counted up to 10,000');
  t.equal(filtered.json.totalIsLowerBound, true, 'and more match');

  const all = await s.admin('GET', '/api/v1/devices?limit=1');
  t.equal(all.json.total, N, 'the whole fleet: exact');
  t.equal(all.json.totalIsLowerBound, undefined);

  const some = await s.admin('GET', '/api/v1/devices?q=tot-1000');
  t.same(some.json.devices.map((d: { deviceId: string }) => d.deviceId).sort(), ['TOT-1000', 'TOT-10000'], 'search finds rows written directly');
  t.equal(some.json.total, 2);
  t.equal(some.json.totalIsLowerBound, undefined);

  const page = await s.request('/console/devices?state=enrolled', { headers: { authorization: `Bearer ${s.adminToken}` } });
  t.equal(page.status, 200);
  t.match(page.text(), /10,000\+ devices match\./, 'the console says there are more');

  // The dashboard's figures are exact, whatever the list's cap.
  const dash = await s.request('/console/', { headers: { authorization: `Bearer ${s.adminToken}` } });
  t.equal(dash.status, 200);
  t.match(dash.text(), /<span class="value">10,001<\/span><span class="label">Seen in the last 24 hours/, 'seen in 24 h counted exactly');
});
