// Push when WNS or the device does not cooperate: a token that expired (one new token, one
// retry), a channel WNS calls gone (no more pushes until the device reports a new one), WNS
// throttling (back-off: no push until it is over), a ChannelURI on a host we do not allow
// (refused, never contacted), and the client secret never in a log line.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import type { TestServer } from '../helpers/server.js';
import { pushSetup } from './helpers.js';

/** /metrics once it matches `re` (background pushes are counted when done), at most 5 s. */
async function metricUntil(s: TestServer, re: RegExp): Promise<string> {
  const end = Date.now() + 5000;
  for (;;) {
    const text = (await s.request('/metrics', { headers: { authorization: `Bearer ${s.adminToken}` } })).text();
    if (re.test(text)) return text;
    if (Date.now() > end) throw new Error(`/metrics never matched ${re}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

t.test('a token WNS calls expired: one new token, one retry', async (t) => {
  const { s, wns, enroll, healthUntil } = await pushSetup(t);
  const dev = await enroll();
  await dev.checkin();
  t.equal((await s.admin('POST', `/api/v1/devices/${dev.deviceId}/commands`, { action: 'reboot' })).status, 201);
  await wns.waitFor(dev.deviceId, 1);
  t.equal(wns.tokenRequests.length, 1);
  // Each push is recorded before the next one starts (one in flight per device covers the others).
  let last = (await healthUntil(dev.deviceId, (h) => h.lastResult === 'sent')).lastPushAt;
  const recorded = async (ok: (h: any) => boolean) => {
    const h = await healthUntil(dev.deviceId, (x) => x.lastPushAt !== last && ok(x));
    last = h.lastPushAt;
    return h;
  };

  // The cached token is used again while valid…
  t.equal((await s.admin('POST', `/api/v1/devices/${dev.deviceId}/commands`, { action: 'sync' })).status, 201);
  await wns.waitFor(dev.deviceId, 2);
  t.equal(wns.tokenRequests.length, 1, 'the token is cached');
  await recorded((h) => h.lastResult === 'sent');

  // …until WNS says it expired (401): one new token, and the same notification again.
  wns.expireTokens();
  t.equal((await s.admin('POST', `/api/v1/devices/${dev.deviceId}/push`)).status, 202);
  const refused = await wns.waitFor(dev.deviceId, 3);
  t.equal(refused.status, 401);
  const retried = await wns.waitFor(dev.deviceId, 4);
  t.equal(retried.status, 200);
  t.ok(retried.tokenValid, 'the retry carries the new token');
  t.equal(wns.tokenRequests.length, 2, 'one new token');
  await recorded((h) => h.lastResult === 'sent' && h.consecutiveFailures === 0);

  // A channel that keeps answering 401: one retry only, recorded as a failure.
  wns.failNext(dev.deviceId, 401, {}, 5);
  t.equal((await s.admin('POST', `/api/v1/devices/${dev.deviceId}/push`)).status, 202);
  const h = await recorded((x) => x.consecutiveFailures === 1);
  t.match(h, { lastResult: 'unauthorized (401)', channel: 'ok' });
  t.equal(wns.notifications.length, 6, 'two attempts, no storm');
  t.equal(wns.tokenRequests.length, 3);
});

t.test('410: the channel is gone, no push until the device reports a new one', async (t) => {
  const { s, wns, enroll, healthUntil } = await pushSetup(t);
  const dev = await enroll();
  await dev.checkin();
  wns.failNext(dev.deviceId, 410);
  t.equal((await s.admin('POST', `/api/v1/devices/${dev.deviceId}/commands`, { action: 'reboot' })).status, 201);
  t.equal((await wns.waitFor(dev.deviceId)).status, 410);
  const h = await healthUntil(dev.deviceId, (x) => x.channel === 'gone');
  t.match(h, { usable: false, lastResult: 'gone (410)', consecutiveFailures: 1 });

  const again = await s.admin('POST', `/api/v1/devices/${dev.deviceId}/push`);
  t.equal(again.status, 409, 'no push to a gone channel');
  t.match(again.json, { error: { code: 'no_push_channel', message: /gone/ } });
  t.equal((await s.admin('POST', `/api/v1/devices/${dev.deviceId}/commands`, { action: 'wipe' })).status, 201);
  await metricUntil(s, /fenestra_pushes_total\{result="no-channel"\} 1\b/);
  t.equal(wns.notifications.length, 1, 'an urgent command does not push to it either');

  // Windows got a new channel: the next session reads it, and pushes go there.
  dev.channel.url = wns.channelUrl(`${dev.deviceId}-2`);
  const session = await dev.checkin();
  t.ok(dev.wiped, 'the queued wipe went out at the next check-in meanwhile');
  t.equal(session.outcome, 'complete');
  await healthUntil(dev.deviceId, (x) => x.channel === 'ok' && x.consecutiveFailures === 0);
  t.equal((await s.admin('POST', `/api/v1/devices/${dev.deviceId}/push`)).status, 202);
  t.equal((await wns.waitFor(`${dev.deviceId}-2`)).status, 200, 'pushed to the new channel');
});

t.test('406 throttled and 5xx: back off (nothing sent until it is over)', async (t) => {
  const { s, wns, enroll, healthUntil } = await pushSetup(t);
  const dev = await enroll();
  await dev.checkin();
  wns.failNext(dev.deviceId, 406);
  t.equal((await s.admin('POST', `/api/v1/devices/${dev.deviceId}/commands`, { action: 'reboot' })).status, 201);
  const h = await healthUntil(dev.deviceId, (x) => x.consecutiveFailures === 1);
  t.match(h, { lastResult: 'throttled (406)', channel: 'ok', usable: true });
  t.ok(Date.parse(h.backoffUntil) > Date.now(), 'backing off');
  // Another urgent command while backing off: counted, not sent.
  t.equal((await s.admin('POST', `/api/v1/devices/${dev.deviceId}/commands`, { action: 'sync' })).status, 201);
  const text = await metricUntil(s, /fenestra_pushes_total\{result="backoff"\} 1\b/);
  t.match(text, /fenestra_pushes_total\{result="backoff"\} 1\b/);
  t.match(text, /fenestra_pushes_total\{result="throttled"\} 1\b/);
  t.equal(wns.notifications.length, 1, 'nothing sent while backing off');

  const other = await enroll();
  await other.checkin();
  wns.failNext(other.deviceId, 503, { 'retry-after': '120' });
  t.equal((await s.admin('POST', `/api/v1/devices/${other.deviceId}/push`)).status, 202);
  const h2 = await healthUntil(other.deviceId, (x) => x.consecutiveFailures === 1);
  t.equal(h2.lastResult, 'server-error (503)');
  const wait = Date.parse(h2.backoffUntil) - Date.parse(h2.lastPushAt);
  t.ok(wait >= 119_000 && wait <= 121_000, `Retry-After honoured (${wait} ms)`);
});

t.test('a ChannelURI on a host we do not allow is refused, and never contacted', async (t) => {
  const hits: string[] = [];
  const foreign = http.createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    res.end();
  });
  await new Promise<void>((r) => foreign.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => foreign.close(() => r())));
  const port = (foreign.address() as AddressInfo).port;
  const { s, enroll, health } = await pushSetup(t);

  // The same machine under another name than the allowed 127.0.0.1, and a non-https scheme.
  for (const url of [`http://localhost:${port}/wns/x`, `ftp://127.0.0.1:${port}/wns/x`, `http://user:pw@127.0.0.1:${port}/wns/x`]) {
    const dev = await enroll(() => url);
    await dev.checkin();
    const h = await health(dev.deviceId);
    t.match(h, { channel: 'refused', usable: false, lastResult: /^refused: / }, url);
    const r = await s.admin('POST', `/api/v1/devices/${dev.deviceId}/push`);
    t.equal(r.status, 409);
    t.match(r.json, { error: { code: 'no_push_channel', message: /refused/ } });
    t.equal((await s.admin('POST', `/api/v1/devices/${dev.deviceId}/commands`, { action: 'wipe' })).status, 201);
  }
  // Pushes are in the background: give them the chance to (wrongly) happen, through a metric.
  t.match(await metricUntil(s, /fenestra_pushes_total\{result="no-channel"\} 3\b/), /no-channel/);
  t.same(hits, [], 'no request reached the foreign host');
});

