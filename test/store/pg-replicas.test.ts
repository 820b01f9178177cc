// Two server processes (the real CLI, started at once: both migrate under the advisory lock) on
// one PostgreSQL schema, behind a TCP round-robin proxy: every new connection goes to the other
// process. Simulated devices enroll through it at once, then hold sessions with every message on
// a new connection — consecutive packages of one OMA-DM session alternate between the processes.
// Nothing is lost or duplicated: every enrollment is there, every queued command is delivered
// exactly once and acknowledged, every session completes.
import { type ChildProcess, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import t from 'tap';
import { loadMaterials } from '../../src/bootstrap.js';
import { loadConfig } from '../../src/config.js';
import { SimDevice } from '../../src/sim/device.js';
import { httpsRequest } from '../../src/sim/https-client.js';
import { freshSchema } from '../helpers/pg.js';
import { DIST, ensureBuilt } from '../cli/run-cli.js';

const URL_ = 'https://enterpriseenrollment.replicas.test';
const DEVICES = 6;
const COMMANDS = 55; // more than one message holds (50): our commands span several packages

const freePort = () =>
  new Promise<number>((r) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => r(p));
    });
  });

/** Each new connection to the next backend, in turn. */
function roundRobin(ports: number[]): Promise<{ port: number; served: number[]; close(): Promise<void> }> {
  const served = ports.map(() => 0);
  const sockets = new Set<net.Socket>();
  let next = 0;
  const server = net.createServer((client) => {
    const i = next++ % ports.length;
    served[i]++;
    const upstream = net.connect(ports[i], '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: (server.address() as net.AddressInfo).port,
        served,
        close: () =>
          new Promise<void>((r) => {
            for (const s of sockets) s.destroy();
            server.close(() => r());
          }),
      }),
    ),
  );
}

