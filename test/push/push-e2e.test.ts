// Done means (#12, "Push"): a device enrolled earlier takes our PFN and reports a channel at its
// first check-in; an admin queues a wipe; the fake WNS receives a raw notification with a valid
// bearer token; the device checks in on that notification (and only then: no polling) and the
// wipe is delivered — all within 5 s of the admin's request.
import t from 'tap';
import { PFN, PUSH_NODE, pushSetup } from './helpers.js';

t.test('a queued wipe reaches an enrolled device through push within seconds', async (t) => {
  const { s, wns, health, enroll } = await pushSetup(t);
  const dev = await enroll();

  // First check-in: the server sets the PFN and reads the channel.
  const first = await dev.checkin();
  t.equal(first.outcome, 'complete');
  t.equal(dev.tree.read(`${PUSH_NODE}/PFN`)?.data, PFN, 'the device has our PFN');
  const h = await health(dev.deviceId);
  t.match(h, { configured: true, channel: 'ok', channelHost: new URL(wns.baseUrl).host, deviceStatus: 0, usable: true, consecutiveFailures: 0 });
  t.notOk(JSON.stringify(h).includes('/wns/'), 'the device detail never shows the channel itself');
  t.equal(wns.notifications.length, 0, 'nothing pushed yet');

  // The device checks in when (and only when) WNS notifies it.
  const checkins: Promise<Awaited<ReturnType<typeof dev.checkin>>>[] = [];
  wns.events.on('notification', (channel: string) => {
    if (channel === dev.deviceId) checkins.push(dev.checkin({ initiator: '1200' }));
  });
  const start = Date.now();
  const q = await s.admin('POST', `/api/v1/devices/${dev.deviceId}/commands`, { action: 'wipe' });
  t.equal(q.status, 201, JSON.stringify(q.json));
  const answeredIn = Date.now() - start;

  const n = await wns.waitFor(dev.deviceId, 1, 5000);
  t.ok(n.tokenValid, 'the notification carries a bearer token the token endpoint issued');
  t.equal(n.headers['x-wns-type'], 'wns/raw');
  t.equal(n.headers['content-type'], 'application/octet-stream');
  t.match(n.headers.authorization, /^Bearer \S+$/);
  t.equal(n.status, 200);
  t.equal(wns.tokenRequests.length, 1);
  t.match(wns.tokenRequests[0], {
    contentType: 'application/x-www-form-urlencoded',
    form: { grant_type: 'client_credentials', client_id: /^ms-app:\/\//, scope: 'notify.windows.com' },
  });

  const end = Date.now() + 5000;
  while (checkins.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
  t.equal(checkins.length, 1, 'one check-in, triggered by the notification');
  const session = await checkins[0];
  const latency = Date.now() - start;
  t.equal(session.outcome, 'complete');
  t.ok(
    session.execs.some((x) => /\/RemoteWipe\/doWipe$/.test(x.target)),
    'the wipe is delivered (Exec RemoteWipe/doWipe)',
  );
  t.ok(dev.wiped);
  t.ok(latency < 5000, `end-to-end ${latency} ms (< 5 s); the admin was answered in ${answeredIn} ms`);

  const after = await health(dev.deviceId);
  t.match(after, { channel: 'ok', lastResult: 'sent', consecutiveFailures: 0 });
  t.ok(after.lastPushAt);
  const list = (await s.admin('GET', `/api/v1/devices/${dev.deviceId}/commands`)).json.commands as any[];
  t.match(
    list.find((c) => c.action === 'wipe'),
    { state: 'acked' },
  );
  const metrics = await s.request('/metrics', { headers: { authorization: `Bearer ${s.adminToken}` } });
  t.match(metrics.text(), /fenestra_pushes_total\{result="sent"\} 1\b/);
});

t.test('manual push: audited, 202; a device without a channel gets a 409 that says why', async (t) => {
  const { s, wns, enroll } = await pushSetup(t);
  const dev = await enroll();
  const none = await s.admin('POST', `/api/v1/devices/${dev.deviceId}/push`);
  t.equal(none.status, 409, 'no channel before the first check-in');
  t.match(none.json, { error: { code: 'no_push_channel', message: /not reported a push channel/ } });
  t.equal((await s.admin('POST', '/api/v1/devices/nope/push')).status, 404);

  await dev.checkin();
  const r = await s.admin('POST', `/api/v1/devices/${dev.deviceId}/push`);
  t.equal(r.status, 202, JSON.stringify(r.json));
  t.match(r.json, { deviceId: dev.deviceId, push: 'started' });
  const n = await wns.waitFor(dev.deviceId);
  t.ok(n.tokenValid);
  const audit = (await s.admin('GET', '/api/v1/audit?limit=10')).json.entries as any[];
  t.ok(audit.some((e) => e.action === 'device.push' && e.actor.startsWith('break-glass@')));
});

t.test('push not configured: the manual push is a 409 naming the variables, the device detail says so', async (t) => {
  const { startTestServer } = await import('../helpers/server.js');
  const { enrollEntraDevice } = await import('../helpers/enrolled.js');
  const s = await startTestServer();
  t.teardown(() => s.close());
  const d = await enrollEntraDevice(s, await s.connectTenant());
  const r = await s.admin('POST', `/api/v1/devices/${d.dev.deviceId}/push`);
  t.equal(r.status, 409);
  t.match(r.json, { error: { code: 'push_not_configured', message: /FENESTRA_WNS_PFN/ } });
  t.same((await s.admin('GET', `/api/v1/devices/${d.dev.deviceId}`)).json.push, { configured: false });
});
