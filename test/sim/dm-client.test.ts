// The simulator's OMA-DM client, driven without a server: package 1 against the real device's
// packages (fixtures/syncml/07, 09), Status/Results ordering, split packages (1222), digest.
import fs from 'node:fs';
import t from 'tap';
import { computeMd5Cred } from '../../src/identity/digest.js';
import { buildSyncML, parseSyncML, type ResultsCommand, type StatusCommand, type SyncCommand, type SyncMLMessage } from '../../src/protocol/syncml/index.js';
import { DmClientSession, runDmSession, type DmClientOptions, type DmRequest, type DmResponse } from '../../src/sim/dm-client.js';
import { addProvider, defaultInventory, windowsTree } from '../../src/sim/dm-tree.js';

const fixture = (name: string) => parseSyncML(fs.readFileSync(new URL(`../../fixtures/syncml/${name}`, import.meta.url)));
const DEV = 'B5B954E81FBCB94EB79BD08BE625F4EE';
const URL_ = 'https://windows.fleetdm.ngrok.io/ManagementServer/MDM.svc';

function vmwareTree() {
  const tr = windowsTree(defaultInventory(DEV, { manufacturer: 'VMware, Inc.', model: 'VMware7,1' }));
  addProvider(tr, { providerId: 'fenestra', enrollmentType: 'Device' });
  return tr;
}

function opts(over: Partial<DmClientOptions> = {}): DmClientOptions {
  return { deviceId: DEV, serverUrl: URL_, sessionId: '1', tree: vmwareTree(), loginStatus: 'user', ...over };
}

/** A server message of this session. */
function server(msgId: string, body: SyncCommand[], final = true, sessionId = '1'): SyncMLMessage {
  return { hdr: { verDTD: '1.2', verProto: 'DM/1.2', sessionId, msgId, targetUri: DEV, sourceUri: URL_ }, body, final };
}
const hdrStatus = (msgRef: string, code = '200', cmdId = '1'): StatusCommand => ({
  kind: 'Status',
  cmdId,
  msgRef,
  cmdRef: '0',
  cmd: 'SyncHdr',
  data: code,
  items: [],
});
/** Through the wire format and back, as the server would read it. */
const wire = (m: SyncMLMessage) => parseSyncML(buildSyncML(m));
const statuses = (m: SyncMLMessage) => m.body.filter((c): c is StatusCommand => c.kind === 'Status');
const results = (m: SyncMLMessage) => m.body.filter((c): c is ResultsCommand => c.kind === 'Results');

t.test('package 1 is what the real Windows device sends (fixture 07)', async (t) => {
  const s = new DmClientSession(opts());
  const p1 = wire(s.start());
  const real = fixture('07_management_session1_msg1_request_device.xml');
  t.same(p1.hdr, real.hdr, 'SyncHdr: VerDTD, VerProto, SessionID, MsgID 1, Target URL, Source DeviceID');
  t.same(p1.body, real.body, 'Alert 1201, Alert 1224 LoginStatus, Replace ./DevInfo/* — CmdIDs from 2');
  t.equal(p1.final, true);
  t.same(s.headers()['content-type'], 'application/vnd.syncml.dm+xml');
  t.notOk(s.headers().authorization);
});

t.test('package 1 of the unenrollment is fixture 09', async (t) => {
  const s = new DmClientSession(opts({ sessionId: '2', unenroll: true }));
  const p1 = wire(s.start());
  const real = fixture('09_management_session2_msg1_unenroll_request_device.xml');
  t.same(p1.hdr, real.hdr);
  t.same(p1.body, real.body, '1201, LoginStatus, 1226 com.microsoft:mdm.unenrollment.userrequest (int 1), DevInfo');
  // The server's answer (fixture 10) holds only the SyncHdr Status and Final: the session ends.
  t.equal(s.receive(fixture('10_management_session2_msg1_response_poc_server.xml')), undefined);
  t.equal(s.transcript.outcome, 'complete');
});

