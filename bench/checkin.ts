// bench/checkin: OMA-DM check-in sessions per second with 100,000 enrolled devices in the
// SQLite store, (a) idle (package 1, nothing queued) and (b) delivering 5 commands (package 1,
// our 5 commands, the device's statuses, our final message), over kept-alive and over new
// mutual-TLS connections — next to a bare Fastify handler answering the same bytes over the
// same TLS setup, in the same run.
//
//   npm run bench:checkin [-- --devices 100000 --real 1000 --sessions 3000 --concurrency 32]
//        [--modes idle-keepalive,idle-new,five-keepalive,five-new,idle-resumed] [--bare 0] [--log-level info]
//
// --modes picks the fenestra runs (all by default), --bare 0 skips the bare Fastify baseline,
// --log-level runs the server at that level (default warn) with its log lines going to /dev/null
// (info: the access line of every request, as a server with the default level writes it).
//
// Seeding: `--real` devices are enrolled for real (certificate issued by the server's CA, so
// mTLS works); the rest are inserted directly with the same schema, so the store holds the full
// fleet. The server runs in a child process; this process is the fleet.
import { fork } from 'node:child_process';
import cluster from 'node:cluster';
import net from 'node:net';
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import Fastify from 'fastify';
import pino from 'pino';
import { loadConfig } from '../src/config.js';
import { CertificateAuthority } from '../src/pki/ca.js';
import { derToPem } from '../src/pki/der.js';
import { buildSyncML } from '../src/protocol/syncml/build.js';
import { parseSyncML } from '../src/protocol/syncml/parse.js';
import type { SyncCommand, SyncMLMessage } from '../src/protocol/syncml/types.js';
import { startPrimary } from '../src/cluster.js';
import { cpuWithWorkers, rssWithWorkers } from './server-usage.js';
import { startServer } from '../src/server.js';
import { newCommand } from '../src/service/commands/queue.js';
import { httpsRequest } from '../src/sim/https-client.js';
import { openSqliteStore } from '../src/store/sqlite/index.js';
import { OneServerAgent } from './agent.js';
import { fmt, summarize } from './stats.js';

const HOST = 'mdm.bench.test';
const M = '/ManagementServer/MDM.svc';
const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};

// ---- child processes: the fenestra server, and the bare Fastify baseline ----------------------
let workerPids: () => number[] = () => [];
async function serverMain(): Promise<void> {
  const o = JSON.parse(process.env.BENCH_SERVER!) as {
    dir: string;
    workers?: number;
    port?: number;
    logLevel?: string;
    bare?: { body: string; key: string; cert: string; ca: string };
  };
  let port: number;
  if (o.bare) {
    const body = Buffer.from(o.bare.body);
    const app = Fastify({ https: { key: o.bare.key, cert: o.bare.cert, requestCert: true, rejectUnauthorized: false, ca: [o.bare.ca] } });
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer' }, (_r, b, done) => done(null, b));
    app.post(M, async (_req, reply) => reply.header('content-type', 'application/vnd.syncml.dm+xml').header('content-length', body.length).send(body));
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = (app.server.address() as { port: number }).port;
  } else {
    const cfg = loadConfig({
      FENESTRA_PUBLIC_URL: `https://${HOST}`,
      FENESTRA_LISTEN: `127.0.0.1:${o.workers && o.workers > 1 ? o.port : 0}`,
      FENESTRA_DATA_DIR: path.join(o.dir, 'data'),
      FENESTRA_CERTS_DIR: path.join(o.dir, 'certs'),
      FENESTRA_ADMIN_TOKEN: 'x'.repeat(32),
      FENESTRA_LOG_LEVEL: o.logLevel ?? 'warn',
    });
    const logger = () => (o.logLevel ? pino({ level: o.logLevel }, pino.destination('/dev/null')) : pino({ level: 'warn' }));
    if (cluster.isWorker) {
      await startServer(cfg, logger(), { maintenance: false });
      return;
    }
    if (o.workers && o.workers > 1) {
      const primary = await startPrimary(cfg, o.workers, logger());
      port = o.port!;
      workerPids = primary.workers;
    } else {
      const server = await startServer(cfg, logger());
      port = server.port;
    }
  }
  process.send!({ port });
  process.on('message', (m: { cmd: string }) => {
    if (m.cmd === 'usage') process.send!({ rss: rssWithWorkers(workerPids()), cpu: cpuWithWorkers(workerPids()) });
    if (m.cmd === 'stop') process.exit(0);
  });
}

