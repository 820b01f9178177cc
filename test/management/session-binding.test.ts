// OMA-DM digest sessions are bound to their first message: later messages come to the RespURI of
// our last reply (a fresh token each time) or carry credentials; stored state never authenticates
// a package 1, a new session reusing a SessionID starts clean, unfinished sessions expire in
// minutes. Challenges carry a fresh nonce, answer every command and are traced.
import crypto from 'node:crypto';
import t from 'tap';
import { computeMd5Cred } from '../../src/identity/digest.js';
import { buildSyncML } from '../../src/protocol/syncml/build.js';
import { parseSyncML } from '../../src/protocol/syncml/parse.js';
import type { SyncCommand, SyncMLMessage } from '../../src/protocol/syncml/types.js';
import { DEFAULT_RETENTION, runMaintenance } from '../../src/service/maintenance.js';
import { enrollEntraDevice, type EnrolledDevice } from '../helpers/enrolled.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const M = '/ManagementServer/MDM.svc';
const CT = { 'content-type': 'application/vnd.syncml.dm+xml' };
const UNENROLL: SyncCommand = {
  kind: 'Alert',
  cmdId: '9',
  data: '1226',
  items: [{ meta: { type: 'com.microsoft:mdm.unenrollment.userrequest', format: 'int' }, data: '1' }],
};

/** A device speaking digest (no client certificate); `nonce` follows every NextNonce we are given. */
class DigestDevice {
  nonce: string;
  readonly name: string;
  private readonly secret: string;
  private s: TestServer;
  readonly d: EnrolledDevice;
  constructor(s: TestServer, d: EnrolledDevice) {
    this.s = s;
    this.d = d;
    const srv = d.prov.appAuth.find((x) => x.AAUTHLEVEL === 'APPSRV')!;
    this.name = srv.AAUTHNAME;
    this.secret = srv.AAUTHSECRET;
    this.nonce = d.prov.appAuth.find((x) => x.AAUTHLEVEL === 'CLIENT')!.AAUTHDATA;
  }
  async post(url: string, sessionId: string, msgId: number, body: SyncCommand[], o: { cred?: boolean; source?: string } = {}): Promise<SyncMLMessage> {
    const m: SyncMLMessage = {
      hdr: {
        verDTD: '1.2',
        verProto: 'DM/1.2',
        sessionId,
        msgId: String(msgId),
        targetUri: this.s.publicUrl + M,
        sourceUri: o.source ?? this.d.dev.deviceId,
        ...(o.cred
          ? { sourceName: this.name, cred: { type: 'syncml:auth-md5', format: 'b64', data: computeMd5Cred(this.name, this.secret, this.nonce) } }
          : {}),
      },
      final: true,
      body,
    };
    const r = await this.s.request(url, { method: 'POST', body: buildSyncML(m), headers: CT });
    if (r.status !== 200) throw new Error(`HTTP ${r.status}: ${r.text()}`);
    const reply = parseSyncML(r.body);
    const next = (reply.body[0] as any)?.chal?.meta?.nextNonce;
    if (next) this.nonce = next;
    return reply;
  }
}

const pkg1: SyncCommand[] = [{ kind: 'Alert', cmdId: '2', data: '1201', items: [] }];
const hdrCode = (m: SyncMLMessage) => (m.body[0] as any).data as string;
const commands = (m: SyncMLMessage) => m.body.filter((c) => c.kind !== 'Status');
/** Statuses 200 for the SyncHdr and every command of `reply`. */
function answer(reply: SyncMLMessage): SyncCommand[] {
  const out: SyncCommand[] = [{ kind: 'Status', cmdId: '1', msgRef: reply.hdr.msgId, cmdRef: '0', cmd: 'SyncHdr', data: '200', items: [] }];
  for (const c of commands(reply))
    out.push({ kind: 'Status', cmdId: String(out.length + 1), msgRef: reply.hdr.msgId, cmdRef: c.cmdId, cmd: c.kind, data: '200', items: [] });
  return out;
}

