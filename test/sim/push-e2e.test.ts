// Done means (#12): a device enrolled earlier by `fenestra sim enroll --state` gets a queued wipe
// within seconds through push — the real server's push service (WNS token from a fake token
// endpoint) notifies the channel the simulator's push listener serves, and `fenestra sim checkin
// --push-listen` checks the device in at once.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { startFakeWns } from '../helpers/fake-wns.js';
import { runSimHere as sim } from '../helpers/run-sim.js';
import { AUDIENCE, startTestServer } from '../helpers/server.js';

t.test('a queued wipe reaches a saved device through the simulator’s push channel', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-sim-push-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const clientId = 'ms-app://s-1-15-2-1111111111-2222222222-3333333333';
  const secret = `wns-secret-${crypto.randomBytes(12).toString('hex')}`;
  const wns = await startFakeWns({ clientId, clientSecret: secret });
  t.teardown(() => wns.close());
  const s = await startTestServer({
    FENESTRA_WNS_PFN: 'Fenestra.Mdm_8wekyb3d8bbwe',
    FENESTRA_WNS_CLIENT_ID: clientId,
    FENESTRA_WNS_CLIENT_SECRET: secret,
    FENESTRA_WNS_TOKEN_URL: wns.tokenUrl,
    FENESTRA_WNS_CHANNEL_HOSTS: '127.0.0.1',
  });
  t.teardown(() => s.close());
  const tid = await s.connectTenant();
  const ca = path.join(dir, 'ca.pem');
  fs.writeFileSync(ca, s.caPem);
  const tokens = path.join(dir, 'join.txt');
  fs.writeFileSync(tokens, await s.entra.mintToken({ tid, aud: AUDIENCE, deviceid: crypto.randomUUID() }));
  const state = path.join(dir, 'fleet.json');
  const connect = `127.0.0.1:${s.server.port}`;

  // Enrolled earlier, with no push listener: its first sessions carry no channel.
  const e = await sim(['enroll', '--url', s.publicUrl, '--connect', connect, '--ca', ca, '--entra-token-file', tokens, '--checkins', '0', '--state', state]);
  t.equal(e.code, 0, e.out);
  const deviceId: string = JSON.parse(fs.readFileSync(state, 'utf8')).devices[0].deviceId;

  let queued: Promise<{ status: number }> | undefined;
  let start = 0;
  const r = await sim(['checkin', '--state', state, '--connect', connect, '--push-listen', '127.0.0.1:0', '--duration', '20s'], (text) => {
    // The first check-in gave the server our PFN's channel; now the admin queues a wipe.
    if (!queued && /waiting for pushes/.test(text)) {
      start = Date.now();
      queued = s.admin('POST', `/api/v1/devices/${deviceId}/commands`, { action: 'wipe' });
    }
    return /wiped; it will not check in again/.test(text);
  });
  const latency = Date.now() - start;
  t.equal((await queued)?.status, 201);
  t.equal(r.code, 0, r.out);
  t.match(r.out, new RegExp(`push → device ${deviceId} checked in`));
  t.match(r.out, new RegExp(`device ${deviceId}: Exec \\./Device/Vendor/MSFT/RemoteWipe/doWipe → 200`));
  t.match(r.out, /pushes taken 1/);
  t.ok(latency < 5000, `wipe delivered ${latency} ms after it was queued (< 5 s)`);
  const cmd = ((await s.admin('GET', `/api/v1/devices/${deviceId}/commands`)).json.commands as { action?: string; state: string }[]).find(
    (c) => c.action === 'wipe',
  );
  t.equal(cmd?.state, 'acked');
  t.equal(JSON.parse(fs.readFileSync(state, 'utf8')).devices[0].wiped, true, 'the state file knows the device was wiped');
});

t.test('without push: a shortened schedule brings a queued wipe to a saved device', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-sim-poll-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const s = await startTestServer();
  t.teardown(() => s.close());
  const tid = await s.connectTenant();
  const ca = path.join(dir, 'ca.pem');
  fs.writeFileSync(ca, s.caPem);
  const tokens = path.join(dir, 'join.txt');
  fs.writeFileSync(tokens, await s.entra.mintToken({ tid, aud: AUDIENCE, deviceid: crypto.randomUUID() }));
  const state = path.join(dir, 'fleet.json');
  const connect = `127.0.0.1:${s.server.port}`;
  const e = await sim(['enroll', '--url', s.publicUrl, '--connect', connect, '--ca', ca, '--entra-token-file', tokens, '--state', state]);
  t.equal(e.code, 0, e.out);
  const deviceId: string = JSON.parse(fs.readFileSync(state, 'utf8')).devices[0].deviceId;

  // Every minute, for ever (the default starts with 3 minutes, then 15, then 8 hours).
  const every = { intervalMinutes: 1, count: 0 };
  const put = await s.admin('PUT', '/api/v1/settings/checkin-schedule', {
    firstRetries: { intervalMinutes: 1, count: 2 },
    secondRetries: { intervalMinutes: 0, count: 0 },
    regular: every,
    pollOnLogin: true,
    allUsersPollOnFirstLogin: true,
  });
  t.equal(put.status, 200, JSON.stringify(put.json));

  // The device follows its Poll nodes, a minute lasting 50 ms here.
  let queued: Promise<{ status: number }> | undefined;
  let start = 0;
  const r = await sim(['run', '--state', state, '--connect', connect, '--time-scale', '1200', '--duration', '20s'], (text) => {
    if (!queued && /IntervalForFirstSetOfRetries → 200/.test(text)) {
      start = Date.now();
      queued = s.admin('POST', `/api/v1/devices/${deviceId}/commands`, { action: 'wipe' });
    }
    return /wiped; it will not check in again/.test(text);
  });
  const latency = Date.now() - start;
  t.equal((await queued)?.status, 201);
  t.equal(r.code, 0, r.out);
  t.match(r.out, new RegExp(`device ${deviceId}: Exec \\./Device/Vendor/MSFT/RemoteWipe/doWipe → 200`));
  t.ok(latency < 5000, `wipe delivered ${latency} ms after it was queued (< 5 s)`);
  t.match(JSON.parse(fs.readFileSync(state, 'utf8')).devices[0].poll, { schedule: /^1x2,0x0,1x0$/ }, 'the device holds the new schedule');
});
