// The session engine over real mutual TLS, driven message by message with the SyncML codec.
import t from 'tap';
import { buildSyncML } from '../../src/protocol/syncml/build.js';
import { parseSyncML } from '../../src/protocol/syncml/parse.js';
import type { ItemCommand, SyncMLMessage } from '../../src/protocol/syncml/types.js';
import { enrollEntraDevice } from '../helpers/enrolled.js';
import { startTestServer } from '../helpers/server.js';

const M = '/ManagementServer/MDM.svc';

t.test('package 1 → inventory Get → package 3 → session ends', async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.close());
  const tid = await s.connectTenant();
  const e = await enrollEntraDevice(s, tid);
  const deviceId = e.dev.deviceId;
  const mtls = { cert: e.certPem, key: e.keyPem };
  const hdr = (msgId: string) => ({ verDTD: '1.2', verProto: 'DM/1.2', sessionId: '7', msgId, targetUri: s.publicUrl + M, sourceUri: deviceId });
  const post = async (m: SyncMLMessage, extra = {}) => {
    const r = await s.request(`${M}?mode=Maintenance&Platform=WoA`, {
      method: 'POST',
      body: buildSyncML(m),
      headers: { 'content-type': 'application/vnd.syncml.dm+xml' },
      ...mtls,
      ...extra,
    });
    return r;
  };
  const pkg1: SyncMLMessage = {
    hdr: hdr('1'),
    final: true,
    body: [
      { kind: 'Alert', cmdId: '1', data: '1201', items: [] },
      { kind: 'Alert', cmdId: '2', data: '1224', items: [{ meta: { type: 'com.microsoft/MDM/LoginStatus', format: 'chr' }, data: 'none' }] },
      {
        kind: 'Replace',
        cmdId: '3',
        items: [
          { source: './DevInfo/DevId', data: deviceId },
          { source: './DevInfo/Man', data: 'Contoso' },
          { source: './DevInfo/Mod', data: 'Laptop 9' },
        ],
      },
    ],
  };
  const r1 = await post(pkg1);
  t.equal(r1.status, 200);
  t.equal(r1.headers['content-type'], 'application/vnd.syncml.dm+xml');
  t.equal(Number(r1.headers['content-length']), r1.body.length);
  const m2 = parseSyncML(r1.body);
  t.equal(m2.hdr.sessionId, '7');
  t.equal(m2.hdr.msgId, '1');
  t.equal(m2.hdr.targetUri, deviceId);
  t.equal(m2.hdr.sourceUri, s.publicUrl + M);
  const statuses = m2.body.filter((c) => c.kind === 'Status');
  t.same(
    statuses.map((c: any) => [c.cmdRef, c.cmd, c.data]),
    [
      ['0', 'SyncHdr', '200'],
      ['1', 'Alert', '200'],
      ['2', 'Alert', '200'],
      ['3', 'Replace', '200'],
    ],
  );
  const get = m2.body.find((c) => c.kind === 'Get') as ItemCommand;
  t.ok(get, 'first session asks for inventory');
  t.ok(get.items.some((i) => i.target === './DevDetail/SwV'));
  t.ok(m2.final);
  const ids = m2.body.map((c) => c.cmdId);
  t.equal(new Set(ids).size, ids.length, 'unique CmdIDs');
  // With the inventory, the installed apps are read (issue #15: one Sequence, answered here as a whole).
  const apps = m2.body.find((c) => c.kind === 'Sequence');
  t.ok(apps, 'the installed apps are read with it');
  // The default check-in schedule: the provisioning document carried its long run as 1440 (rule 57), the 480 follows.
  const poll = m2.body.find((c) => c.kind === 'Atomic') as (SyncMLMessage['body'][number] & { commands: ItemCommand[] }) | undefined;
  t.ok(
    poll?.commands.every((c) => c.kind === 'Replace' && c.items[0].target!.includes('/Poll/')),
    'and the check-in schedule is set',
  );

  const pkg3: SyncMLMessage = {
    hdr: hdr('2'),
    final: true,
    body: [
      { kind: 'Status', cmdId: '1', msgRef: '1', cmdRef: '0', cmd: 'SyncHdr', data: '200', items: [] },
      { kind: 'Status', cmdId: '2', msgRef: '1', cmdRef: get.cmdId, cmd: 'Get', data: '200', items: [] },
      {
        kind: 'Results',
        cmdId: '3',
        msgRef: '1',
        cmdRef: get.cmdId,
        items: [
          { source: './DevDetail/SwV', meta: { format: 'chr' }, data: '10.0.22631.4460' },
          { source: './DevDetail/Ext/Microsoft/OSPlatform', meta: { format: 'chr' }, data: 'Windows 11 Enterprise' },
          { source: './DevDetail/Ext/Microsoft/SMBIOSSerialNumber', meta: { format: 'chr' }, data: 'SN-123' },
        ],
      },
      { kind: 'Status', cmdId: '4', msgRef: '1', cmdRef: apps!.cmdId, cmd: 'Sequence', data: '200', items: [] },
      { kind: 'Status', cmdId: '5', msgRef: '1', cmdRef: poll!.cmdId, cmd: 'Atomic', data: '200', items: [] },
      ...poll!.commands.map((c, i) => ({
        kind: 'Status' as const,
        cmdId: String(6 + i),
        msgRef: '1',
        cmdRef: c.cmdId,
        cmd: 'Replace',
        data: '200',
        items: [],
      })),
    ],
  };
  const r3 = await post(pkg3);
  t.equal(r3.status, 200);
  const m4 = parseSyncML(r3.body);
  t.same(
    m4.body.map((c: any) => [c.kind, c.cmd]),
    [
      ['Status', 'SyncHdr'],
      ['Status', 'Results'],
    ],
    "only the SyncHdr's and the Results' statuses (rule 75): the session is over",
  );
  t.ok(m4.final);
  t.equal(m4.hdr.msgId, '2');

  const dev = (await s.admin('GET', `/api/v1/devices/${deviceId}`)).json;
  t.equal(dev.inventory.osVersion, '10.0.22631.4460');
  t.equal(dev.inventory.osEdition, 'Windows 11 Enterprise');
  t.equal(dev.inventory.manufacturer, 'Contoso');
  t.equal(dev.inventory.model, 'Laptop 9');
  t.equal(dev.inventory.serialNumber, 'SN-123');
  t.equal(dev.loginStatus, 'none');
  t.ok(dev.lastSeenAt);
  const cmds = (await s.admin('GET', `/api/v1/devices/${deviceId}/commands`)).json.commands;
  t.equal(cmds.length, 3);
  t.ok(
    cmds.some((c: any) => c.action === 'checkin-schedule' && c.state === 'acked'),
    'the schedule acknowledged',
  );
  const inv = cmds.find((c: any) => c.origin === 'inventory');
  t.equal(inv.state, 'acked');
  t.equal(inv.status, '200');
  t.equal(inv.results.length, 3);
  const traces = (await s.admin('GET', `/api/v1/devices/${deviceId}/sessions`)).json.messages;
  t.equal(traces.length, 4, 'two messages each way');

  // A second session the same day: no inventory, nothing queued → idle.
  const again = await post({ ...pkg1, hdr: { ...hdr('1'), sessionId: '8' } });
  const idle = parseSyncML(again.body);
  t.same(
    idle.body.map((c) => c.kind),
    ['Status', 'Status', 'Status', 'Status'],
    'idle check-in: statuses only',
  );
  // DevInfo is repeated in every package 1; only a changed value is written.
  const newModel = pkg1.body.map((c) =>
    c.kind === 'Replace' ? { ...c, items: (c as ItemCommand).items.map((i) => (i.source === './DevInfo/Mod' ? { ...i, data: 'Laptop 10' } : i)) } : c,
  );
  const changed = await post({ ...pkg1, hdr: { ...hdr('1'), sessionId: '9' }, body: newModel });
  t.equal(changed.status, 200);
  const after = (await s.admin('GET', `/api/v1/devices/${deviceId}`)).json;
  t.equal(after.inventory.model, 'Laptop 10', 'a changed DevInfo value is stored');
  t.equal(after.inventory.osVersion, '10.0.22631.4460', 'the rest is kept');

  // Impersonation: this certificate presented with another DeviceID.
  const other = await post({ ...pkg1, hdr: { ...hdr('1'), sourceUri: 'SOMEONE-ELSE' } });
  t.equal(other.status, 403);
  // No certificate and no credentials: digest challenge.
  const noCert = await s.request(M, { method: 'POST', body: buildSyncML(pkg1), headers: { 'content-type': 'application/vnd.syncml.dm+xml' } });
  t.equal(noCert.status, 200);
  const chal = parseSyncML(noCert.body).body[0] as any;
  t.equal(chal.data, '407');
  t.equal(chal.chal.meta.type, 'syncml:auth-md5');
  t.ok(chal.chal.meta.nextNonce);
});