t.test('a stored digest session does not authenticate anyone without its token', async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.close());
  const tid = await s.connectTenant();
  const a = new DigestDevice(s, await enrollEntraDevice(s, tid));
  const b = new DigestDevice(s, await enrollEntraDevice(s, tid));
  const id = a.d.dev.deviceId;

  // The device authenticates, is sent the inventory Get, and drops off mid-session.
  const r1 = await a.post(M, '7', 1, pkg1, { cred: true });
  t.equal(hdrCode(r1), '212');
  t.match(r1.hdr.respUri, /^https:\/\/[^?]+\/ManagementServer\/MDM\.svc\?s=[A-Za-z0-9_-]{22,}$/, 'RespURI with a session token');
  t.same(
    commands(r1)
      .map((c) => c.kind)
      .sort(),
    ['Atomic', 'Get', 'Sequence'],
    'the inventory Get, the installed apps read with it, the default check-in schedule (its document carried 1440, rule 57)',
  );
  const wipe = (await s.admin('POST', `/api/v1/devices/${id}/commands`, { action: 'wipe' })).json.id;

  // The attack of issue #10: the same Source and SessionID, no credentials, acks and unenrolls.
  const attack = [...answer(r1), UNENROLL];
  const other = await b.post(M, '7', 1, pkg1, { cred: true });
  const seen = (await s.admin('GET', `/api/v1/devices/${id}`)).json.lastSeenAt;
  const cases: [string, string, number, SyncCommand[]][] = [
    ['no token, MsgID 2', M, 2, attack],
    ['no token, MsgID 1', M, 1, attack],
    ['a wrong token', `${M}?s=${crypto.randomBytes(18).toString('base64url')}`, 2, attack],
    ["the token of another device's session", other.hdr.respUri!, 2, attack],
    ['the right token on a MsgID 1', r1.hdr.respUri!, 1, attack],
    ['the right token on a package 1 at MsgID 2', r1.hdr.respUri!, 2, [{ ...pkg1[0], cmdId: '8' }, UNENROLL]],
  ];
  for (const [name, url, msgId, body] of cases) {
    const r = await a.post(url, '7', msgId, body);
    t.equal(hdrCode(r), '407', `${name}: challenged`);
    t.same(commands(r), [], `${name}: no commands`);
    t.same(
      r.body.slice(1).map((c: any) => [c.cmdRef, c.data]),
      body.filter((c) => c.kind !== 'Status').map((c) => [c.cmdId, '407']),
      `${name}: each command (not the statuses) answered 407`,
    );
  }
  const dev = (await s.admin('GET', `/api/v1/devices/${id}`)).json;
  t.equal(dev.state, 'enrolled', 'not unenrolled');
  t.equal(dev.lastSeenAt, seen, 'nor seen');
  const cmds = (await s.admin('GET', `/api/v1/devices/${id}/commands`)).json.commands;
  t.equal(cmds.find((c: any) => c.id === wipe).state, 'queued', 'the wipe was sent to nobody');
  t.equal(cmds.find((c: any) => c.origin === 'inventory').state, 'sent', 'the Get was not acked by the attacker');

  // The device itself continues at the RespURI; each reply gives a new token.
  const r2 = await a.post(r1.hdr.respUri!, '7', 2, answer(r1));
  t.equal(hdrCode(r2), '200');
  t.same(
    commands(r2).map((c) => c.kind),
    ['Exec'],
    'the wipe goes to the device',
  );
  t.ok(r2.hdr.respUri && r2.hdr.respUri !== r1.hdr.respUri, 'a new token');
  const replay = await a.post(r1.hdr.respUri!, '7', 3, answer(r2));
  t.equal(hdrCode(replay), '407', 'the token of an earlier reply is spent');
  const r3 = await a.post(r2.hdr.respUri!, '7', 3, answer(r2));
  t.equal(hdrCode(r3), '200');
  t.same(commands(r3), [], 'session over');
  t.equal(r3.hdr.respUri, undefined, 'no token once the session is over');
  const after = await a.post(r2.hdr.respUri!, '7', 4, answer(r2));
  t.equal(hdrCode(after), '407', 'a token does not outlive its session');
  t.equal((await s.admin('GET', `/api/v1/devices/${id}/commands`)).json.commands.find((c: any) => c.id === wipe).state, 'acked');
  const traces = (await s.admin('GET', `/api/v1/devices/${id}/sessions?session=7&limit=100`)).json.messages;
  t.notOk(
    traces.some((m: any) => /\?s=[A-Za-z0-9_-]{8}/.test(m.body)),
    'tokens never reach the trace',
  );
});

