// bench/fleet: a fleet of simulated Windows devices (src/sim) enrolls and then checks in against
// (a) one fenestra server on SQLite and (b) two replicas on one PostgreSQL database, each server
// a real `fenestra serve` process on this machine. Printed per mode: enrollments and sessions
// per second with p50/p99, errors, server RSS and database size per device, and how many devices
// one replica serves at an 8-hour and at a 1-minute poll interval.
//
//   npm run bench:fleet [-- --devices 2000 --concurrency 48 --modes sqlite,pg2 --pg postgres://postgres@127.0.0.1:5432/postgres]
//
// The devices join Entra ID (tokens from a local fake Entra serving its JWKS on loopback, as in
// the tests) and run in this process, sharing the machine's two cores with the servers (and
// PostgreSQL): the rates are those of the whole system on one small machine. So each phase also
// measures the CPU the servers (and PostgreSQL) spent per session, from /proc: the capacity of
// one replica is derived from that. RSA keys come from a small pool (generating 2048-bit keys
// would otherwise dominate the client's CPU): every device still sends its own CSR and gets its
// own certificate.
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SimDevice } from '../src/sim/device.js';
import { httpsRequest } from '../src/sim/https-client.js';
import { freePort } from '../test/helpers/child-server.js';
import { startFakeEntra, type FakeEntra } from '../test/helpers/entra.js';
import { fmt, summarize } from './stats.js';

const argv = process.argv;
const arg = (name: string, def: string) => {
  const i = argv.indexOf(`--${name}`);
  return i > 0 ? argv[i + 1] : def;
};
const DEVICES = Number(arg('devices', '2000'));
const CONCURRENCY = Number(arg('concurrency', '48'));
const MODES = arg('modes', 'sqlite,pg2').split(',');
const PG_ADMIN_URL = arg('pg', process.env.FENESTRA_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres');
const HOST = 'enterpriseenrollment.fleet.test';
const CLI = path.join(import.meta.dirname, '..', 'src', 'cli.js');
const TOKEN = crypto.randomBytes(24).toString('base64url');
const SECRET = crypto.randomBytes(32).toString('base64');
const AUDIENCE = 'https://mdm.fleet.test';
const TICK_MS = 10; // Linux USER_HZ = 100
/** utime + stime of a process, ms (0 once it is gone). */
function cpuMs(pid: number): number {
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) * TICK_MS;
  } catch {
    return 0;
  }
}
/** PostgreSQL's processes (the server this machine runs), by their command name. */
function postgresPids(): number[] {
  const out: number[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (fs.readFileSync(`/proc/${d}/comm`, 'utf8').trim().startsWith('postgres')) out.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return out;
}

interface Server {
  child: ChildProcess;
  port: number;
}

async function startServer(dir: string, env: Record<string, string>): Promise<Server> {
  const port = await freePort();
  const child = spawn(process.execPath, [CLI, 'serve'], {
    env: {
      ...process.env,
      FENESTRA_PUBLIC_URL: `https://${HOST}`,
      FENESTRA_LISTEN: `127.0.0.1:${port}`,
      FENESTRA_DATA_DIR: path.join(dir, 'data'),
      FENESTRA_CERTS_DIR: path.join(dir, 'certs'),
      FENESTRA_ADMIN_TOKEN: TOKEN,
      FENESTRA_SECRET_KEY: SECRET,
      FENESTRA_LOG_LEVEL: 'error',
      ...env,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  for (let i = 0; i < 600; i++) {
    try {
      const ca = fs.readFileSync(path.join(dir, 'certs', 'ca.pem'), 'utf8');
      if ((await httpsRequest(`https://${HOST}/healthz`, { ca, connectTo: { host: '127.0.0.1', port } })).status === 200) return { child, port };
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('server did not start');
}

const rssOf = (pid: number) => Number(fs.readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]) * 4096;

async function pool<T>(items: T[], n: number, fn: (x: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i], i);
      }
    }),
  );
}

interface Phase {
  rate: number;
  p50: number;
  p99: number;
  errors: number;
  n: number;
  /** CPU of the fenestra servers per operation, ms; and of PostgreSQL. */
  serverCpuMs: number;
  dbCpuMs: number;
}