t.test('the client secret is never in a log line', async (t) => {
  const lines: string[] = [];
  const { s, wns, enroll, secret, healthUntil } = await pushSetup(t, { FENESTRA_LOG_LEVEL: 'debug' }, { logSink: { write: (l) => void lines.push(l) } });
  const dev = await enroll();
  await dev.checkin();
  t.equal((await s.admin('POST', `/api/v1/devices/${dev.deviceId}/push`)).status, 202);
  await wns.waitFor(dev.deviceId);
  await healthUntil(dev.deviceId, (h) => h.lastResult === 'sent');
  // A token endpoint that refuses us, after an expired token: the error is logged, not the secret.
  wns.expireTokens();
  wns.failTokens(400);
  t.equal((await s.admin('POST', `/api/v1/devices/${dev.deviceId}/push`)).status, 202);
  await healthUntil(dev.deviceId, (h) => h.lastResult?.startsWith('token-error'));
  t.ok(lines.length > 10, 'logs were captured');
  t.ok(
    lines.some((l) => l.includes('"push"') && l.includes('token-error')),
    'the failure is logged',
  );
  t.notOk(
    lines.some((l) => l.includes(secret)),
    'no line holds the secret',
  );
  // Refused credentials are not tried again for every push (another device, at once): no storm.
  const asked = wns.tokenRequests.length;
  const other = await enroll();
  await other.checkin();
  t.equal((await s.admin('POST', `/api/v1/devices/${other.deviceId}/push`)).status, 202);
  t.match(await healthUntil(other.deviceId, (h) => h.lastResult !== null), { lastResult: /^token-error/ });
  t.equal(wns.tokenRequests.length, asked, 'no new token request within 30 s of a refused one');
  t.ok(
    wns.tokenRequests.every((r) => r.form.client_secret === secret),
    'the secret went only to the token endpoint',
  );
});