t.test('a new session reusing a SessionID starts clean; idle sessions expire in minutes', async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.close());
  const tid = await s.connectTenant();
  const a = new DigestDevice(s, await enrollEntraDevice(s, tid));
  const id = a.d.dev.deviceId;
  const pk = (await s.admin('GET', `/api/v1/devices/${id}`)).json.id;

  const r1 = await a.post(M, '3', 1, pkg1, { cred: true });
  t.equal(commands(r1).length, 3, 'the inventory Get, the installed apps read with it, the check-in schedule');
  // SessionID 3 again (the device restarted): challenged, package 1 again with credentials at
  // MsgID 2 — a new session all the same; the old token is gone.
  t.equal(hdrCode(await a.post(M, '3', 1, pkg1)), '407');
  const again = await a.post(M, '3', 2, pkg1, { cred: true });
  t.equal(hdrCode(again), '212');
  t.equal(again.hdr.msgId, '2', 'our second message of the new session: the challenge was the first (rule 72)');
  t.same(
    commands(again)
      .map((c) => c.kind)
      .sort(),
    ['Atomic', 'Get', 'Sequence'],
    'the unanswered Get (and apps read, and schedule) are sent again in the new session',
  );
  t.equal(hdrCode(await a.post(r1.hdr.respUri!, '3', 2, answer(r1))), '407', "the earlier session's token does not continue the new one");

  // Idle for longer than the session timeout: its token no longer works, maintenance forgets it.
  const st = (await s.server.store.management.getSession(pk, '3'))!;
  t.ok(st.tokenHash, 'only a hash of the token is stored');
  t.notOk(JSON.stringify(st).includes(again.hdr.respUri!.split('?s=')[1]), 'not the token itself');
  const old = new Date(Date.now() - 16 * 60_000).toISOString();
  await s.server.store.management.commitTurn({
    devicePk: pk,
    at: old,
    session: { ...st, lastAt: old },
    sessionId: '3',
    acks: [],
    sent: [],
    alerts: [],
    traces: [],
    enqueue: [],
  });
  t.equal(hdrCode(await a.post(again.hdr.respUri!, '3', 2, answer(again))), '407', 'an idle session has expired');
  const n = await runMaintenance(s.server.store, DEFAULT_RETENTION, new Date());
  t.equal(n.sessions, 1, 'maintenance prunes it');
  t.equal(await s.server.store.management.getSession(pk, '3'), undefined);
});

t.test('challenges: a fresh nonce each time, a status per command, in the trace', async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.close());
  const tid = await s.connectTenant();
  const a = new DigestDevice(s, await enrollEntraDevice(s, tid));
  const id = a.d.dev.deviceId;
  const body: SyncCommand[] = [
    ...pkg1,
    { kind: 'Alert', cmdId: '3', data: '1224', items: [{ meta: { type: 'com.microsoft/MDM/LoginStatus' }, data: 'user' }] },
    { kind: 'Replace', cmdId: '4', items: [{ source: './DevInfo/DevId', data: id }] },
  ];
  const c1 = await a.post(M, '11', 1, body);
  const n1 = a.nonce;
  const c2 = await a.post(M, '11', 2, body);
  const n2 = a.nonce;
  t.equal(hdrCode(c1), '407');
  t.not(n2, n1, 'a fresh nonce every challenge');
  t.same(
    c2.body.map((c: any) => [c.cmdRef, c.cmd, c.data]),
    [
      ['0', 'SyncHdr', '407'],
      ['2', 'Alert', '407'],
      ['3', 'Alert', '407'],
      ['4', 'Replace', '407'],
    ],
  );
  const r = await a.post(M, '11', 3, body, { cred: true });
  t.equal(hdrCode(r), '212', 'the credential computed with the last challenge nonce is accepted');
  const traces = (await s.admin('GET', `/api/v1/devices/${id}/sessions?session=11&limit=100`)).json.messages;
  const challenges = traces.filter((m: any) => m.direction === 'out' && m.body.includes('<Data>407</Data>'));
  t.equal(challenges.length, 2, 'both challenges traced');
  t.equal(traces.filter((m: any) => m.direction === 'in').length, 3, 'and the messages they answered');
  t.notOk(
    traces.some((m: any) => m.body.includes(n1) || m.body.includes(n2)),
    'nonces redacted',
  );
});