t.test('package 1 with a user token, MaxMsgSize and 1200', async (t) => {
  const s = new DmClientSession(
    opts({
      userToken: 'eyJ.tok.en',
      maxMsgSize: 65536,
      initiator: '1200',
      genericAlerts: [{ type: 'com.example/x', format: 'chr', mark: 'warning', source: './Vendor/MSFT/X', data: 'hi' }],
    }),
  );
  const p1 = wire(s.start());
  t.same(p1.hdr.meta, { maxMsgSize: 65536 });
  t.match(p1.body, [
    { kind: 'Alert', cmdId: '2', data: '1200' },
    { kind: 'Alert', cmdId: '3', data: '1224', items: [{ meta: { type: 'com.microsoft/MDM/LoginStatus' }, data: 'user' }] },
    { kind: 'Alert', cmdId: '4', data: '1224', items: [{ meta: { type: 'com.microsoft/MDM/AADUserToken' }, data: 'eyJ.tok.en' }] },
    {
      kind: 'Alert',
      cmdId: '5',
      data: '1226',
      items: [{ meta: { type: 'com.example/x', format: 'chr', mark: 'warning' }, source: './Vendor/MSFT/X', data: 'hi' }],
    },
    { kind: 'Replace', cmdId: '6' },
  ]);
  t.equal(s.headers().authorization, 'Bearer eyJ.tok.en');
});

t.test('answers: SyncHdr Status first, one Status per command in order, members after their container, then Results', async (t) => {
  const s = new DmClientSession(opts());
  s.start();
  const msg = server('1', [
    hdrStatus('1'),
    { kind: 'Status', cmdId: '2', msgRef: '1', cmdRef: '2', cmd: 'Alert', data: '200', items: [] },
    { kind: 'Get', cmdId: '3', items: [{ target: './DevDetail/SwV' }, { target: './DevDetail/Ext/Microsoft/MobileID' }, { target: './DevInfo/Man' }] },
    { kind: 'Add', cmdId: '4', items: [{ target: './Vendor/MSFT/Policy/Config/Camera/AllowCamera', meta: { format: 'int' }, data: '0' }] },
    {
      kind: 'Atomic',
      cmdId: '5',
      commands: [
        { kind: 'Add', cmdId: '6', items: [{ target: './Vendor/MSFT/WiFi/Profile/Corp/WlanXml', data: '<WLANProfile/>' }] },
        { kind: 'Replace', cmdId: '7', items: [{ target: './Vendor/MSFT/WiFi/Profile/Corp/Missing', data: 'x' }] },
      ],
    },
    { kind: 'Sequence', cmdId: '8', commands: [{ kind: 'Get', cmdId: '9', items: [{ target: './Vendor/MSFT/Policy/Config/Camera' }] }] },
    { kind: 'Exec', cmdId: '10', items: [{ target: './Device/Vendor/MSFT/Reboot/RebootNow', meta: { format: 'null' } }] },
    { kind: 'Delete', cmdId: '11', items: [{ target: './User/Vendor/MSFT/Policy/Config/X/Y' }] },
  ]);
  const reply = wire(s.receive(wire(msg))!);
  t.equal(reply.hdr.msgId, '2');
  t.equal(reply.hdr.sessionId, '1');
  t.equal(reply.final, true);
  t.same(
    reply.body.map((c) => c.cmdId),
    reply.body.map((_, i) => String(i + 1)),
    'CmdIDs 1..n',
  );
  t.same(
    statuses(reply).map((x) => [x.cmdRef, x.cmd, x.data, x.targetRef ?? null]),
    [
      ['0', 'SyncHdr', '200', null],
      ['3', 'Get', '200', ['./DevDetail/SwV']],
      ['3', 'Get', '404', ['./DevDetail/Ext/Microsoft/MobileID']],
      ['3', 'Get', '200', ['./DevInfo/Man']],
      ['4', 'Add', '200', null],
      ['5', 'Atomic', '507', null],
      ['6', 'Add', '216', null],
      ['7', 'Replace', '404', null],
      ['8', 'Sequence', '200', null],
      ['9', 'Get', '200', null],
      ['10', 'Exec', '200', null],
      ['11', 'Delete', '405', null],
    ],
  );
  t.ok(
    statuses(reply).every((x) => x.msgRef === '1'),
    'MsgRef = the server MsgID',
  );
  t.same(
    reply.body.findIndex((c) => c.kind === 'Results'),
    statuses(reply).length,
    'Results after all Statuses',
  );
  t.same(results(reply), [
    {
      kind: 'Results',
      cmdId: '13',
      msgRef: '1',
      cmdRef: '3',
      items: [
        { source: './DevDetail/SwV', meta: { format: 'chr' }, data: '10.0.22631.4460' },
        { source: './DevInfo/Man', meta: { format: 'chr' }, data: 'VMware, Inc.' },
      ],
    },
    {
      kind: 'Results',
      cmdId: '14',
      msgRef: '1',
      cmdRef: '9',
      items: [{ source: './Vendor/MSFT/Policy/Config/Camera', meta: { format: 'node' }, data: 'AllowCamera' }],
    },
  ]);
  t.same(
    s.transcript.commands.map((c) => [c.kind, c.cmdId, c.status]),
    [
      ['Get', '3', '404'],
      ['Add', '4', '200'],
      ['Atomic', '5', '507'],
      ['Add', '6', '216'],
      ['Replace', '7', '404'],
      ['Sequence', '8', '200'],
      ['Get', '9', '200'],
      ['Exec', '10', '200'],
      ['Delete', '11', '405'],
    ],
  );
  t.same(
    s.transcript.serverStatuses.map((x) => x.cmd),
    ['SyncHdr', 'Alert'],
  );
  // Server closes the session: only statuses + Final.
  t.equal(s.receive(server('2', [hdrStatus('2'), { kind: 'Status', cmdId: '2', msgRef: '2', cmdRef: '2', cmd: 'Get', data: '200', items: [] }])), undefined);
  t.equal(s.transcript.outcome, 'complete');
});