// ---- parent ------------------------------------------------------------------------------------
interface Dev {
  deviceId: string;
  pk: string;
  cert: string;
  key: string;
  session: number;
  agent?: https.Agent;
  /** Its last TLS session (ticket), kept as Windows keeps it between sessions. */
  tls?: Buffer;
}

function seed(dir: string, totalDevices: number, real: number): Dev[] {
  const certsDir = path.join(dir, 'certs');
  const ca = CertificateAuthority.fromPem(fs.readFileSync(path.join(certsDir, 'ca.pem'), 'utf8'), fs.readFileSync(path.join(certsDir, 'ca-key.pem'), 'utf8'));
  const file = path.join(dir, 'data', 'fenestra.db');
  const store = openSqliteStore(file); // migrations
  void store.close();
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  const k = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const spki = k.publicKey.export({ type: 'spki', format: 'der' });
  const keyPem = k.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const now = new Date().toISOString();
  const insDev = db.prepare(
    `INSERT INTO devices (id, device_id, enrollment_type, auth_method, state, enrolled_at, updated_at, dm_username, dm_password_digest,
       dm_server_name, dm_server_digest, dm_nonce, inventory, inventory_at, upn)
     VALUES (?, ?, 'Full', 'onpremise', 'enrolled', ?, ?, ?, 'x', 'fenestra', 'x', 'bm9uY2U=', '{}', ?, ?)`,
  );
  const insCert = db.prepare(
    `INSERT INTO certificates (serial, device_pk, thumbprint, subject, not_before, not_after, issued_at, status, der_base64)
     VALUES (?, ?, ?, ?, ?, ?, ?, 'active', ?)`,
  );
  const devs: Dev[] = [];
  db.transaction(() => {
    for (let i = 0; i < totalDevices; i++) {
      const pk = crypto.randomUUID();
      const deviceId = crypto.randomBytes(16).toString('hex').toUpperCase();
      insDev.run(pk, deviceId, now, now, deviceId, now, `user${i}@contoso.com`);
      if (i < real) {
        const c = ca.issueClientCertificate({ subjectCn: `user${i}@contoso.com`, publicKeySpkiDer: spki, validityDays: 365 });
        insCert.run(
          c.serialHex,
          pk,
          c.thumbprint,
          `CN=user${i}@contoso.com`,
          c.notBefore.toISOString(),
          c.notAfter.toISOString(),
          now,
          c.der.toString('base64'),
        );
        devs.push({ deviceId, pk, cert: derToPem(c.der, 'CERTIFICATE'), key: keyPem, session: 0 });
      } else {
        const serial = crypto.randomBytes(16).toString('hex');
        insCert.run(serial, pk, crypto.randomBytes(20).toString('hex').toUpperCase(), `CN=user${i}@contoso.com`, now, now, now, 'MA==');
      }
    }
  })();
  db.close();
  return devs;
}

function pkg1(d: Dev): string {
  const m: SyncMLMessage = {
    hdr: { verDTD: '1.2', verProto: 'DM/1.2', sessionId: String(++d.session), msgId: '1', targetUri: `https://${HOST}${M}`, sourceUri: d.deviceId },
    final: true,
    body: [
      { kind: 'Alert', cmdId: '2', data: '1201', items: [] },
      { kind: 'Alert', cmdId: '3', data: '1224', items: [{ meta: { type: 'com.microsoft/MDM/LoginStatus', format: 'chr' }, data: 'user' }] },
      {
        kind: 'Replace',
        cmdId: '4',
        items: [
          { source: './DevInfo/DevId', data: d.deviceId },
          { source: './DevInfo/Man', data: 'Contoso' },
          { source: './DevInfo/Mod', data: 'Laptop 9' },
          { source: './DevInfo/DmV', data: '1.3' },
          { source: './DevInfo/Lang', data: 'en-US' },
        ],
      },
    ],
  };
  return buildSyncML(m);
}

