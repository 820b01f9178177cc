// #12: a graceful close waits for pushes in flight before it closes the store, so a push is not
// cut mid-way and its outcome is recorded; the wait is bounded: past it, pushes still waiting on
// WNS are ended and recorded as cancelled. The device's channel points at a local endpoint that
// holds each notification until the test answers it (a WNS that answers slowly).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import t, { type Test } from 'tap';
import { openStore } from '../../src/store/open.js';
import { pushSetup } from './helpers.js';

/** A channel endpoint that answers nothing until told: `held` are the responses waiting. */
async function slowChannel(t: Test) {
  const held: http.ServerResponse[] = [];
  const arrived: (() => void)[] = [];
  const server = http.createServer((req, res) => {
    req.resume();
    held.push(res);
    for (const f of arrived.splice(0)) f();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/wns/slow`,
    held,
    /** Resolves once a notification is being held. */
    next: () => new Promise<void>((resolve) => (held.length ? resolve() : arrived.push(resolve))),
  };
}

/** The push row of a device in the closed server's database. */
async function pushRecord(dir: string, deviceId: string) {
  const store = await openStore({ kind: 'sqlite', file: path.join(dir, 'data', 'fenestra.db') });
  try {
    const d = await store.devices.getByDeviceId(deviceId);
    return await store.push.get(d!.id);
  } finally {
    await store.close();
  }
}

async function until(ok: () => boolean, ms = 5000) {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error('condition never met');
    await new Promise((r) => setTimeout(r, 5));
  }
}

t.test('close waits for a push in flight: the store closes after its outcome is recorded', async (t) => {
  const ch = await slowChannel(t);
  const { s, enroll } = await pushSetup(t, {}, { database: 'sqlite' });
  const dev = await enroll(() => ch.url);
  await dev.checkin();
  t.equal((await s.admin('POST', `/api/v1/devices/${dev.deviceId}/commands`, { action: 'wipe' })).status, 201);
  await ch.next();

  // Record whether the push was still waiting on WNS when the store was closed.
  const store = s.server.store;
  const storeClose = store.close.bind(store);
  let pushPendingAtStoreClose: boolean | undefined;
  store.close = () => {
    pushPendingAtStoreClose = !ch.held[0].writableEnded;
    return storeClose();
  };
  let closed = false;
  const closing = s.server.close().then(() => (closed = true));
  // The listeners are closed: what is left is the push, then the store.
  await until(() => !s.server.app.server.listening);
  t.notOk(closed, 'close is still waiting');
  ch.held[0].writeHead(200, { 'x-wns-notificationstatus': 'received' }).end();
  await closing;
  t.equal(pushPendingAtStoreClose, false, 'the store closed only once the push was answered');
  t.match(await pushRecord(s.dir, dev.deviceId), { lastResult: 'sent', failures: 0 }, 'its outcome is in the store');
});

t.test('the wait is bounded: a push WNS never answers is cut and recorded as cancelled (no failure, no backoff)', async (t) => {
  const ch = await slowChannel(t);
  const { s, enroll } = await pushSetup(t, {}, { database: 'sqlite', start: { pushDrainMs: 200 } });
  const dev = await enroll(() => ch.url);
  await dev.checkin();
  t.equal((await s.admin('POST', `/api/v1/devices/${dev.deviceId}/push`)).status, 202);
  await ch.next();
  const start = Date.now();
  await s.server.close();
  const took = Date.now() - start;
  t.ok(took < 3000, `closed in ${took} ms`);
  const rec = await pushRecord(s.dir, dev.deviceId);
  t.match(rec, { lastResult: 'cancelled', failures: 0 });
  t.notOk(rec?.backoffUntil, 'no backoff for the next process');
});