t.test("a server message without Final: Statuses + Alert 1222, then the rest of the server's package", async (t) => {
  const s = new DmClientSession(opts());
  s.start();
  const part1 = server('1', [hdrStatus('1'), { kind: 'Add', cmdId: '2', items: [{ target: './Vendor/MSFT/A/One', data: '1' }] }], false);
  const r1 = wire(s.receive(part1)!);
  t.same(
    r1.body.map((c) => [c.kind, c.cmdId, c.kind === 'Alert' ? c.data : (c as StatusCommand).cmdRef]),
    [
      ['Status', '1', '0'],
      ['Status', '2', '2'],
      ['Alert', '3', '1222'],
    ],
  );
  t.equal(r1.final, true, 'our package (the statuses) is complete');
  t.equal(s.done, false);
  // Even a Status-only message without Final does not end the session.
  const r2 = s.receive(server('2', [hdrStatus('2')], false));
  t.ok(r2);
  t.match(r2!.body.at(-1), { kind: 'Alert', data: '1222' });
  const part3 = server('3', [hdrStatus('3'), { kind: 'Get', cmdId: '2', items: [{ target: './Vendor/MSFT/A/One' }] }], true);
  const r3 = wire(s.receive(part3)!);
  t.same(
    r3.body.map((c) => c.kind),
    ['Status', 'Status', 'Results'],
    'no 1222 once the server package is final',
  );
  t.equal(r3.hdr.msgId, '4');
  t.equal(s.receive(server('4', [hdrStatus('4')])), undefined);
  t.equal(s.transcript.outcome, 'complete');
});

t.test('splitResultsOver: our Results in two messages, the second after the server asks (1222)', async (t) => {
  const s = new DmClientSession(opts({ splitResultsOver: 1500 }));
  s.start();
  const targets = [
    'SwV',
    'OEM',
    'HwV',
    'FwV',
    'Ext/Microsoft/OSPlatform',
    'Ext/Microsoft/DeviceName',
    'Ext/Microsoft/SMBIOSSerialNumber',
    'Ext/Microsoft/TotalRAM',
    'Ext/Microsoft/TotalStorage',
    'Ext/Microsoft/FreeStorage',
    'Ext/WLANMACAddress',
    'Ext/Microsoft/DNSComputerName',
  ];
  const msg = server('1', [
    hdrStatus('1'),
    { kind: 'Get', cmdId: '2', items: targets.map((x) => ({ target: `./DevDetail/${x}` })) },
    { kind: 'Get', cmdId: '3', items: [{ target: './DevInfo/Lang' }] },
  ]);
  const first = wire(s.receive(msg)!);
  t.equal(first.final, false, 'first message of our package: no Final');
  t.ok(Buffer.byteLength(buildSyncML(first)) <= 1500 + 200, 'about the limit');
  t.same(
    statuses(first).map((x) => x.cmdRef),
    ['0', '2', '3'],
    'all statuses go first',
  );
  const got1 = results(first).flatMap((r) => r.items.map((i) => i.source));
  t.ok(got1.length < targets.length + 1, 'only part of the results');

  // The engine answers a non-final message with its SyncHdr status and Alert 1222 (no Final).
  const got = [...got1];
  let msgId = 1;
  let last = first;
  while (!last.final) {
    msgId++;
    const next = wire(s.receive(server(String(msgId), [hdrStatus(String(msgId)), { kind: 'Alert', cmdId: '2', data: '1222', items: [] }], false))!);
    t.same(
      statuses(next).map((x) => [x.msgRef, x.cmdRef, x.cmd, x.data]),
      [
        [String(msgId), '0', 'SyncHdr', '200'],
        [String(msgId), '2', 'Alert', '200'],
      ],
    );
    t.notOk(
      next.body.some((c) => c.kind === 'Alert'),
      'no 1222 of our own: the server asked for the rest of ours',
    );
    t.ok(results(next).length > 0);
    t.ok(
      results(next).every((r) => r.msgRef === '1' && (r.cmdRef === '2' || r.cmdRef === '3')),
      'Results still refer to the Gets of message 1',
    );
    got.push(...results(next).flatMap((r) => r.items.map((i) => i.source)));
    last = next;
  }
  t.ok(msgId >= 2, 'the package spanned several messages');
  t.same(got.sort(), [...targets.map((x) => `./DevDetail/${x}`), './DevInfo/Lang'].sort(), 'every result exactly once');
  t.equal(s.receive(server(String(msgId + 1), [hdrStatus(String(msgId + 1))])), undefined);
  t.equal(s.transcript.outcome, 'complete');

  // A limit of 70% of the whole answer: exactly two messages.
  const whole = new DmClientSession(opts());
  whole.start();
  const size = Buffer.byteLength(buildSyncML(whole.receive(msg)!));
  const two = new DmClientSession(opts({ splitResultsOver: Math.ceil(size * 0.7) }));
  two.start();
  const a = wire(two.receive(msg)!);
  t.equal(a.final, false);
  const b = wire(two.receive(server('2', [hdrStatus('2'), { kind: 'Alert', cmdId: '2', data: '1222', items: [] }], false))!);
  t.equal(b.final, true, 'second and last message');
  t.equal(results(a).flatMap((r) => r.items).length + results(b).flatMap((r) => r.items).length, targets.length + 1);
});

