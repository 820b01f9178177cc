// Logs are JSON with a request id and never carry secrets: Entra tokens, enrollment passwords,
// OMA-DM credentials, terms-of-use blobs, the admin token or client certificates.
import crypto from 'node:crypto';
import t from 'tap';
import { buildSyncML } from '../src/protocol/syncml/build.js';
import { discoverMessage, getPoliciesMessage, rstMessage } from '../src/sim/enroll-messages.js';
import { enrollEntraDevice } from './helpers/enrolled.js';
import { newTestDevice } from './helpers/device.js';
import { AUDIENCE, startTestServer } from './helpers/server.js';

t.test('no secret reaches a log line', async (t) => {
  const lines: string[] = [];
  const s = await startTestServer({}, { logSink: { write: (l: string) => void lines.push(l) } });
  t.teardown(() => s.close());
  const tid = await s.connectTenant();
  const password = `pw-${crypto.randomBytes(8).toString('hex')}`;
  await s.admin('POST', '/api/v1/enrollment-accounts', { username: 'log@contoso.com', password });
  const jwt = await s.entra.mintToken({ tid, aud: AUDIENCE, deviceid: crypto.randomUUID() });
  const E = '/EnrollmentServer/Enrollment.svc';
  const dev = newTestDevice();
  await s.soap('/EnrollmentServer/Discovery.svc', discoverMessage(s.publicUrl, { email: 'a@contoso.com', authPolicies: ['Federated'] }));
  await s.soap('/EnrollmentServer/Policy.svc', getPoliciesMessage(s.publicUrl, { kind: 'entra', jwt }));
  await s.soap(
    E,
    rstMessage(
      s.publicUrl + E,
      { kind: 'password', username: 'log@contoso.com', password },
      { requestType: 'Issue', tokenBase64: dev.csrBase64(), context: dev.context() },
    ),
  );
  await s.soap(
    E,
    rstMessage(
      s.publicUrl + E,
      { kind: 'password', username: 'log@contoso.com', password: 'wrong-one' },
      { requestType: 'Issue', tokenBase64: dev.csrBase64(), context: dev.context() },
    ),
  );
  const e = await enrollEntraDevice(s, tid);
  const userToken = await s.entra.mintToken({ tid, aud: AUDIENCE, upn: 'u@contoso.com' });
  const M = '/ManagementServer/MDM.svc';
  await s.request(`${M}?mode=Maintenance`, {
    method: 'POST',
    cert: e.certPem,
    key: e.keyPem,
    headers: { 'content-type': 'application/vnd.syncml.dm+xml', authorization: `Bearer ${userToken}` },
    body: buildSyncML({
      hdr: { verDTD: '1.2', verProto: 'DM/1.2', sessionId: '1', msgId: '1', targetUri: s.publicUrl + M, sourceUri: e.dev.deviceId },
      final: true,
      body: [{ kind: 'Alert', cmdId: '1', data: '1224', items: [{ meta: { type: 'com.microsoft/MDM/AADUserToken' }, data: userToken }] }],
    }),
  });
  await s.request(`/EnrollmentServer/TermsOfUse?redirect_uri=ms-appx-web%3A%2F%2Fx&api-version=1.0`, { headers: { authorization: `Bearer ${jwt}` } });
  const log = lines.join('');
  t.ok(lines.length > 10, `${lines.length} log lines`);
  for (const line of lines) t.doesNotThrow(() => JSON.parse(line), 'JSON');
  t.ok(
    lines.some((l) => JSON.parse(l).reqId),
    'lines carry the request id',
  );
  const appsrv = e.prov.appAuth.find((a) => a.AAUTHLEVEL === 'APPSRV')!.AAUTHSECRET;
  for (const [name, secret] of [
    ['Entra token', jwt],
    ['Entra token signature', jwt.split('.')[2]],
    ['user token', userToken.split('.')[2]],
    ['enrollment password', password],
    ['admin token', s.adminToken],
    ['OMA-DM secret', appsrv],
    ['client certificate', e.certPem.split('\n')[1]],
  ] as const) {
    t.notOk(log.includes(secret), `no ${name} in the logs`);
  }
});

/** The JSON log lines written so far. */
type Line = Record<string, any>;
const parsed = (lines: string[]): Line[] => lines.map((l) => JSON.parse(l) as Line);