let serverPids: number[] = [];
let dbPids: number[] = [];

async function phase<T>(items: T[], fn: (x: T, i: number) => Promise<number>): Promise<Phase> {
  const lat: number[] = [];
  let errors = 0;
  const sum = (pids: number[]) => pids.reduce((a, p) => a + cpuMs(p), 0);
  // PostgreSQL starts a backend per pooled connection: look again once the pools have filled.
  if (dbPids.length) dbPids = postgresPids();
  const s0 = sum(serverPids);
  const d0 = sum(dbPids);
  const t0 = performance.now();
  await pool(items, CONCURRENCY, async (x, i) => {
    try {
      lat.push(await fn(x, i));
    } catch {
      errors++;
    }
  });
  const s = summarize(lat);
  const n = Math.max(1, lat.length);
  return {
    rate: lat.length / ((performance.now() - t0) / 1000),
    p50: s.p50,
    p99: s.p99,
    errors,
    n: lat.length,
    serverCpuMs: (sum(serverPids) - s0) / n,
    dbCpuMs: (sum(dbPids) - d0) / n,
  };
}

interface ModeResult {
  mode: string;
  replicas: number;
  enroll: Phase;
  first: Phase;
  idle: Phase;
  rssMiB: number[];
  dbBytes: number;
}