t.test('digest: Cred from AAUTHDATA, retry once on 401/407 with the NextNonce, none after 212', async (t) => {
  const nonce0 = Buffer.from('initial-nonce-16').toString('base64');
  const nonce1 = Buffer.from('challenge-nonce!').toString('base64');
  const nonce2 = Buffer.from('next-session-non').toString('base64');
  const s = new DmClientSession(opts({ digest: { name: DEV, secret: 's3cret', nonce: nonce0 } }));
  const p1 = wire(s.start());
  t.same(p1.hdr.cred, { format: 'b64', type: 'syncml:auth-md5', data: computeMd5Cred(DEV, 's3cret', nonce0) });
  t.equal(p1.hdr.sourceName, DEV, 'LocName = AAUTHNAME');
  const chal = (code: string, nonce: string, msgRef: string): StatusCommand => ({
    ...hdrStatus(msgRef, code),
    chal: { meta: { type: 'syncml:auth-md5', format: 'b64', nextNonce: nonce } },
  });
  const retry = wire(s.receive(server('1', [chal('407', nonce1, '1')]))!);
  t.equal(retry.hdr.msgId, '2', 'next MsgID');
  t.same(retry.hdr.cred?.data, computeMd5Cred(DEV, 's3cret', nonce1), 'with the new nonce');
  t.same(retry.body, p1.body, 'package 1 again');
  const ok = wire(s.receive(server('2', [chal('212', nonce2, '2'), { kind: 'Get', cmdId: '2', items: [{ target: './DevInfo/DmV' }] }]))!);
  t.notOk(ok.hdr.cred, 'authenticated for the session: no more Cred');
  t.equal(s.transcript.nonce, nonce2, 'NextNonce kept for the next session');
  t.equal(s.transcript.digestAccepted, true);
  t.equal(results(ok)[0].items[0].data, '1.3');

  const bad = new DmClientSession(opts({ digest: { name: DEV, secret: 'wrong', nonce: nonce0 } }));
  bad.start();
  t.ok(bad.receive(server('1', [chal('401', nonce1, '1')])));
  t.equal(bad.receive(server('2', [chal('401', nonce1, '2')])), undefined, 'only one retry');
  t.equal(bad.transcript.outcome, 'error');
  t.match(bad.transcript.error, /credentials refused/);

  const none = new DmClientSession(opts());
  none.start();
  t.equal(none.receive(server('1', [chal('407', nonce1, '1')])), undefined);
  t.match(none.transcript.error, /none are configured/);
});