function pkg3(d: Dev, reply: SyncMLMessage): string {
  const body: SyncCommand[] = [{ kind: 'Status', cmdId: '1', msgRef: reply.hdr.msgId, cmdRef: '0', cmd: 'SyncHdr', data: '200', items: [] }];
  let id = 2;
  for (const c of reply.body) {
    if (c.kind === 'Status') continue;
    body.push({ kind: 'Status', cmdId: String(id++), msgRef: reply.hdr.msgId, cmdRef: c.cmdId, cmd: c.kind, data: '200', items: [] });
  }
  return buildSyncML({
    hdr: { verDTD: '1.2', verProto: 'DM/1.2', sessionId: String(d.session), msgId: '2', targetUri: `https://${HOST}${M}`, sourceUri: d.deviceId },
    final: true,
    body,
  });
}

async function main(): Promise<void> {
  const totalDevices = arg('devices', 100_000);
  const real = arg('real', 1000);
  const sessions = arg('sessions', 3000);
  const concurrency = arg('concurrency', 32);
  const workers = arg('workers', 1);
  const withBare = arg('bare', 1) !== 0;
  const strArg = (name: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const logLevel = strArg('log-level');
  const ALL_MODES = ['idle-keepalive', 'idle-new', 'five-keepalive', 'five-new', 'idle-resumed'];
  const modes = new Set(strArg('modes')?.split(',') ?? ALL_MODES);
  for (const m of modes) if (!ALL_MODES.includes(m)) throw new Error(`--modes: unknown mode ${m} (${ALL_MODES.join(', ')})`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-checkin-'));

  const child = (env: object) =>
    fork(fileURLToPath(import.meta.url), ['--server'], {
      env: { ...process.env, BENCH_SERVER: JSON.stringify(env) },
      execArgv: process.env.BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_PROFILE] : [],
    });
  const started = (c: ReturnType<typeof child>) => new Promise<{ port: number }>((r) => c.once('message', (m) => r(m as never)));
  const usage = (c: ReturnType<typeof child>) =>
    new Promise<{ rss: number; cpu: NodeJS.CpuUsage }>((r) => {
      c.once('message', (m) => r(m as never));
      c.send({ cmd: 'usage' });
    });

  // First start creates the CA, TLS certificate and schema; then seed the fleet while it is stopped.
  let srv = child({ dir });
  await started(srv);
  srv.send({ cmd: 'stop' });
  await new Promise((r) => srv.once('exit', r));
  const t0 = performance.now();
  const devs = seed(dir, totalDevices, real);
  const seedSecs = (performance.now() - t0) / 1000;
  const dbBytes =
    fs.statSync(path.join(dir, 'data', 'fenestra.db')).size +
    (fs.existsSync(path.join(dir, 'data', 'fenestra.db-wal')) ? fs.statSync(path.join(dir, 'data', 'fenestra.db-wal')).size : 0);

  const freePort = await new Promise<number>((r) => {
    const x = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (x.address() as net.AddressInfo).port;
      x.close(() => r(p));
    });
  });
  srv = child({ dir, workers, port: freePort, logLevel });
  const { port } = await started(srv);
  const caPem = fs.readFileSync(path.join(dir, 'certs', 'ca.pem'), 'utf8');
  const base = { ca: caPem, connectTo: { host: '127.0.0.1', port } };
  const post = (d: Dev, body: string, p: number, keepAlive: boolean, resume = false) => {
    if (keepAlive && !d.agent) d.agent = new OneServerAgent({ keepAlive: true, maxSockets: 1 });
    return httpsRequest(`https://${HOST}${M}`, {
      ...base,
      connectTo: { host: '127.0.0.1', port: p },
      method: 'POST',
      body,
      cert: d.cert,
      key: d.key,
      agent: keepAlive ? d.agent : undefined,
      headers: { 'content-type': 'application/vnd.syncml.dm+xml' },
      session: resume ? d.tls : undefined,
      onSession: (s) => (d.tls = s),
    });
  };

  // Queue 5 commands for each of these devices (used by the "5 commands" runs).
  const queueFive = (targets: Dev[] = devs) => {
    const db = new Database(path.join(dir, 'data', 'fenestra.db'));
    const ins = db.prepare(
      `INSERT INTO commands (id, device_pk, origin, payload, state, created_at, updated_at, attempts, max_attempts) VALUES (?, ?, 'admin', ?, 'queued', ?, ?, 0, 3)`,
    );
    db.transaction(() => {
      for (const d of targets) {
        for (let i = 0; i < 5; i++) {
          const c = newCommand(
            d.pk,
            { kind: 'Replace', items: [{ target: `./Device/Vendor/MSFT/Policy/Config/Bench/Setting${i}`, format: 'int', data: String(i) }] },
            { origin: 'admin', at: new Date().toISOString() },
          );
          ins.run(c.id, d.pk, JSON.stringify(c.payload), c.createdAt, c.createdAt);
        }
      }
    })();
    db.close();
  };

  type Kind = 'idle' | 'five';
  async function run(kind: Kind, keepAlive: boolean, p: number, proc: ReturnType<typeof child>, n: number, from = 0, resume = false) {
    let next = 0;
    let errors = 0;
    let commands = 0;
    const lat: number[] = [];
    const pool = keepAlive ? devs.slice(from, from + concurrency) : devs.slice(from);
    const before = await usage(proc);
    const c0 = process.cpuUsage();
    const start = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async (_, w) => {
        while (next < n) {
          const i = next++;
          const d = keepAlive ? pool[w] : pool[i % pool.length];
          const t = performance.now();
          const r1 = await post(d, pkg1(d), p, keepAlive, resume);
          if (r1.status !== 200) errors++;
          else if (kind === 'five') {
            const reply = parseSyncML(r1.body);
            const sent = reply.body.filter((c) => c.kind !== 'Status').length;
            commands += sent;
            if (sent > 0) {
              const r3 = await post(d, pkg3(d, reply), p, keepAlive, resume);
              if (r3.status !== 200) errors++;
            }
          }
          lat.push(performance.now() - t);
        }
      }),
    );
    const secs = (performance.now() - start) / 1000;
    const cc = process.cpuUsage(c0);
    const after = await usage(proc);
    const scpu = (after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system) / 1e6;
    return {
      rate: n / secs,
      lat: summarize(lat),
      latRaw: lat,
      errors,
      commands,
      serverMsPerSession: (scpu * 1000) / n,
      serverCore: scpu / secs,
      clientCore: (cc.user + cc.system) / 1e6 / secs,
      rss: after.rss,
    };
  }

  // Warm-up, then the fenestra runs.
  await run('idle', true, port, srv, 200);
  const results: [string, Awaited<ReturnType<typeof run>>][] = [];
  const idleKeep = modes.has('idle-keepalive') ? await run('idle', true, port, srv, sessions) : undefined;
  if (idleKeep) results.push(['(a) idle, kept-alive   ', idleKeep]);
  const idleNew = modes.has('idle-new') ? await run('idle', false, port, srv, Math.min(sessions, devs.length)) : undefined;
  if (idleNew) results.push(['(a) idle, new mTLS     ', idleNew]);
  if (modes.has('five-keepalive')) {
    // (b) kept-alive: rounds of 5 fresh commands for each kept-alive device, one session each.
    const rounds: Awaited<ReturnType<typeof run>>[] = [];
    for (let i = 0; i < 20; i++) {
      queueFive(devs.slice(0, concurrency));
      rounds.push(await run('five', true, port, srv, concurrency));
    }
    const total = rounds.reduce((a, r) => a + concurrency / r.rate, 0);
    results.push([
      '(b) 5 cmds, kept-alive ',
      {
        ...rounds[rounds.length - 1],
        rate: (concurrency * rounds.length) / total,
        lat: summarize(rounds.flatMap((r) => r.latRaw)),
        commands: rounds.reduce((a, r) => a + r.commands, 0),
        errors: rounds.reduce((a, r) => a + r.errors, 0),
        serverMsPerSession: rounds.reduce((a, r) => a + r.serverMsPerSession, 0) / rounds.length,
        serverCore: rounds.reduce((a, r) => a + r.serverCore, 0) / rounds.length,
        clientCore: rounds.reduce((a, r) => a + r.clientCore, 0) / rounds.length,
      },
    ]);
  }
  if (modes.has('five-new')) {
    queueFive(devs.slice(concurrency));
    results.push(['(b) 5 cmds, new mTLS   ', await run('five', false, port, srv, devs.length - concurrency, concurrency)]);
  }
  // As Windows polls: a new connection per session that resumes the device's TLS session.
  if (modes.has('idle-resumed')) results.push(['(a) idle, new mTLS resumed', await run('idle', false, port, srv, Math.min(sessions, devs.length), 0, true)]);
  srv.send({ cmd: 'stop' });
  await new Promise((r) => srv.once('exit', r));

  // Bare Fastify over the same TLS setup, answering the idle response bytes.
  let bareKeep: Awaited<ReturnType<typeof run>> | undefined;
  let bareNew: Awaited<ReturnType<typeof run>> | undefined;
  if (withBare) {
    const probe = devs[devs.length - 1];
    const idleReply = buildSyncML({
      hdr: { verDTD: '1.2', verProto: 'DM/1.2', sessionId: '1', msgId: '1', targetUri: probe.deviceId, sourceUri: `https://${HOST}${M}` },
      final: true,
      body: ['0', '2', '3', '4'].map((ref, i) => ({
        kind: 'Status',
        cmdId: String(i + 1),
        msgRef: '1',
        cmdRef: ref,
        cmd: ref === '0' ? 'SyncHdr' : ref === '4' ? 'Replace' : 'Alert',
        data: '200',
        items: [],
      })),
    });
    const tls = {
      key: fs.readFileSync(path.join(dir, 'certs', 'tls-key.pem'), 'utf8'),
      cert: fs.readFileSync(path.join(dir, 'certs', 'tls.pem'), 'utf8'),
      ca: caPem,
    };
    const bare = child({ dir, bare: { body: idleReply, ...tls } });
    const bp = (await started(bare)).port;
    for (const d of devs) {
      d.agent?.destroy();
      d.agent = undefined;
    }
    await run('idle', true, bp, bare, 200);
    bareKeep = await run('idle', true, bp, bare, sessions);
    bareNew = await run('idle', false, bp, bare, Math.min(sessions, devs.length));
    bare.send({ cmd: 'stop' });
  }

  console.log('fenestra bench/checkin');
  console.log(
    `  machine: ${os.cpus().length} cores, node ${process.version}; server in a child process${workers > 1 ? ` with ${workers} workers (FENESTRA_WORKERS)` : ''}, this process is the fleet (concurrency ${concurrency})`,
  );
  console.log(
    `  store: ${totalDevices} devices in SQLite (${real} with real certificates), seeded in ${fmt(seedSecs, 1)} s; ${fmt(dbBytes / 1048576, 1)} MiB = ${fmt(dbBytes / totalDevices, 0)} bytes/device`,
  );
  for (const [name, r] of results) {
    console.log(
      `  ${name}: ${fmt(r.rate, 0)} sessions/s, p50 ${fmt(r.lat.p50, 2)} ms, p99 ${fmt(r.lat.p99, 2)} ms, errors ${r.errors}` +
        `${r.commands ? `, ${r.commands} commands delivered` : ''}; server ${fmt(r.serverMsPerSession, 3)} ms CPU/session (${fmt(r.serverCore * 100, 0)}% core), client ${fmt(r.clientCore * 100, 0)}% core`,
    );
  }
  if (logLevel) console.log(`  server log level ${logLevel} (lines to /dev/null)`);
  if (bareKeep && bareNew) {
    console.log(
      `  bare Fastify, same TLS, same bytes: kept-alive ${fmt(bareKeep.rate, 0)} req/s (${fmt(bareKeep.serverMsPerSession, 2)} ms CPU), new mTLS ${fmt(bareNew.rate, 0)} req/s (${fmt(bareNew.serverMsPerSession, 2)} ms CPU)`,
    );
    if (idleKeep && idleNew) {
      console.log(
        `  engine cost vs bare (idle): kept-alive ${fmt(idleKeep.serverMsPerSession / bareKeep.serverMsPerSession, 2)}x CPU, ${fmt(bareKeep.rate / idleKeep.rate, 2)}x rate; new mTLS ${fmt(idleNew.serverMsPerSession / bareNew.serverMsPerSession, 2)}x CPU`,
      );
    }
  }
  console.log(`  server RSS: ${fmt(results[results.length - 1][1].rss / 1048576, 0)} MiB`);
  if (idleKeep) {
    const perSec = idleKeep.rate;
    console.log(
      `  at ${fmt(perSec, 0)} idle sessions/s one server serves ${fmt(perSec * 60, 0)} devices polling every minute, ${fmt(perSec * 8 * 3600, 0)} every 8 hours`,
    );
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

if (process.argv.includes('--server')) void serverMain();
else
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
