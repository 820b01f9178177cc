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