t.test('management lines name the device, 4xx lines the error, failed admin logins are warnings', async (t) => {
  const lines: string[] = [];
  const s = await startTestServer({}, { logSink: { write: (l: string) => void lines.push(l) } });
  t.teardown(() => s.close());
  const tid = await s.connectTenant();
  const e = await enrollEntraDevice(s, tid);
  // The device's page, by its DeviceID: our id is in it.
  const device = (await s.admin('GET', `/api/v1/devices/${e.dev.deviceId}`)).json as { id: string };
  t.ok(device?.id, 'the device is listed');

  // A session whose user token is refused: the engine logs that line itself.
  const M = '/ManagementServer/MDM.svc';
  const session = await s.request(M, {
    method: 'POST',
    cert: e.certPem,
    key: e.keyPem,
    headers: { 'content-type': 'application/vnd.syncml.dm+xml', authorization: 'Bearer not.a-valid.token' },
    body: buildSyncML({
      hdr: { verDTD: '1.2', verProto: 'DM/1.2', sessionId: '1', msgId: '1', targetUri: s.publicUrl + M, sourceUri: e.dev.deviceId },
      final: true,
      body: [
        { kind: 'Alert', cmdId: '1', data: '1201', items: [] },
        { kind: 'Alert', cmdId: '2', data: '1224', items: [{ meta: { type: 'com.microsoft/MDM/AADUserToken' }, data: 'not.a-valid.token' }] },
      ],
    }),
  });
  t.equal(session.status, 200);

  // 4xx answers: a schema refusal, an unknown route, a device endpoint's text refusal.
  t.equal((await s.admin('POST', '/api/v1/enrollment-accounts', { username: 42 })).status, 400);
  t.equal((await s.admin('GET', '/api/v1/no-such-thing')).status, 404);
  t.equal((await s.request(M, { method: 'POST', headers: { 'content-type': 'application/vnd.syncml.dm+xml' }, body: '' })).status, 400);

  // Failed admin authentication: a wrong token, and none.
  const wrong = `wrong-${crypto.randomBytes(12).toString('hex')}`;
  t.equal((await s.request('/api/v1/tenants', { headers: { authorization: `Bearer ${wrong}` } })).status, 401);
  t.equal((await s.request('/api/v1/tenants')).status, 401);

  const log = parsed(lines);
  const mgmtReqs = new Set(log.filter((l) => l.url === M && l.status === 200).map((l) => l.reqId));
  t.equal(mgmtReqs.size, 1, 'one management request answered');
  const mgmtLines = log.filter((l) => mgmtReqs.has(l.reqId));
  t.ok(
    mgmtLines.some((l) => l.msg === 'session user token refused'),
    'the engine logged within the request',
  );
  t.ok(mgmtLines.length >= 2, `${mgmtLines.length} lines of the session`);
  for (const l of mgmtLines) {
    t.equal(l.device, device.id, `"${l.msg}": our device id`);
    t.equal(l.deviceId, e.dev.deviceId, `"${l.msg}": the DeviceID`);
  }
  // The binding is the session request's own: later requests (the refused management POST, admin calls) do not name the device.
  const later = log.filter((l) => l.reqId && !mgmtReqs.has(l.reqId) && l.msg === 'request' && l.status >= 400);
  t.ok(
    later.some((l) => l.url === M),
    'a later management request is among them',
  );
  for (const l of later) t.notOk('device' in l || 'deviceId' in l, `${l.status} ${l.url}: no device`);

  const access4xx = log.filter((l) => l.msg === 'request' && l.status >= 400 && l.status < 500);
  t.ok(access4xx.length >= 5, `${access4xx.length} 4xx access lines`);
  for (const l of access4xx) t.ok(l.error?.code || l.error?.reason, `${l.status} ${l.url}: ${JSON.stringify(l.error)}`);
  const codeOf = (url: string, status: number) => access4xx.find((l) => l.url === url && l.status === status)?.error?.code;
  t.equal(codeOf('/api/v1/enrollment-accounts', 400), 'invalid', 'the schema refusal code');
  t.equal(codeOf('/api/v1/no-such-thing', 404), 'not_found');
  t.equal(codeOf('/api/v1/tenants', 401), 'unauthorized');
  t.match(access4xx.find((l) => l.url === M && l.status === 400)?.error, { reason: 'a SyncML message is required' }, 'device text refusals by reason');

  const failed = log.filter((l) => l.msg === 'admin authentication failed');
  t.equal(failed.length, 2, 'both failures logged');
  for (const l of failed) {
    t.equal(l.level, 40, 'at warn');
    t.equal(l.client, '127.0.0.1', 'with the client address');
  }
  t.same(failed.map((l) => l.reason).sort(), ['no authorization header', 'wrong token']);
  t.notOk(lines.join('').includes(wrong), 'never the presented token');
});
