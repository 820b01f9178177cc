// MS-MDM §2.2.6.1: the server returns exactly one Status per command it received, in command
// order, after the SyncHdr's — the device's Results included (Status elements themselves get none).
import t from 'tap';
import { buildSyncML } from '../../src/protocol/syncml/build.js';
import { parseSyncML } from '../../src/protocol/syncml/parse.js';
import type { ItemCommand, SyncMLMessage } from '../../src/protocol/syncml/types.js';
import { enrollEntraDevice } from '../helpers/enrolled.js';
import { startTestServer } from '../helpers/server.js';

const M = '/ManagementServer/MDM.svc';

t.test("rule 75: one Status per received command, in order, including the device's Results", async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.close());
  const e = await enrollEntraDevice(s, await s.connectTenant());
  const deviceId = e.dev.deviceId;
  const hdr = (msgId: string) => ({ verDTD: '1.2', verProto: 'DM/1.2', sessionId: '2B', msgId, targetUri: s.publicUrl + M, sourceUri: deviceId });
  const post = async (m: SyncMLMessage) => {
    const r = await s.request(M, {
      method: 'POST',
      body: buildSyncML(m),
      headers: { 'content-type': 'application/vnd.syncml.dm+xml' },
      cert: e.certPem,
      key: e.keyPem,
    });
    t.equal(r.status, 200);
    return parseSyncML(r.body);
  };
  const statusesOf = (m: SyncMLMessage) => m.body.filter((c) => c.kind === 'Status').map((c: any) => [c.msgRef, c.cmdRef, c.cmd, c.data]);

  const m1 = await post({
    hdr: hdr('1'),
    final: true,
    body: [
      { kind: 'Alert', cmdId: '1', data: '1201', items: [] },
      { kind: 'Replace', cmdId: '2', items: [{ source: './DevInfo/DevId', data: deviceId }] },
    ],
  });
  t.same(statusesOf(m1), [
    ['1', '0', 'SyncHdr', '200'],
    ['1', '1', 'Alert', '200'],
    ['1', '2', 'Replace', '200'],
  ]);
  const get = m1.body.find((c) => c.kind === 'Get') as ItemCommand;
  t.ok(get, 'the server asks for the inventory');
  const others = m1.body.filter((c) => c.kind !== 'Status' && c !== get);

  // The device answers: Status for the SyncHdr and each command, a Results for the Get, and an
  // Alert after it — five commands of which three are not Status.
  const m2 = await post({
    hdr: hdr('2'),
    final: true,
    body: [
      { kind: 'Status', cmdId: '1', msgRef: '1', cmdRef: '0', cmd: 'SyncHdr', data: '200', items: [] },
      { kind: 'Status', cmdId: '2', msgRef: '1', cmdRef: get.cmdId, cmd: 'Get', data: '200', items: [] },
      { kind: 'Results', cmdId: '3', msgRef: '1', cmdRef: get.cmdId, items: [{ source: './DevDetail/SwV', meta: { format: 'chr' }, data: '10.0.26100.1' }] },
      ...others.map((c, i) => ({ kind: 'Status' as const, cmdId: String(4 + i), msgRef: '1', cmdRef: c.cmdId, cmd: c.kind, data: '200', items: [] })),
      {
        kind: 'Results',
        cmdId: '20',
        msgRef: '1',
        cmdRef: get.cmdId,
        items: [{ source: './DevDetail/Ext/Microsoft/OSPlatform', meta: { format: 'chr' }, data: 'Windows 11 Pro' }],
      },
      { kind: 'Alert', cmdId: '21', data: '1224', items: [{ meta: { type: 'com.microsoft/MDM/LoginStatus', format: 'chr' }, data: 'none' }] },
    ],
  });
  t.same(
    statusesOf(m2),
    [
      ['2', '0', 'SyncHdr', '200'],
      ['2', '3', 'Results', '200'],
      ['2', '20', 'Results', '200'],
      ['2', '21', 'Alert', '200'],
    ],
    'one Status for the header, each Results and the Alert — none for the Statuses — in command order',
  );
  const ids = m2.body.map((c) => c.cmdId);
  t.equal(new Set(ids).size, ids.length, 'CmdIDs unique in the message');
  t.equal((await s.admin('GET', `/api/v1/devices/${deviceId}`)).json.inventory.osVersion, '10.0.26100.1', 'the Results were still read');
});
