// Management endpoint under hostile input and credential edge cases: malformed SyncML, WBXML,
// oversized bodies, impersonation, forwarded certificates from untrusted and trusted proxies,
// digest authentication, unknown and unenrolled devices. The server stays healthy throughout.
import crypto from 'node:crypto';
import t from 'tap';
import { computeMd5Cred } from '../../src/identity/digest.js';
import { runMaintenance } from '../../src/service/maintenance.js';
import { buildSyncML } from '../../src/protocol/syncml/build.js';
import { parseSyncML } from '../../src/protocol/syncml/parse.js';
import type { SyncMLMessage } from '../../src/protocol/syncml/types.js';
import { enrollEntraDevice } from '../helpers/enrolled.js';
import { startTestServer } from '../helpers/server.js';

const M = '/ManagementServer/MDM.svc';
const CT = { 'content-type': 'application/vnd.syncml.dm+xml' };

function pkg1(
  deviceId: string,
  target: string,
  o: { sessionId?: string; msgId?: string; cred?: SyncMLMessage['hdr']['cred']; sourceName?: string } = {},
): string {
  return buildSyncML({
    hdr: {
      verDTD: '1.2',
      verProto: 'DM/1.2',
      sessionId: o.sessionId ?? '1',
      msgId: o.msgId ?? '1',
      targetUri: target,
      sourceUri: deviceId,
      sourceName: o.sourceName,
      cred: o.cred,
    },
    final: true,
    body: [{ kind: 'Alert', cmdId: '1', data: '1201', items: [] }],
  });
}

t.test('hostile SyncML is refused with a clear status and the server stays healthy', async (t) => {
  const s = await startTestServer();
  t.teardown(() => s.close());
  const tid = await s.connectTenant();
  const e = await enrollEntraDevice(s, tid);
  const mtls = { cert: e.certPem, key: e.keyPem };
  const post = (body: string | Buffer, headers: Record<string, string> = CT) => s.request(M, { method: 'POST', body, headers, ...mtls });
  const bomb =
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><SyncML xmlns="SYNCML:SYNCML1.2">&lol2;</SyncML>';
  const cases: [string, string | Buffer, Record<string, string>, number][] = [
    ['DOCTYPE / entity expansion', bomb, CT, 400],
    ['external entity', '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><SyncML xmlns="SYNCML:SYNCML1.2">&e;</SyncML>', CT, 400],
    ['deeply nested', '<SyncML xmlns="SYNCML:SYNCML1.2">' + '<a>'.repeat(5000) + '</a>'.repeat(5000) + '</SyncML>', CT, 400],
    ['truncated', pkg1(e.dev.deviceId, s.publicUrl + M).slice(0, 150), CT, 400],
    ['garbage', crypto.randomBytes(2000), CT, 400],
    ['not SyncML', '<foo/>', CT, 415],
    ['empty', '', CT, 400],
    ['WBXML', Buffer.from([0x02, 0x00, 0x00, 0x6a]), { 'content-type': 'application/vnd.syncml.dm+wbxml' }, 415],
    ['JSON', '{}', { 'content-type': 'application/json' }, 415],
    ['oversized (2 MiB)', '<SyncML xmlns="SYNCML:SYNCML1.2">' + 'x'.repeat(2 * 1024 * 1024) + '</SyncML>', CT, 413],
  ];
  for (const [name, body, headers, status] of cases) {
    const r = await post(body, headers);
    t.equal(r.status, status, `${name}: HTTP ${status}`);
    t.ok(r.text().length > 3 && r.text().length < 2000, `${name}: a short reason (${r.text().trim().slice(0, 80)})`);
  }
  t.equal((await s.request('/healthz')).status, 200, 'still healthy');
  const ok = await post(pkg1(e.dev.deviceId, s.publicUrl + M));
  t.equal(ok.status, 200, 'a valid package still works');
});