t.test("the next message goes to the server's RespURI, as Windows does", async (t) => {
  const seen: DmRequest[] = [];
  const resp = `${URL_}?s=token-1`;
  const first = server('1', [hdrStatus('1'), { kind: 'Get', cmdId: '2', items: [{ target: './DevInfo/Lang' }] }]);
  const replies: DmResponse[] = [
    { status: 200, body: buildSyncML({ ...first, hdr: { ...first.hdr, respUri: resp } }) },
    { status: 200, body: buildSyncML(server('2', [hdrStatus('2')])) },
  ];
  const tr = await runDmSession(opts(), async (req) => {
    seen.push(req);
    return replies.shift()!;
  });
  t.equal(tr.outcome, 'complete');
  t.same(
    seen.map((r) => r.url),
    [undefined, resp],
    'package 1 to the management URL, then to RespURI',
  );
});

t.test('Alert 1223 from the server aborts the session', async (t) => {
  const s = new DmClientSession(opts());
  s.start();
  t.equal(s.receive(server('1', [hdrStatus('1'), { kind: 'Alert', cmdId: '2', data: '1223', items: [] }])), undefined);
  t.equal(s.transcript.outcome, 'aborted');
});

t.test('runDmSession over a scripted transport: headers, transcript, HTTP failures', async (t) => {
  const seen: DmRequest[] = [];
  const replies: DmResponse[] = [
    { status: 200, body: buildSyncML(server('1', [hdrStatus('1'), { kind: 'Get', cmdId: '2', items: [{ target: './DevInfo/Lang' }] }])) },
    { status: 200, body: Buffer.from(buildSyncML(server('2', [hdrStatus('2')]))) },
  ];
  const tr = await runDmSession(opts({ userToken: 'tok', headers: { 'client-request-id': 'ent-1' } }), async (req) => {
    seen.push(req);
    return replies.shift()!;
  });
  t.equal(tr.outcome, 'complete');
  t.same(tr.httpStatuses, [200, 200]);
  t.equal(tr.latenciesMs.length, 2);
  t.same(
    tr.messages.map((m) => m.direction),
    ['out', 'in', 'out', 'in'],
  );
  t.equal(seen[0].headers['content-type'], 'application/vnd.syncml.dm+xml');
  t.equal(seen[0].headers.authorization, 'Bearer tok');
  t.equal(seen[0].headers['client-request-id'], 'ent-1');
  t.equal(seen[1].headers.authorization, 'Bearer tok', 'on every POST');
  t.equal(parseSyncML(seen[1].xml).hdr.msgId, '2');
  t.same(
    tr.commands.map((c) => [c.kind, c.status]),
    [['Get', '200']],
  );

  const refused = await runDmSession(opts(), async () => ({ status: 403, body: 'client certificate refused (expired)\n' }));
  t.equal(refused.outcome, 'error');
  t.same(refused.httpStatuses, [403]);
  t.match(refused.error, /HTTP 403: client certificate refused/);

  // A challenge carried by HTTP 401 with a SyncML body is answered like a SyncHdr 401.
  const nonce = Buffer.from('0123456789abcdef').toString('base64');
  const http401: DmResponse[] = [
    {
      status: 401,
      body: buildSyncML(server('1', [{ ...hdrStatus('1', '401'), chal: { meta: { type: 'syncml:auth-md5', format: 'b64', nextNonce: nonce } } }])),
    },
    { status: 200, body: buildSyncML(server('2', [hdrStatus('2', '212')])) },
  ];
  const sent401: DmRequest[] = [];
  const ch = await runDmSession(opts({ digest: { name: DEV, secret: 'x', nonce: Buffer.from('old').toString('base64') } }), async (req) => {
    sent401.push(req);
    return http401.shift()!;
  });
  t.equal(ch.outcome, 'complete');
  t.same(ch.httpStatuses, [401, 200]);
  t.equal(parseSyncML(sent401[1].xml).hdr.cred?.data, computeMd5Cred(DEV, 'x', nonce));
  const plain401 = await runDmSession(opts(), async () => ({ status: 401, body: 'Unauthorized' }));
  t.match(plain401.error, /HTTP 401 without a SyncML challenge/);

  const garbage = await runDmSession(opts(), async () => ({ status: 200, body: '<html/>' }));
  t.match(garbage.error, /unreadable SyncML/);
  const thrown = await runDmSession(opts(), async () => {
    throw new Error('ECONNREFUSED');
  });
  t.match(thrown.error, /ECONNREFUSED/);
  let n = 0;
  const loop = await runDmSession(opts({ maxMessages: 3 }), async () => ({
    status: 200,
    body: buildSyncML(server(String(++n), [hdrStatus(String(n)), { kind: 'Get', cmdId: '2', items: [{ target: './DevInfo/Lang' }] }])),
  }));
  t.match(loop.error, /did not end after 3 messages/);
});
