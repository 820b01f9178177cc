// SyncML codec speed: a quick measurement, printed, never asserted (this machine is slow and
// shared). Typical inputs: the real device's package 1 (fleet 07) and a 30-command server
// package (SyncHdr Status + Replace/Get mix, as the engine sends after package 1).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { buildSyncML, parseSyncML, type SyncCommand, type SyncMLMessage } from '../../src/protocol/syncml/index.js';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'syncml');

function measure(fn: () => unknown, minMs = 250): number {
  for (let i = 0; i < 500; i++) fn();
  let n = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < minMs * 1e6) {
    for (let i = 0; i < 200; i++) fn();
    n += 200;
    elapsed = Number(process.hrtime.bigint() - start);
  }
  return elapsed / n / 1e3; // µs per call
}

t.test('parse and build timings (printed, not asserted)', async (t) => {
  const pkg1 = fs.readFileSync(path.join(FIXTURES, '07_management_session1_msg1_request_device.xml'));
  const m1 = parseSyncML(pkg1);
  const body: SyncCommand[] = [{ kind: 'Status', cmdId: '1', msgRef: '1', cmdRef: '0', cmd: 'SyncHdr', data: '200', items: [] }];
  for (let i = 2; i <= 4; i++)
    body.push({ kind: 'Status', cmdId: String(i), msgRef: '1', cmdRef: String(i), cmd: i === 4 ? 'Replace' : 'Alert', data: '200', items: [] });
  for (let i = 5; i <= 30; i++) {
    body.push(
      i % 3 === 0
        ? { kind: 'Get', cmdId: String(i), items: [{ target: `./DevDetail/Ext/Microsoft/Node${i}` }] }
        : {
            kind: 'Replace',
            cmdId: String(i),
            items: [{ target: `./Device/Vendor/MSFT/Policy/Config/Area${i}/Setting${i}`, meta: { format: 'int', type: 'text/plain' }, data: String(i) }],
          },
    );
  }
  const server: SyncMLMessage = { hdr: { ...m1.hdr, targetUri: m1.hdr.sourceUri, sourceUri: m1.hdr.targetUri }, body, final: true };
  const serverXml = buildSyncML(server);
  t.strictSame(parseSyncML(serverXml), server, 'the 30-command package round-trips');

  const rows: [string, number][] = [
    [`parse fleet 07 package 1 (${pkg1.length} B, Buffer)`, measure(() => parseSyncML(pkg1))],
    [`build fleet 07 package 1`, measure(() => buildSyncML(m1))],
    [`build 30-command server package (${serverXml.length} B)`, measure(() => buildSyncML(server))],
    [`parse 30-command server package`, measure(() => parseSyncML(serverXml))],
  ];
  for (const [name, us] of rows) t.comment(`${name}: ${us.toFixed(1)} µs`);
  t.pass('measured');
});