t.test('credentials', async (t) => {
  const s = await startTestServer({ FENESTRA_TRUSTED_PROXIES: '10.9.9.9/32', FENESTRA_PROXY_CERT_FORMAT: 'nginx' });
  t.teardown(() => s.close());
  const tid = await s.connectTenant();
  const a = await enrollEntraDevice(s, tid);
  const b = await enrollEntraDevice(s, tid);
  const target = s.publicUrl + M;

  t.test("a device presenting another device's certificate gets nothing", async (t) => {
    const r = await s.request(M, { method: 'POST', body: pkg1(b.dev.deviceId, target), headers: CT, cert: a.certPem, key: a.keyPem });
    t.equal(r.status, 403);
    t.match(r.text(), /another device/);
  });

  t.test('a forwarded-certificate header from an untrusted address is ignored', async (t) => {
    const header = encodeURIComponent(a.certPem);
    const r = await s.request(M, { method: 'POST', body: pkg1(a.dev.deviceId, target), headers: { ...CT, 'ssl-client-cert': header } });
    t.equal(r.status, 200);
    const m = parseSyncML(r.body);
    t.equal((m.body[0] as any).data, '407', 'no certificate counted: the server asks for digest credentials instead');
  });

  t.test('digest: challenge, wrong response refused, right response accepted with 212 and a new nonce', async (t) => {
    const srv = a.prov.appAuth.find((x) => x.AAUTHLEVEL === 'APPSRV')!;
    const nonce = a.prov.appAuth.find((x) => x.AAUTHLEVEL === 'CLIENT')!.AAUTHDATA;
    const post = (body: string) => s.request(M, { method: 'POST', body, headers: CT });
    const wrong = computeMd5Cred(srv.AAUTHNAME, 'not-the-secret', nonce);
    const r1 = parseSyncML((await post(pkg1(a.dev.deviceId, target, { sessionId: '20', cred: { type: 'syncml:auth-md5', format: 'b64', data: wrong } }))).body);
    t.equal((r1.body[0] as any).data, '401');
    t.same(
      r1.body.map((c: any) => [c.cmd, c.cmdRef, c.data]),
      [
        ['SyncHdr', '0', '401'],
        ['Alert', '1', '401'],
      ],
      'nothing but the challenge, for each command',
    );
    const chal1 = (r1.body[0] as any).chal.meta.nextNonce;
    t.ok(chal1 && chal1 !== nonce, 'the challenge carries a fresh nonce');
    const good = computeMd5Cred(srv.AAUTHNAME, srv.AAUTHSECRET, chal1);
    const r2 = parseSyncML(
      (await post(pkg1(a.dev.deviceId, target, { sessionId: '21', cred: { type: 'syncml:auth-md5', format: 'b64', data: good }, sourceName: srv.AAUTHNAME })))
        .body,
    );
    const hdrStatus = r2.body[0] as any;
    t.equal(hdrStatus.data, '212');
    const next = hdrStatus.chal.meta.nextNonce;
    t.ok(next && next !== nonce, 'a fresh nonce for the next session');
    const replay = parseSyncML(
      (await post(pkg1(a.dev.deviceId, target, { sessionId: '22', cred: { type: 'syncml:auth-md5', format: 'b64', data: good } }))).body,
    );
    t.equal((replay.body[0] as any).data, '401', 'the old response does not work with the new nonce');
    const chal2 = (replay.body[0] as any).chal.meta.nextNonce;
    t.not(chal2, next, 'every challenge a fresh nonce');
    const fresh = computeMd5Cred(srv.AAUTHNAME, srv.AAUTHSECRET, chal2);
    const r3 = parseSyncML((await post(pkg1(a.dev.deviceId, target, { sessionId: '23', cred: { type: 'syncml:auth-md5', format: 'b64', data: fresh } }))).body);
    t.equal((r3.body[0] as any).data, '212');
  });

  t.test('unknown and unenrolled devices are refused', async (t) => {
    const unknown = await s.request(M, { method: 'POST', body: pkg1('NOT-A-DEVICE', target), headers: CT });
    t.equal(unknown.status, 403);
    const unenroll = buildSyncML({
      hdr: { verDTD: '1.2', verProto: 'DM/1.2', sessionId: '30', msgId: '1', targetUri: target, sourceUri: b.dev.deviceId },
      final: true,
      body: [{ kind: 'Alert', cmdId: '2', data: '1226', items: [{ meta: { type: 'com.microsoft:mdm.unenrollment.userrequest', format: 'int' }, data: '1' }] }],
    });
    const r = await s.request(M, { method: 'POST', body: unenroll, headers: CT, cert: b.certPem, key: b.keyPem });
    t.equal(r.status, 200);
    const reply = parseSyncML(r.body);
    t.same(
      reply.body.map((c: any) => [c.cmd, c.data]),
      [
        ['SyncHdr', '200'],
        ['Alert', '200'],
      ],
    );
    const dev = (await s.admin('GET', `/api/v1/devices/${b.dev.deviceId}`)).json;
    t.equal(dev.state, 'unenrolled');
    t.equal(dev.certificate, undefined, 'no active certificate');
    t.equal(dev.certificates[0].status, 'revoked');
    const after = await s.request(M, { method: 'POST', body: pkg1(b.dev.deviceId, target, { sessionId: '31' }), headers: CT, cert: b.certPem, key: b.keyPem });
    t.equal(after.status, 403, 'an unenrolled device gets a clear refusal');
    const q = await s.admin('POST', `/api/v1/devices/${b.dev.deviceId}/commands`, { action: 'reboot' });
    t.equal(q.status, 409, 'nothing can be queued for it');
  });

  t.test('maintenance prunes traces beyond the per-device bound', async (t) => {
    for (let i = 0; i < 4; i++) {
      await s.request(M, { method: 'POST', body: pkg1(a.dev.deviceId, target, { sessionId: String(40 + i) }), headers: CT, cert: a.certPem, key: a.keyPem });
    }
    const before = (await s.admin('GET', `/api/v1/devices/${a.dev.deviceId}/sessions?limit=500`)).json.messages.length;
    t.ok(before >= 8);
    const n = await runMaintenance(s.server.store, { traceDays: 7, tracesPerDevice: 4, sessionIdleMinutes: 15 }, new Date());
    t.ok(n.traces >= before - 4);
    const after = (await s.admin('GET', `/api/v1/devices/${a.dev.deviceId}/sessions?limit=500`)).json.messages;
    t.equal(after.length, 4);
  });
});
