// FENESTRA_WORKERS=2: the real CLI starts a primary and two workers sharing the port and one
// SQLite file. Devices enroll and hold sessions whose messages arrive on new connections —
// spread over both workers — and every session completes: its state lives in the store.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { SimDevice } from '../../src/sim/device.js';
import { httpsRequest } from '../../src/sim/https-client.js';
import { startChildServer } from '../helpers/child-server.js';

t.test('two workers share the listener and the sessions', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-workers-'));
  const s = await startChildServer({ dir, url: 'https://enterpriseenrollment.workers.test', env: { FENESTRA_WORKERS: '2' } });
  t.teardown(async () => {
    s.child.kill('SIGTERM');
    await s.exited;
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const { url, token, ca } = s;
  const out = s.output();
  const base = { connectTo: s.connectTo };
  const acct = await httpsRequest(`${url}/api/v1/enrollment-accounts`, {
    ...base,
    ca: ca(),
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'w@contoso.com', password: 'workers-password' }),
  });
  t.equal(acct.status, 201, out);
  const devices = await Promise.all(
    Array.from({ length: 6 }, () =>
      SimDevice.create({
        url,
        ca: ca(),
        connectTo: base.connectTo,
        connectionPerMessage: true,
        credential: { kind: 'password', username: 'w@contoso.com', password: 'workers-password' },
      }),
    ),
  );
  for (const d of devices) await d.enroll();
  // Each device's session: package 1, our commands, its statuses and results — every message on
  // a new connection, so consecutive messages of one session land on either worker.
  for (const d of devices) {
    const r = await httpsRequest(`${url}/api/v1/devices/${d.deviceId}/commands`, {
      ...base,
      ca: ca(),
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ verb: 'Get', items: [{ target: './DevDetail/SwV' }] }),
    });
    t.equal(r.status, 201);
  }
  const results = await Promise.all(devices.map((d) => d.checkin()));
  for (const r of results) {
    t.equal(r.outcome, 'complete', `session completed ${r.error ?? ''}`);
    t.ok(r.messages.length >= 4, 'several packages, each on a new connection');
    t.ok(
      r.commands.some((c) => c.kind === 'Get' && c.targets.includes('./DevDetail/SwV')),
      'the queued Get arrived',
    );
  }
  const sessions = await Promise.all(devices.map((d) => d.checkin()));
  t.ok(sessions.every((r) => r.outcome === 'complete'));
  // Every message came on a new connection, to either worker: after each device's first full
  // handshake they resume the TLS session — the workers share the ticket keys.
  for (const d of devices)
    t.equal(d.tlsStats.resumed, d.tlsStats.requests - 1, `${d.deviceId}: ${d.tlsStats.resumed}/${d.tlsStats.requests} connections resumed`);
  // /metrics from either worker: the primary merges both registries.
  const m = await httpsRequest(`${url}/metrics`, { ...base, ca: ca(), headers: { authorization: `Bearer ${token}` } });
  t.equal(m.status, 200, m.text());
  const sample = (name: string) =>
    Number(
      /^(\S+) (\S+)$/m.exec(
        m
          .text()
          .split('\n')
          .find((l) => l.startsWith(`${name} `)) ?? '',
      )?.[2],
    );
  t.equal(sample('fenestra_dm_sessions_total'), 12, 'sessions of both workers add up (6 devices × 2)');
  t.equal(sample('fenestra_devices'), 6, 'store figures are taken once, not summed');
  const list = await httpsRequest(`${url}/api/v1/devices?limit=100`, { ...base, ca: ca(), headers: { authorization: `Bearer ${token}` } });
  const body = JSON.parse(list.text());
  t.equal(body.total, 6);
  t.ok(
    body.devices.every((d: any) => d.lastSeenAt),
    'every device seen',
  );
  for (const d of devices) {
    const c = await httpsRequest(`${url}/api/v1/devices/${d.deviceId}/commands`, { ...base, ca: ca(), headers: { authorization: `Bearer ${token}` } });
    const admin = JSON.parse(c.text()).commands.find((x: any) => x.origin === 'admin');
    t.equal(admin.state, 'acked');
    t.ok(admin.results?.[0]?.data, 'its result stored');
  }
});
