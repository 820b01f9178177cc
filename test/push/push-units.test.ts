// Push in-process, without a fenestra server: the ChannelURI guard's refusals, what a channel
// read yields, the WNS client's answers to a token endpoint and channels that misbehave (a fake
// WNS or a tiny local server on loopback), and the push service's planning and refusals against
// an in-memory push store. Cheap paths the end-to-end tests do not take.
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import t, { type Test } from 'tap';
import type { PushChannelRecord } from '../../src/domain/push.js';
import { encrypt } from '../../src/identity/secret-box.js';
import { channelRefusal, MAX_CHANNEL_URI, pushNodes, readChannel } from '../../src/service/push/channel.js';
import { PushService } from '../../src/service/push/service.js';
import { WnsClient } from '../../src/service/push/wns-client.js';
import type { Store } from '../../src/store/types.js';
import { startFakeWns } from '../helpers/fake-wns.js';

/** A loopback server answering every request with `answer`. */
async function tinyServer(t: Test, answer: (res: http.ServerResponse) => void): Promise<string> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => answer(res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A port nothing listens on. */
async function closedPort(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return `http://127.0.0.1:${port}`;
}

t.test('channelRefusal: each refusal says why', async (t) => {
  const hosts = ['.notify.windows.com', '127.0.0.1:8080'];
  t.match(channelRefusal(`https://a.notify.windows.com/${'x'.repeat(MAX_CHANNEL_URI)}`, hosts), /longer than 2048/);
  t.equal(channelRefusal('not a url', hosts), 'not a URL');
  t.equal(channelRefusal('https://u:p@a.notify.windows.com/x', hosts), 'carries credentials');
  // The suffix itself (no label before it) is not a host under it.
  t.match(channelRefusal('https://notify.windows.com/x', hosts), /host notify\.windows\.com is not under/);
  t.match(channelRefusal('https://evil.example/x', hosts), /host evil\.example is not under/);
  // http only for a host listed by its exact name (here with its port), never by a suffix.
  t.match(channelRefusal('http://a.notify.windows.com/x', hosts), /scheme http: is not https/);
  t.equal(channelRefusal('http://127.0.0.1:8080/wns/x', hosts), undefined);
  t.equal(channelRefusal('https://DB5.Notify.Windows.com/?token=x', hosts), undefined);
});

t.test('readChannel: keeps a channel and a numeric status only', async (t) => {
  const n = pushNodes('fenestra');
  t.same(readChannel(undefined, 'fenestra'), {});
  t.same(
    readChannel(
      [
        { locUri: n.channel, data: '   ' },
        { locUri: n.status, data: 'not a number' },
      ],
      'fenestra',
    ),
    {},
  );
  t.same(
    readChannel(
      [
        { locUri: n.channel, data: ' https://a.notify.windows.com/x \n' },
        { locUri: n.status, data: ' 3 ' },
        { locUri: pushNodes('other').channel, data: 'https://elsewhere/' },
      ],
      'fenestra',
    ),
    { channel: 'https://a.notify.windows.com/x', status: 3 },
  );
});

const creds = { clientId: 'ms-app://s-1-15-2-1', clientSecret: `secret-${crypto.randomBytes(6).toString('hex')}` };

t.test('WnsClient: a token endpoint that misbehaves gives token-error, the secret never in it', async (t) => {
  const cases: [string, (res: http.ServerResponse) => void, RegExp, number | undefined][] = [
    [
      'refusal with an OAuth code',
      (res) => res.writeHead(400, { 'content-type': 'application/json' }).end(`{"error":"invalid_client","echo":"${creds.clientSecret}"}`),
      /^token endpoint answered 400 \(invalid_client\)$/,
      400,
    ],
    ['refusal without a code', (res) => res.writeHead(503).end('busy'), /^token endpoint answered 503$/, 503],
    ['not JSON', (res) => res.writeHead(200).end('<html>'), /not JSON/, 200],
    ['no access_token', (res) => res.writeHead(200).end('{"access_token":"has space"}'), /no usable access_token/, 200],
  ];
  for (const [name, answer, re, status] of cases) {
    const base = await tinyServer(t, answer);
    const c = new WnsClient({ ...creds, tokenUrl: `${base}/token` });
    const out = await c.send(`${base}/wns/x`);
    t.equal(out.result, 'token-error', name);
    t.match(out.detail, re, name);
    t.equal(out.status, status, name);
    t.notMatch(out.detail, creds.clientSecret, name);
  }
  const c = new WnsClient({ ...creds, tokenUrl: `${await closedPort()}/token` });
  const out = await c.send('http://127.0.0.1:1/wns/x');
  t.equal(out.result, 'token-error');
  t.match(out.detail, /^token endpoint unreachable: /);
});

t.test('WnsClient: a refused token request is not repeated for 30 s, then is', async (t) => {
  let calls = 0;
  const base = await tinyServer(t, (res) => {
    calls += 1;
    res.writeHead(401).end('{"error":"invalid_client"}');
  });
  let now = 1_000_000;
  const c = new WnsClient({ ...creds, tokenUrl: `${base}/token` }, { now: () => now });
  await t.rejects(c.accessToken(), /answered 401 \(invalid_client\)/);
  await t.rejects(c.accessToken(), /answered 401/);
  t.equal(calls, 1, 'the refusal is remembered');
  now += 30_001;
  await t.rejects(c.accessToken());
  t.equal(calls, 2, 'asked again once the wait is over');
});

t.test('WnsClient: a token without expires_in lives an hour less the margin', async (t) => {
  let calls = 0;
  const base = await tinyServer(t, (res) => {
    calls += 1;
    res.writeHead(200).end(`{"access_token":"tok${calls}"}`);
  });
  let now = 0;
  const c = new WnsClient({ ...creds, tokenUrl: `${base}/token` }, { now: () => now });
  t.equal(await c.accessToken(), 'tok1');
  now = 55 * 60_000 - 1;
  t.equal(await c.accessToken(), 'tok1', 'still cached before 55 min');
  now = 55 * 60_000;
  t.equal(await c.accessToken(), 'tok2', 'renewed at 55 min');
  c.dropToken('tok1');
  t.equal(await c.accessToken(), 'tok2', 'dropping a stale token keeps the current one');
});

t.test('WnsClient: each channel answer maps to its result', async (t) => {
  const wns = await startFakeWns(creds);
  t.teardown(() => wns.close());
  const c = new WnsClient({ ...creds, tokenUrl: wns.tokenUrl });
  const at = new Date(Date.now() + 120_000).toUTCString();
  const cases: [number, Record<string, string>, object][] = [
    [403, { 'x-wns-error-description': 'wrong PFN' }, { result: 'forbidden', status: 403, detail: 'wrong PFN' }],
    [404, {}, { result: 'gone', status: 404 }],
    [429, { 'retry-after': '7' }, { result: 'throttled', status: 429, retryAfterMs: 7000 }],
    [406, { 'retry-after': 'soon' }, { result: 'throttled', status: 406, retryAfterMs: undefined }],
    [400, {}, { result: 'error', status: 400, detail: 'channel answered 400' }],
  ];
  for (const [status, headers, want] of cases) {
    wns.failNext('x', status, headers);
    t.same(await c.send(wns.channelUrl('x')), want, `${status}`);
  }
  wns.failNext('x', 500, { 'retry-after': at, 'x-wns-notificationstatus': 'dropped' });
  const five = await c.send(wns.channelUrl('x'));
  t.equal(five.result, 'server-error');
  t.equal(five.detail, 'dropped');
  t.ok(five.retryAfterMs! > 100_000 && five.retryAfterMs! <= 120_000, 'an HTTP-date Retry-After is a delay from now');
  // A 401 twice: one new token, one retry, then its answer.
  wns.failNext('x', 401, {}, 2);
  t.equal((await c.send(wns.channelUrl('x'))).result, 'unauthorized');
  t.equal(wns.tokenRequests.length, 2);
  // A 401, then the token endpoint refuses the new token.
  wns.failNext('x', 401);
  wns.failTokens(400);
  t.match(await c.send(wns.channelUrl('x')), { result: 'token-error', status: 400 });
});

t.test('WnsClient: an unreachable or silent channel', async (t) => {
  const wns = await startFakeWns(creds);
  t.teardown(() => wns.close());
  const down = await c0(wns.tokenUrl).send(`${await closedPort()}/wns/x`);
  t.equal(down.result, 'error');
  t.ok(down.detail, 'the failure is said');
  const silent = await tinyServer(t, () => undefined);
  const c = new WnsClient({ ...creds, tokenUrl: wns.tokenUrl }, { timeoutMs: 150 });
  t.same(await c.send(`${silent}/wns/x`), { result: 'timeout', detail: 'no answer within 150 ms' });
});

t.test('WnsClient.cancel (shutdown): a token request or a notification under way ends as cancelled, and so does any later send', async (t) => {
  let hits = 0;
  const silent = await tinyServer(t, () => void hits++);
  const arrived = async (n: number) => {
    while (hits < n) await new Promise((r) => setTimeout(r, 5));
  };
  const waitingOnToken = new WnsClient({ ...creds, tokenUrl: `${silent}/token` });
  const p = waitingOnToken.send(`${silent}/wns/x`);
  await arrived(1);
  waitingOnToken.cancel();
  t.same(await p, { result: 'cancelled', detail: 'server shutting down' });

  const wns = await startFakeWns(creds);
  t.teardown(() => wns.close());
  const waitingOnChannel = new WnsClient({ ...creds, tokenUrl: wns.tokenUrl });
  const q = waitingOnChannel.send(`${silent}/wns/x`);
  await arrived(2);
  waitingOnChannel.cancel();
  t.same(await q, { result: 'cancelled', detail: 'server shutting down' });
  t.same(await waitingOnChannel.send(wns.channelUrl('x')), { result: 'cancelled', detail: 'server shutting down' }, 'nothing sent after cancel');
  t.equal(wns.notifications.length, 0);
});

function c0(tokenUrl: string) {
  return new WnsClient({ ...creds, tokenUrl });
}

/** A push service over an in-memory push store (the only part of the store it uses). */
function service(now = new Date('2026-01-01T00:00:00Z')) {
  const recs = new Map<string, PushChannelRecord>();
  const store = {
    push: {
      get: async (pk: string) => (recs.has(pk) ? structuredClone(recs.get(pk)) : undefined),
      put: async (r: PushChannelRecord) => void recs.set(r.devicePk, structuredClone(r)),
    },
  } as unknown as Store;
  const sealKey = crypto.randomBytes(32);
  const results: string[] = [];
  const svc = new PushService({
    store,
    sealKey,
    log: pino({ level: 'silent' }),
    now: () => now,
    onResult: (r) => results.push(r),
    settings: { pfn: 'P_1', clientId: 'c', clientSecret: 's', tokenUrl: 'http://127.0.0.1:1/t', channelHosts: ['.notify.windows.com'], providerId: 'fenestra' },
  });
  return { svc, recs, sealKey, results };
}

const base: PushChannelRecord = {
  devicePk: 'd',
  channelState: 'ok',
  pfn: 'P_1',
  failures: 0,
  reportedAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
};

t.test('PushService.unusable: each reason', async (t) => {
  const { svc } = service();
  t.match(svc.unusable(undefined), /not reported a push channel/);
  t.match(svc.unusable({ ...base, reportedAt: undefined }), /not reported a push channel/);
  t.match(svc.unusable({ ...base, channelState: 'refused' }), /refused \(not an allowed host\)/);
  t.match(svc.unusable({ ...base, channelState: 'refused', lastResult: 'refused: x' }), /refused \(refused: x\)/);
  t.match(svc.unusable({ ...base, channelState: 'gone' }), /channel is gone/);
  t.match(svc.unusable({ ...base, channelState: 'device-error' }), /push status \? /);
  t.match(svc.unusable({ ...base, channelState: 'device-error', deviceStatus: 5 }), /push status 5 /);
  t.equal(svc.unusable(base), 'no channel stored');
  t.match(svc.unusable({ ...base, sealedChannel: 'v1.x', pfn: 'old' }), /not taken the current PFN/);
  t.equal(svc.unusable({ ...base, sealedChannel: 'v1.x' }), undefined);
});

t.test('PushService.plan: when the channel is read again', async (t) => {
  const { svc, recs } = service();
  const at = '2026-01-01T01:00:00Z';
  const actions = async () => (await svc.plan('d', at, [])).map((c) => c.action);
  t.same(await actions(), ['push-pfn', 'push-channel'], 'first session: PFN and read');
  recs.set('d', { ...base, sealedChannel: 'v1.x' });
  t.same(await actions(), [], 'usable and read an hour ago');
  recs.set('d', { ...base, channelState: 'none', reportedAt: '2026-01-01T00:55:00Z' });
  t.same(await actions(), [], 'unusable but read five minutes ago');
  recs.set('d', { ...base, channelState: 'none', reportedAt: '2026-01-01T00:49:00Z' });
  t.same(await actions(), ['push-channel'], 'unusable, read over ten minutes ago; PFN already set');
  recs.set('d', { ...base, channelState: 'gone', reportedAt: '2026-01-01T00:59:00Z', lastPushAt: '2026-01-01T00:59:30Z' });
  t.same(await actions(), ['push-channel'], 'WNS called it gone after the last read');
  recs.set('d', { ...base, channelState: 'gone', reportedAt: '2026-01-01T00:59:00Z', lastPushAt: '2026-01-01T00:58:00Z' });
  t.same(await actions(), [], 'gone before the last read: wait the ten minutes');
});

t.test('PushService.answered: a 418 PFN is not taken; a failed read with no channel is none', async (t) => {
  const { svc, recs } = service();
  const pfn = (await svc.plan('d', '2026-01-01T00:00:00Z', []))[0];
  const read = (await svc.plan('d', '2026-01-01T00:00:00Z', []))[1];
  const cmds = new Map([
    [pfn.id, pfn],
    [read.id, read],
  ]);
  await svc.answered('d', [{ commandId: pfn.id, state: 'acked', requeueAs: { kind: 'Replace', items: [] } }], cmds, '2026-01-01T00:00:01Z');
  t.equal(recs.get('d'), undefined, 'nothing recorded for a PFN sent again as Replace');
  await svc.answered('d', [{ commandId: read.id, state: 'failed', results: [] }], cmds, '2026-01-01T00:00:02Z');
  t.match(recs.get('d'), { channelState: 'none', pfn: undefined, reportedAt: '2026-01-01T00:00:02Z' });
  const n = pushNodes('fenestra');
  await svc.answered(
    'd',
    [
      {
        commandId: read.id,
        state: 'acked',
        results: [
          { locUri: n.channel, data: 'https://a.notify.windows.com/x' },
          { locUri: n.status, data: '2' },
        ],
      },
    ],
    cmds,
    '2026-01-01T00:00:03Z',
  );
  t.match(recs.get('d'), { channelState: 'device-error', deviceStatus: 2, channelHost: 'a.notify.windows.com' });
});

t.test('PushService.push: skipped for backoff, an unreadable seal or a host no longer allowed', async (t) => {
  const { svc, recs, sealKey, results } = service();
  recs.set('d', { ...base, sealedChannel: encrypt('https://a.notify.windows.com/x', sealKey), backoffUntil: '2026-01-01T00:05:00Z' });
  t.equal(await svc.push('d', 'test'), 'skipped');
  recs.set('d', { ...base, sealedChannel: 'v1.AAAA' });
  t.equal(await svc.push('d', 'test'), 'skipped');
  recs.set('d', { ...base, sealedChannel: encrypt('https://evil.example/x', sealKey) });
  t.equal(await svc.push('d', 'test'), 'skipped');
  t.same(results, ['backoff', 'no-channel', 'no-channel']);
  const h = await svc.health('nobody');
  t.match(h, { channel: 'none', channelHost: null, consecutiveFailures: 0, usable: false });
});

t.test('PushService: a failing store neither breaks the session nor rejects a push; a non-URL channel is refused', async (t) => {
  const { svc, recs } = service();
  const [, read] = await svc.plan('d', '2026-01-01T00:00:00Z', []);
  const cmds = new Map([[read.id, read]]);
  const n = pushNodes('fenestra');
  await svc.answered('d', [{ commandId: read.id, state: 'acked', results: [{ locUri: n.channel, data: 'no scheme here' }] }], cmds, '2026-01-01T00:00:01Z');
  t.match(recs.get('d'), { channelState: 'refused', channelHost: undefined, sealedChannel: undefined, lastResult: 'refused: not a URL' });
  const errors: string[] = [];
  const failing = new PushService({
    sealKey: crypto.randomBytes(32),
    settings: { pfn: 'P_1', clientId: 'c', clientSecret: 's', tokenUrl: 'http://127.0.0.1:1/t', channelHosts: ['.notify.windows.com'], providerId: 'fenestra' },
    store: {
      push: {
        get: () => Promise.reject(new Error('db down')),
        put: () => Promise.reject(new Error('db down')),
      },
    } as unknown as Store,
    log: pino({ level: 'error' }, { write: (line: string) => void errors.push(line) }),
  });
  await failing.answered('d', [{ commandId: read.id, state: 'acked', results: [] }], cmds, '2026-01-01T00:00:02Z');
  t.equal(await failing.push('d', 'test'), 'error');
  t.equal(errors.length, 2);
  t.match(errors[0], /recording the channel failed/);
  t.match(errors[1], /push failed/);
});