async function pgAdmin<T>(fn: (c: { query(q: string): Promise<{ rows: any[] }> }) => Promise<T>): Promise<T> {
  const pg = (await import('pg')).default;
  const c = new pg.Client({ connectionString: PG_ADMIN_URL });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

async function runMode(mode: string, keys: { privateKey: crypto.KeyObject; publicKey: crypto.KeyObject }[], entra: FakeEntra): Promise<ModeResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `fenestra-fleet-${mode}-`));
  const servers: Server[] = [];
  let dbName: string | undefined;
  let dbUrl: string | undefined;
  try {
    if (mode === 'sqlite') {
      servers.push(await startServer(dir, {}));
    } else if (mode === 'pg2') {
      dbName = `fenestra_fleet_${crypto.randomBytes(4).toString('hex')}`;
      await pgAdmin((c) => c.query(`CREATE DATABASE ${dbName}`));
      const u = new URL(PG_ADMIN_URL);
      u.pathname = `/${dbName}`;
      dbUrl = u.toString();
      // The first replica creates the schema and the CA; the second shares both.
      servers.push(await startServer(dir, { FENESTRA_DATABASE_URL: dbUrl }));
      servers.push(await startServer(dir, { FENESTRA_DATABASE_URL: dbUrl }));
    } else throw new Error(`unknown mode ${mode}`);
    serverPids = servers.map((s) => s.child.pid!);
    dbPids = mode === 'pg2' ? postgresPids() : [];
    const ca = fs.readFileSync(path.join(dir, 'certs', 'ca.pem'), 'utf8');
    const tid = crypto.randomUUID();
    const tenant = await httpsRequest(`https://${HOST}/api/v1/tenants`, {
      ca,
      connectTo: { host: '127.0.0.1', port: servers[0].port },
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ tenantId: tid, cloud: 'standard', audiences: [AUDIENCE] }),
    });
    if (tenant.status !== 201) throw new Error(`tenant: ${tenant.status}`);
    // Entra-joined devices spread over the replicas, as a load balancer would.
    const devices = Array.from({ length: DEVICES }, (_, i) => {
      // An Entra join's DeviceID is the device its token names.
      const entraDeviceId = crypto.randomUUID();
      return new SimDevice({
        url: `https://${HOST}`,
        ca,
        connectTo: { host: '127.0.0.1', port: servers[i % servers.length].port },
        credential: { kind: 'entra', token: () => entra.mintToken({ tid, aud: AUDIENCE, deviceid: entraDeviceId, upn: `user${i}@contoso.com` }) },
        keyPair: keys[i % keys.length],
        deviceId: entraDeviceId.replace(/-/g, '').toUpperCase(),
      });
    });
    const enroll = await phase(devices, async (d) => {
      const e = await d.enroll();
      return e.timings.discovery + e.timings.policy + e.timings.enrollment;
    });
    const session = async (d: SimDevice) => {
      const r = await d.checkin();
      if (r.outcome !== 'complete') throw new Error(r.error ?? r.outcome);
      return r.latenciesMs.reduce((a, b) => a + b, 0);
    };
    const enrolled = devices.filter((d) => d.state === 'enrolled');
    const first = await phase(enrolled, session); // first check-in: inventory
    const idle = await phase(enrolled, session); // then: nothing to do
    const rssMiB = servers.map((s) => rssOf(s.child.pid!) / 1048576);
    let dbBytes = 0;
    if (mode === 'sqlite') {
      for (const f of ['fenestra.db', 'fenestra.db-wal']) {
        const p = path.join(dir, 'data', f);
        if (fs.existsSync(p)) dbBytes += fs.statSync(p).size;
      }
    } else {
      dbBytes = await pgAdmin(async (c) => Number((await c.query(`SELECT pg_database_size('${dbName}') AS n`)).rows[0].n));
    }
    return { mode, replicas: servers.length, enroll, first, idle, rssMiB, dbBytes };
  } finally {
    for (const s of servers) s.child.kill('SIGTERM');
    await Promise.all(servers.map((s) => new Promise((r) => (s.child.exitCode !== null ? r(null) : s.child.once('exit', r)))));
    if (dbName) await pgAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`)).catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`bench/fleet — ${DEVICES} devices, concurrency ${CONCURRENCY}, ${os.cpus().length} CPUs, Node ${process.version}`);
const keys = await Promise.all(
  Array.from(
    { length: 8 },
    () =>
      new Promise<{ privateKey: crypto.KeyObject; publicKey: crypto.KeyObject }>((resolve, reject) =>
        crypto.generateKeyPair('rsa', { modulusLength: 2048 }, (e, publicKey, privateKey) => (e ? reject(e) : resolve({ publicKey, privateKey }))),
      ),
  ),
);
const entra = await startFakeEntra();
process.env.FENESTRA_ENTRA_AUTHORITY = entra.authority;
const results: ModeResult[] = [];
for (const m of MODES) {
  const r = await runMode(m, keys, entra);
  results.push(r);
  const line = (name: string, p: Phase, unit: string) =>
    console.log(
      `  ${name}: ${fmt(p.rate, 0)} ${unit}/s, p50 ${fmt(p.p50, 1)} ms, p99 ${fmt(p.p99, 1)} ms, ${p.n} ok, errors ${p.errors}; server CPU ${fmt(p.serverCpuMs, 2)} ms each${p.dbCpuMs ? ` + PostgreSQL ${fmt(p.dbCpuMs, 2)} ms` : ''}`,
    );
  console.log(`${m} (${r.replicas} server${r.replicas > 1 ? 's' : ''}):`);
  line('enrollment (Discover + GetPolicies + RST)', r.enroll, 'enrollments');
  line('first check-in (inventory)', r.first, 'sessions');
  line('idle check-in', r.idle, 'sessions');
  console.log(
    `  server RSS ${r.rssMiB.map((x) => `${fmt(x, 0)} MiB`).join(' + ')}; database ${fmt(r.dbBytes / 1048576, 1)} MiB = ${fmt(r.dbBytes / DEVICES, 0)} bytes/device`,
  );
  const perReplica = r.idle.rate / r.replicas;
  console.log(`  measured here (the simulator shares the 2 cores): ${fmt(perReplica, 0)} idle sessions/s per replica`);
  // Capacity of one replica process on one core of its own: CPU per idle session (its database
  // work on PostgreSQL runs elsewhere and is shown separately).
  const perCore = 1000 / r.idle.serverCpuMs;
  console.log(
    `  one replica on one core: ${fmt(perCore, 0)} idle sessions/s (1000 ms / ${fmt(r.idle.serverCpuMs, 2)} ms) → ${fmt(perCore * 8 * 3600, 0)} devices at an 8-hour poll, ${fmt(perCore * 60, 0)} at a 1-minute poll`,
  );
}
await entra.close();
