import fs from 'node:fs';
import { parseSyncML, buildSyncML, type SyncCommand } from '../../src/protocol/syncml/index.js';
const x07 = fs.readFileSync('fixtures/syncml/07_management_session1_msg1_request_device.xml');
const m07 = parseSyncML(x07);
const body: SyncCommand[] = [{ kind: 'Status', cmdId: '1', msgRef: '1', cmdRef: '0', cmd: 'SyncHdr', data: '200', items: [] }];
for (let i = 2; i <= 30; i++) body.push(i % 3 === 0
  ? { kind: 'Get', cmdId: String(i), items: [{ target: `./DevDetail/Ext/Microsoft/Node${i}` }] }
  : { kind: 'Replace', cmdId: String(i), items: [{ target: `./Device/Vendor/MSFT/Policy/Config/Area${i}/Setting`, meta: { format: 'int', type: 'text/plain' }, data: String(i) }] });
const server = { hdr: { ...m07.hdr, targetUri: m07.hdr.sourceUri, sourceUri: m07.hdr.targetUri }, body, final: true };
const sx = buildSyncML(server);
function bench(name: string, f: () => unknown) {
  for (let i = 0; i < 3000; i++) f();
  const N = 10000; const t = process.hrtime.bigint();
  for (let i = 0; i < N; i++) f();
  console.log(name, (Number(process.hrtime.bigint() - t) / N / 1e3).toFixed(1), 'µs');
}
console.log(x07.length, sx.length);
bench('parse 07 (Buffer)', () => parseSyncML(x07));
bench('parse 07 str', () => parseSyncML(x07.toString()));
bench('build 07', () => buildSyncML(m07));
bench('build server30', () => buildSyncML(server));
bench('parse server30', () => parseSyncML(sx));
import { SaxesParser } from 'saxes';
for (const xmlns of [true, false]) for (const position of [true, false]) bench(`bare saxes xmlns=${xmlns} pos=${position}`, () => { const p = new SaxesParser({ xmlns, position }); p.on('opentag', () => {}); p.on('text', () => {}); p.on('closetag', () => {}); p.write(sx).close(); });