t.test('two server processes on one PostgreSQL serve the packages of one session alternately', async (t) => {
  const schema = await freshSchema('replicas2');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-replicas-'));
  const token = crypto.randomBytes(24).toString('base64url');
  // A password in the URL (with trust authentication it is never asked for), to check that it stays out of the logs.
  const u = new URL(schema.url);
  if (!u.password) u.password = 'n0t-In-L0gs-' + crypto.randomBytes(4).toString('hex');
  const password = decodeURIComponent(u.password);
  const dbUrl = u.toString();
  const env = {
    FENESTRA_PUBLIC_URL: URL_,
    FENESTRA_DATA_DIR: path.join(dir, 'data'),
    FENESTRA_CERTS_DIR: path.join(dir, 'certs'),
    FENESTRA_ADMIN_TOKEN: token,
    FENESTRA_DATABASE_URL: dbUrl,
    FENESTRA_LOG_LEVEL: 'info',
  };
  // The CA, TLS certificate and server secret both replicas share (as a deployment's volume or secrets would).
  loadMaterials(loadConfig({ ...env, FENESTRA_LISTEN: '127.0.0.1:0' }), pino({ level: 'silent' }));
  const ca = fs.readFileSync(path.join(dir, 'certs', 'ca.pem'), 'utf8');

  const ports = [await freePort(), await freePort()];
  let out = '';
  // The built CLI (test/helpers/child-server.ts says why).
  await ensureBuilt();
  const children: ChildProcess[] = ports.map((port) => {
    const child = spawn(process.execPath, [DIST, 'serve'], {
      env: { ...process.env, ...env, FENESTRA_LISTEN: `127.0.0.1:${port}`, FENESTRA_WORKERS: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    return child;
  });
  const proxy = await roundRobin(ports);
  t.teardown(async () => {
    await proxy.close();
    await Promise.all(
      children.map(
        (c) =>
          new Promise((r) => {
            if (c.exitCode !== null) return r(undefined);
            c.once('exit', r);
            c.kill('SIGTERM');
          }),
      ),
    );
    await schema.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  // Both up (generous: the machine is shared, and each process compiles TypeScript on start).
  for (const port of ports) {
    let up = false;
    for (let i = 0; i < 300 && !up; i++) {
      try {
        up = (await httpsRequest(`${URL_}/readyz`, { ca, connectTo: { host: '127.0.0.1', port } })).status === 200;
      } catch {
        /* not yet */
      }
      if (!up) await new Promise((r) => setTimeout(r, 200));
    }
    t.ok(up, `replica on ${port} ready`) || t.comment(out);
    if (!up) return;
  }

  const via = { connectTo: { host: '127.0.0.1', port: proxy.port } };
  const api = async (method: string, p: string, body?: unknown) => {
    const r = await httpsRequest(URL_ + p, {
      ...via,
      ca,
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: r.status, json: r.text() ? JSON.parse(r.text()) : undefined };
  };
  t.equal((await api('POST', '/api/v1/enrollment-accounts', { username: 'r@contoso.com', password: 'replicas-password' })).status, 201, out);

  // Enrollments at once, through both replicas. Half the devices authenticate their sessions with
  // OMA-DM digest: the nonce one replica hands out is checked by the other.
  const devices = await Promise.all(
    Array.from({ length: DEVICES }, (_, i) =>
      SimDevice.create({
        url: URL_,
        ca,
        ...via,
        connectionPerMessage: true,
        timeoutMs: 60_000,
        auth: i % 2 ? 'digest' : 'certificate',
        credential: { kind: 'password', username: 'r@contoso.com', password: 'replicas-password' },
      }),
    ),
  );
  await Promise.all(devices.map((d) => d.enroll()));
  const list = await api('GET', '/api/v1/devices?limit=100');
  t.equal(list.json.total, DEVICES, 'every enrollment is there');
  t.same(list.json.devices.map((d: any) => d.deviceId).sort(), devices.map((d) => d.deviceId).sort());

  // A queue per device: Adds of distinct nodes, so each delivery shows in the device's tree log.
  const queued = new Map<string, Map<string, string>>(); // deviceId → target → command id
  await Promise.all(
    devices.map(async (d) => {
      const mine = new Map<string, string>();
      for (let k = 0; k < COMMANDS; k++) {
        const target = `./Vendor/MSFT/Fenestra/Replicas/Probe${k}`;
        const r = await api('POST', `/api/v1/devices/${d.deviceId}/commands`, { verb: 'Add', items: [{ target, format: 'chr', data: `v${k}` }] });
        t.equal(r.status, 201);
        mine.set(target, r.json.id);
      }
      queued.set(d.deviceId, mine);
    }),
  );

  const sessions = await Promise.all(devices.map((d) => d.checkin()));
  for (const [i, r] of sessions.entries()) {
    const d = devices[i];
    t.equal(r.outcome, 'complete', `session of ${d.deviceId} complete ${r.error ?? ''}`);
    t.ok(
      r.httpStatuses.every((s) => s === 200),
      'every package answered',
    );
    if (i % 2) t.ok(r.digestAccepted, 'digest-authenticated session');
    t.ok(r.messages.length >= 4, `several packages (${r.messages.length}), alternating between the replicas`);
    const adds = r.commands
      .filter((c) => c.kind === 'Add')
      .flatMap((c) => c.targets)
      .filter((x) => x.includes('/Replicas/'));
    t.equal(adds.length, COMMANDS, 'each queued command delivered once');
    t.same([...new Set(adds)].sort(), [...queued.get(d.deviceId)!.keys()].sort(), 'all of them, none twice');
  }
  t.ok(
    proxy.served.every((n) => n > DEVICES),
    `both replicas served connections (${proxy.served.join(', ')})`,
  );

  for (const d of devices) {
    const r = await api('GET', `/api/v1/devices/${d.deviceId}/commands?limit=200`);
    const admin = r.json.commands.filter((c: any) => c.origin === 'admin');
    t.equal(admin.length, COMMANDS);
    t.ok(
      admin.every((c: any) => c.state === 'acked' && c.status === '200'),
      'every command acknowledged with 200',
    );
    t.ok(
      admin.every((c: any) => c.attempts === 1),
      'sent once',
    );
  }

  // The next sessions find nothing of ours to send again.
  const again = await Promise.all(devices.map((d) => d.checkin()));
  for (const [i, r] of again.entries()) {
    t.equal(r.outcome, 'complete');
    if (i % 2) t.ok(r.digestAccepted, 'the next digest session uses the nonce the last one was given');
    t.equal(r.commands.filter((c) => c.targets.some((x) => x.includes('/Replicas/'))).length, 0, 'nothing delivered twice');
  }
  const seen = await api('GET', '/api/v1/devices?limit=100');
  t.ok(
    seen.json.devices.every((d: any) => d.lastSeenAt),
    'every device seen',
  );
  t.ok(dbUrl.includes(password) && out.includes('"database":"postgres://'), 'the start-up logs name the database');
  t.notOk(out.includes(password), 'without the password of its URL');
  t.notOk(out.includes('replicas-password'), 'nor the enrollment password');
});
