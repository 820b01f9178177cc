// MS-MDM §2.2.3.6: the server's MsgID starts at 1 and increases by one with every message of the
// session — the 401/407 challenge is the session's first server message, so the answer to the
// package 1 the device sends again with credentials is MsgID 2, and the next one MsgID 3.
import t from 'tap';
import { computeMd5Cred } from '../../src/identity/digest.js';
import { buildSyncML } from '../../src/protocol/syncml/build.js';
import { parseSyncML } from '../../src/protocol/syncml/parse.js';
import type { SyncMLMessage } from '../../src/protocol/syncml/types.js';
import { enrollEntraDevice } from '../helpers/enrolled.js';
import { startTestServer } from '../helpers/server.js';

const M = '/ManagementServer/MDM.svc';
const CT = { 'content-type': 'application/vnd.syncml.dm+xml' };

t.test('rule 72: after a 401/407 challenge the server MsgID goes on 2, 3 — never 1 again', async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.close());
  const e = await enrollEntraDevice(s, await s.connectTenant());
  const srv = e.prov.appAuth.find((x) => x.AAUTHLEVEL === 'APPSRV')!;
  const target = s.publicUrl + M;
  const hdr = (msgId: string, cred?: SyncMLMessage['hdr']['cred']): SyncMLMessage['hdr'] => ({
    verDTD: '1.2',
    verProto: 'DM/1.2',
    sessionId: '5A',
    msgId,
    targetUri: target,
    sourceUri: e.dev.deviceId,
    sourceName: cred ? srv.AAUTHNAME : undefined,
    cred,
  });
  const alert = [{ kind: 'Alert' as const, cmdId: '1', data: '1201', items: [] }];
  const post = async (url: string, m: SyncMLMessage) => {
    const r = await s.request(url, { method: 'POST', body: buildSyncML(m), headers: CT });
    t.equal(r.status, 200);
    return parseSyncML(r.body);
  };

  // Message 1 without credentials (no client certificate either): challenged.
  const r1 = await post(M, { hdr: hdr('1'), final: true, body: alert });
  t.equal((r1.body[0] as any).data, '407', 'challenged for credentials');
  t.equal(r1.hdr.msgId, '1', 'the challenge is server message 1');
  t.equal((r1.body[0] as any).msgRef, '1');

  // Package 1 again, MsgID 2, with the digest over the challenge's nonce.
  const nonce = (r1.body[0] as any).chal.meta.nextNonce;
  const cred = { type: 'syncml:auth-md5', format: 'b64', data: computeMd5Cred(srv.AAUTHNAME, srv.AAUTHSECRET, nonce) };
  const r2 = await post(M, { hdr: hdr('2', cred), final: true, body: alert });
  t.equal((r2.body[0] as any).data, '212', 'authenticated');
  t.equal(r2.hdr.msgId, '2', 'the answer after the challenge is server message 2, not 1');
  t.equal((r2.body[0] as any).msgRef, '2');
  t.ok(r2.hdr.respUri, 'the session goes on at the RespURI');

  // Message 3: statuses for what the server sent, at the RespURI.
  const statuses = r2.body
    .filter((c) => c.kind !== 'Status')
    .map((c, i) => ({ kind: 'Status' as const, cmdId: String(i + 2), msgRef: '2', cmdRef: c.cmdId, cmd: c.kind, data: '200', items: [] }));
  const r3 = await post(r2.hdr.respUri!, {
    hdr: hdr('3'),
    final: true,
    body: [{ kind: 'Status', cmdId: '1', msgRef: '2', cmdRef: '0', cmd: 'SyncHdr', data: '200', items: [] }, ...statuses],
  });
  t.equal(r3.hdr.msgId, '3', 'then server message 3');
  t.equal((r3.body[0] as any).msgRef, '3');
});
