// Graceful shutdown (SIGTERM): a request in flight is answered, new connections are refused, the
// process exits 0, and what the last sessions wrote — including write-behind traces — is there
// after a restart.
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { SimDevice } from '../../src/sim/device.js';
import { startChildServer } from '../helpers/child-server.js';

const CRED = { kind: 'password' as const, username: 'stop@contoso.com', password: 'stop-password-1' };

t.test('SIGTERM lets in-flight requests finish', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-stop-'));
  let s = await startChildServer({ dir });
  t.teardown(async () => {
    s.child.kill('SIGKILL');
    await s.exited;
    fs.rmSync(dir, { recursive: true, force: true });
  });
  t.equal((await s.admin('POST', '/api/v1/enrollment-accounts', { username: CRED.username, password: CRED.password })).status, 201);
  const d = await SimDevice.create({ url: s.url, ca: s.ca(), connectTo: s.connectTo, credential: CRED });
  await d.enroll();
  const last = await d.checkin();
  t.equal(last.outcome, 'complete');

  // A discovery request whose body is still arriving when SIGTERM comes.
  const body = Buffer.from(
    `<s:Envelope xmlns:a="http://www.w3.org/2005/08/addressing" xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Header><a:Action s:mustUnderstand="1">http://schemas.microsoft.com/windows/management/2012/01/enrollment/IDiscoveryService/Discover</a:Action><a:MessageID>urn:uuid:${crypto.randomUUID()}</a:MessageID><a:To s:mustUnderstand="1">${s.url}/EnrollmentServer/Discovery.svc</a:To></s:Header><s:Body><Discover xmlns="http://schemas.microsoft.com/windows/management/2012/01/enrollment"><request xmlns:i="http://www.w3.org/2001/XMLSchema-instance"><EmailAddress>stop@contoso.com</EmailAddress><RequestVersion>5.0</RequestVersion><DeviceType>CIMClient_Windows</DeviceType><ApplicationVersion>10.0.19045.0</ApplicationVersion><OSEdition>48</OSEdition><AuthPolicies><AuthPolicy>OnPremise</AuthPolicy></AuthPolicies></request></Discover></s:Body></s:Envelope>`,
  );
  const inflight = new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port: s.port,
        servername: new URL(s.url).hostname,
        ca: s.ca(),
        method: 'POST',
        path: '/EnrollmentServer/Discovery.svc',
        headers: { 'content-type': 'application/soap+xml; charset=utf-8', 'content-length': body.length },
        agent: false,
      },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.write(body.subarray(0, 200));
    setTimeout(() => {
      s.child.kill('SIGTERM');
      setTimeout(() => req.end(body.subarray(200)), 500);
    }, 300);
  });
  const r = await inflight;
  t.equal(r.status, 200, 'the in-flight request is answered');
  t.match(r.text, /DiscoverResponse/);
  const exit = await s.exited;
  t.same(exit, { code: 0, signal: null }, 'exit 0 after finishing');
  await t.rejects(s.request('/healthz'), 'new connections are refused once stopped');

  s = await startChildServer({ dir, port: s.port, token: s.token });
  const traces = (await s.admin('GET', `/api/v1/devices/${d.deviceId}/sessions?limit=50`)).json.messages;
  t.ok(
    traces.some((m: any) => m.sessionId === last.sessionId),
    'the last session before the stop is in the trace (write-behind flushed)',
  );
  const dev = (await s.admin('GET', `/api/v1/devices/${d.deviceId}`)).json;
  t.ok(dev.lastSeenAt, 'last-seen time kept');
});
