// GET /api/v1/devices on a listening server, on SQLite and on PostgreSQL: search, filters,
// sorts, cursor pages that stay right while devices enroll, CSV export (escaped and safe to open
// in a spreadsheet), lean items, and a 400 naming any query parameter it does not know.
import t, { type Test } from 'tap';
import type { Device } from '../../src/domain/device.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { at, cert, device, turn } from '../store/suite.js';

async function seed(s: TestServer, o: Partial<Device> & { seen?: number }) {
  const { seen, ...d } = o;
  const rec = await s.server.store.enrollments.recordEnrollment(device(d), cert());
  if (seen !== undefined) await s.server.store.management.commitTurn(turn(rec.id, `s-${rec.id}`, { at: at(seen) }));
  return rec;
}

async function csv(s: TestServer, query: string, headers: Record<string, string> = {}) {
  const r = await s.request(`/api/v1/devices${query}`, {
    connectTo: { host: '127.0.0.1', port: s.server.port },
    headers: { authorization: `Bearer ${s.adminToken}`, ...headers },
  });
  return { status: r.status, type: String(r.headers['content-type']), text: r.text() };
}

function suite(t: Test, database: 'sqlite' | 'postgres') {
  t.test(database, async (t) => {
    const s = await startTestServer({}, { database });
    t.teardown(() => s.close());
    const ids = (r: { json: { devices: { deviceId: string }[] } }) => r.json.devices.map((d) => d.deviceId);
    await seed(s, {
      deviceId: 'DEV-A',
      deviceName: 'alpha',
      upn: 'zoe@contoso.com',
      osVersion: '10.0.22631.4460',
      osEdition: '4',
      enrolledAt: at(1),
      seen: 50,
    });
    await seed(s, {
      deviceId: 'DEV-B',
      deviceName: 'Bravo',
      upn: 'adam@contoso.com',
      osVersion: '10.0.19045.2006',
      osEdition: '48',
      enrolledAt: at(2),
      enrollmentType: 'Full',
      seen: 10,
    });
    await seed(s, { deviceId: 'DEV-C', deviceName: 'charlie', upn: 'mia@fabrikam.com', osVersion: '10.0.22631.2428', osEdition: '121', enrolledAt: at(3) });
    await seed(s, {
      deviceId: 'DEV-D',
      deviceName: '=HYPERLINK("http://x","y")',
      upn: '+mallory@contoso.com',
      osVersion: '10.0.26100.1',
      osEdition: '999',
      enrolledAt: at(4),
      seen: 30,
    });

    await t.test('lean items, edition names', async (t) => {
      const r = await s.admin('GET', '/api/v1/devices');
      t.equal(r.status, 200);
      t.equal(r.json.total, 4);
      t.same(ids(r), ['DEV-A', 'DEV-B', 'DEV-C', 'DEV-D'], 'enrollment order by default');
      t.match(r.json.devices[0], {
        hostName: 'alpha',
        osBuild: '10.0.22631.4460',
        edition: 'Enterprise',
        editionCode: 4,
        state: 'enrolled',
        lastSeenAt: at(50),
      });
      t.match(r.json.devices[1], { edition: 'Pro', editionCode: 48, enrollmentType: 'Full' });
      t.match(r.json.devices[3], { edition: 'Unknown edition 999', editionCode: 999 });
      t.notOk('inventory' in r.json.devices[0], 'no inventory nodes in the list');
      t.notOk('nextCursor' in r.json, 'one page: no next cursor');
    });

    await t.test('search and filters', async (t) => {
      const q = async (query: string) => ids(await s.admin('GET', `/api/v1/devices?${query}`));
      t.same(await q('q=CONTOSO'), ['DEV-A', 'DEV-B', 'DEV-D'], 'q: UPN substring, case-insensitive');
      t.same(await q('q=dev-c'), ['DEV-C'], 'q: DeviceID');
      t.same(await q('q=BRAV'), ['DEV-B'], 'q: host name');
      t.same(await q('upn=ADAM@contoso.com'), ['DEV-B']);
      t.same(await q('deviceId=dev-a'), ['DEV-A']);
      t.same(await q('hostName=CHARLIE'), ['DEV-C']);
      t.same(await q('osBuild=10.0.22631'), ['DEV-A', 'DEV-C']);
      t.same(await q('edition=enterprise'), ['DEV-A'], 'edition by name');
      t.same(await q('edition=121'), ['DEV-C'], 'edition by number');
      t.same(await q('edition=Nonexistent'), []);
      t.same(await q('enrollmentType=Full'), ['DEV-B']);
      t.same(await q(`lastSeenBefore=${encodeURIComponent(at(30))}`), ['DEV-B']);
      t.same(await q(`lastSeenAfter=${encodeURIComponent(at(30))}`), ['DEV-A', 'DEV-D']);
      t.same(await q('stale=true'), ['DEV-A', 'DEV-B', 'DEV-C', 'DEV-D'], 'stale: all of them, seen in 2026-03 with a 30-day policy');
      t.same(await q('profileStatus=failed'), [], 'no deliveries yet');
      t.equal((await s.admin('GET', '/api/v1/devices?q=contoso&enrollmentType=Full')).json.total, 1, 'total counts the matches');
    });

    await t.test('sorts', async (t) => {
      const q = async (sort: string) => ids(await s.admin('GET', `/api/v1/devices?sort=${sort}`));
      t.same(await q('lastSeen'), ['DEV-C', 'DEV-B', 'DEV-D', 'DEV-A'], 'never seen first');
      t.same(await q('-lastSeen'), ['DEV-A', 'DEV-D', 'DEV-B', 'DEV-C']);
      t.same(await q('hostName'), ['DEV-D', 'DEV-A', 'DEV-B', 'DEV-C'], 'host names, case-insensitive');
      t.same(await q('-upn'), ['DEV-A', 'DEV-C', 'DEV-B', 'DEV-D']);
      t.same(await q('-enrolledAt'), ['DEV-D', 'DEV-C', 'DEV-B', 'DEV-A']);
    });

    await t.test('cursor pages stay right while devices enroll', async (t) => {
      const first = await s.admin('GET', '/api/v1/devices?sort=hostName&limit=2');
      t.same(ids(first), ['DEV-D', 'DEV-A']);
      t.type(first.json.nextCursor, 'string');
      // Enrolled between two pages: one sorts before the cursor, one after it.
      await seed(s, { deviceId: 'DEV-E', deviceName: 'aardvark', upn: 'e@example.org', enrolledAt: at(5) });
      await seed(s, { deviceId: 'DEV-F', deviceName: 'zulu', upn: 'f@example.org', enrolledAt: at(6) });
      const second = await s.admin('GET', `/api/v1/devices?sort=hostName&limit=2&cursor=${first.json.nextCursor}`);
      t.same(ids(second), ['DEV-B', 'DEV-C'], 'nothing repeated, nothing skipped');
      const third = await s.admin('GET', `/api/v1/devices?sort=hostName&limit=2&cursor=${second.json.nextCursor}`);
      t.same(ids(third), ['DEV-F'], 'the later one is on the last page');
      t.notOk(third.json.nextCursor, 'the last page has no next cursor');

      const other = await s.admin('GET', `/api/v1/devices?sort=upn&cursor=${first.json.nextCursor}`);
      t.equal(other.status, 400);
      t.match(other.json.error, { pointer: '/cursor', message: /sort=hostName/ });
      const junk = await s.admin('GET', '/api/v1/devices?cursor=not-a-cursor');
      t.equal(junk.status, 400);
      t.equal(junk.json.error.pointer, '/cursor');
      const both = await s.admin('GET', `/api/v1/devices?sort=hostName&offset=2&cursor=${first.json.nextCursor}`);
      t.equal(both.status, 400, 'offset and cursor together');
      t.equal(both.json.error.pointer, '/offset');
      t.same(ids(await s.admin('GET', '/api/v1/devices?offset=4&limit=1')), ['DEV-E'], 'offset still pages (compatibility)');
    });

    await t.test('refusals name the parameter', async (t) => {
      for (const [query, pointer] of [
        ['colour=red', '/colour'],
        ['q=x&sort=name', '/sort'],
        ['limit=0', '/limit'],
        ['enrollmentType=Workplace', '/enrollmentType'],
        ['profileStatus=lost', '/profileStatus'],
        ['lastSeenBefore=yesterday', '/lastSeenBefore'],
        ['lastSeenAfter=2026-13-45', '/lastSeenAfter'],
        [`q=${'x'.repeat(300)}`, '/q'],
        ['format=xml', '/format'],
        ['stale=false', '/stale'],
      ]) {
        const r = await s.admin('GET', `/api/v1/devices?${query}`);
        t.equal(r.status, 400, query);
        t.equal(r.json.error.pointer, pointer, `${query}: ${r.json.error.message}`);
      }
      const r = await s.admin('GET', '/api/v1/devices?colour=red');
      t.match(r.json.error.message, /colour/, 'the message names it too');
      t.equal((await s.admin('GET', '/api/v1/fleet/summary?verbose=1')).status, 400, 'the summary refuses unknown parameters too');
      t.equal((await s.admin('GET', '/api/v1/devices/DEV-A/sessions?prety=true')).json.error.pointer, '/prety');
      t.equal((await s.admin('GET', '/api/v1/devices/DEV-A/commands?page=2')).json.error.pointer, '/page');
      t.equal((await s.admin('GET', '/api/v1/devices/DEV-A/plan?usr=x')).json.error.pointer, '/usr');
    });

    await t.test('CSV', async (t) => {
      const r = await csv(s, '?format=csv&sort=enrolledAt');
      t.equal(r.status, 200);
      t.match(r.type, /^text\/csv/);
      const lines = r.text.split('\r\n');
      t.equal(lines[0], 'id,deviceId,hostName,upn,signedInUpn,osBuild,edition,editionCode,enrollmentType,state,lastSeenAt,enrolledAt');
      t.equal(lines.length, 1 + 6 + 1, 'a header, every device (no page limit), a final line break');
      t.equal(lines[7], '');
      const d = lines.find((l) => l.includes('DEV-D'))!;
      t.match(d, /,"'=HYPERLINK\(""http:\/\/x"",""y""\)",/, 'formula guarded, quotes doubled, comma quoted');
      t.match(d, /,'\+mallory@contoso\.com,/, 'a leading + is guarded');
      t.match(
        lines.find((l) => l.includes('DEV-A'))!,
        /,alpha,zoe@contoso\.com,,10\.0\.22631\.4460,Enterprise,4,Device,enrolled,/,
      );
      const accepted = await csv(s, '?q=contoso', { accept: 'text/csv' });
      t.match(accepted.type, /^text\/csv/, 'Accept: text/csv');
      t.equal(accepted.text.trim().split('\r\n').length, 1 + 3, 'filters apply to the export');
      t.equal((await csv(s, '?format=csv&limit=2')).text.trim().split('\r\n').length, 3, 'limit caps the export');
      const bad = await csv(s, '?format=csv&cursor=nope');
      t.equal(bad.status, 400, 'a bad cursor is refused before any line is written');
    });
  });
}

suite(t, 'sqlite');
suite(t, 'postgres');
