// FENESTRA_WORKERS=2: the real CLI starts a primary and two workers sharing the port and one
// SQLite file. Devices enroll and hold sessions whose messages arrive on new connections —
// spread over both workers — and every session completes: its state lives in the store.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { SimDevice } from '../../src/sim/device.js';
import { httpsRequest } from '../../src/sim/https-client.js';

const freePort = () =>
  new Promise<number>((r) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => r(p));
    });
  });

t.test('two workers share the listener and the sessions', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-workers-'));
  const port = await freePort();
  const token = crypto.randomBytes(24).toString('base64url');
  const url = 'https://enterpriseenrollment.workers.test';
  const child = spawn(process.execPath, [...process.execArgv, path.resolve('src/cli.ts'), 'serve'], {
    env: {
      ...process.env,
      FENESTRA_WORKERS: '2',
      FENESTRA_LISTEN: `127.0.0.1:${port}`,
      FENESTRA_PUBLIC_URL: url,
      FENESTRA_DATA_DIR: path.join(dir, 'data'),
      FENESTRA_CERTS_DIR: path.join(dir, 'certs'),
      FENESTRA_ADMIN_TOKEN: token,
      FENESTRA_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  t.teardown(async () => {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const ca = () => fs.readFileSync(path.join(dir, 'certs', 'ca.pem'), 'utf8');
  const base = { connectTo: { host: '127.0.0.1', port } };
  for (let i = 0; i < 300; i++) { // up to 60 s: a shared, busy machine starts three processes
    try {
      if ((await httpsRequest(`${url}/healthz`, { ...base, ca: ca() })).status === 200) break;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
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
      SimDevice.create({ url, ca: ca(), connectTo: base.connectTo, connectionPerMessage: true, credential: { kind: 'password', username: 'w@contoso.com', password: 'workers-password' } }),
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
    t.ok(r.commands.some((c) => c.kind === 'Get' && c.targets.includes('./DevDetail/SwV')), 'the queued Get arrived');
  }
  const sessions = await Promise.all(devices.map((d) => d.checkin()));
  t.ok(sessions.every((r) => r.outcome === 'complete'));
  const list = await httpsRequest(`${url}/api/v1/devices?limit=100`, { ...base, ca: ca(), headers: { authorization: `Bearer ${token}` } });
  const body = JSON.parse(list.text());
  t.equal(body.total, 6);
  t.ok(body.devices.every((d: any) => d.lastSeenAt), 'every device seen');
  for (const d of devices) {
    const c = await httpsRequest(`${url}/api/v1/devices/${d.deviceId}/commands`, { ...base, ca: ca(), headers: { authorization: `Bearer ${token}` } });
    const admin = JSON.parse(c.text()).commands.find((x: any) => x.origin === 'admin');
    t.equal(admin.state, 'acked');
    t.ok(admin.results?.[0]?.data, 'its result stored');
  }
});
