// bench/auth-flood: a legitimate on-premises enrollment (Discover + GetPolicies + RST with a
// UsernameToken) while a 64-way flood of RSTs with unknown usernames hits the server.
//
//   npm run bench:auth-flood [-- --enrollments 30 --flood 64 --sources single,spread]
//
// Each legitimate enrollment uses an account of its own (no password cache hit: one scrypt per
// enrollment, as for a real device). Phases: the legitimate loop alone (baseline), then during
// the flood, which comes from one address (`single`) or from a new address per request (`spread`:
// the server trusts 127.0.0.1 as a proxy and reads X-Forwarded-For, so the per-address back-off
// cannot help and the bounded hashing queue must). Printed: p50/p99 of the legitimate
// enrollments, flood requests/s and how they were answered, server CPU (cores busy).
// The server and the flood run in child processes of their own; this process is the legitimate client.
import { fork } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { loadConfig } from '../src/config.js';
import { buildCsr } from '../src/pki/csr-build.js';
import { startServer } from '../src/server.js';
import { PATHS } from '../src/service/urls.js';
import { discoverMessage, getPoliciesMessage, rstMessage } from '../src/sim/enroll-messages.js';
import { httpsRequest } from '../src/sim/https-client.js';
import { startFakeEntra } from '../test/helpers/entra.js';
import { RawHttpsConnection } from './raw-https.js';
import { fmt, summarize } from './stats.js';

const HOST = 'enterpriseenrollment.bench.test';
const SOAP = 'application/soap+xml; charset=utf-8';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
}

// ---- child: the server -----------------------------------------------------------------------
async function serverMain(): Promise<void> {
  const o = JSON.parse(process.env.BENCH_SERVER!) as { dir: string; authority: string; token: string };
  const cfg = loadConfig({
    FENESTRA_PUBLIC_URL: `https://${HOST}`,
    FENESTRA_LISTEN: '127.0.0.1:0',
    FENESTRA_DATA_DIR: path.join(o.dir, 'data'),
    FENESTRA_CERTS_DIR: path.join(o.dir, 'certs'),
    FENESTRA_ADMIN_TOKEN: o.token,
    FENESTRA_ENTRA_AUTHORITY: o.authority,
    FENESTRA_LOG_LEVEL: 'warn',
    FENESTRA_TRUSTED_PROXIES: '127.0.0.1/32',
    FENESTRA_PROXY_CERT_FORMAT: 'nginx',
  });
  const server = await startServer(cfg, pino({ level: 'warn' }));
  process.send!({ port: server.port, ca: fs.readFileSync(path.join(o.dir, 'certs', 'ca.pem'), 'utf8') });
  process.on('message', (m: { cmd: string }) => {
    if (m.cmd === 'usage') process.send!({ cpu: process.cpuUsage() });
    if (m.cmd === 'stop') void server.close().then(() => process.exit(0));
  });
}

async function startChild(o: { dir: string; authority: string; token: string }) {
  const child = fork(fileURLToPath(import.meta.url), ['--server'], { env: { ...process.env, BENCH_SERVER: JSON.stringify(o) } });
  const ready = await new Promise<{ port: number; ca: string }>((resolve) => child.once('message', (m) => resolve(m as never)));
  return {
    ...ready,
    cpuSeconds: async () => {
      child.send({ cmd: 'usage' });
      const m = await new Promise<{ cpu: NodeJS.CpuUsage }>((r) => child.once('message', (x) => r(x as never)));
      return (m.cpu.user + m.cpu.system) / 1e6;
    },
    stop: () => {
      child.send({ cmd: 'stop' });
      return new Promise((r) => child.once('exit', r));
    },
  };
}

/** How the server answered: HTTP status and the fault's kind. */
function kindOf(status: number, body: Buffer): string {
  if (status === 200) return '200 ok';
  const text = body.toString('utf8');
  const sub = /<s:Subcode>\s*<s:Value>([^<]+)<\/s:Value>/.exec(text)?.[1] ?? 'no fault';
  const why = /Too many/.test(text) ? 'throttled' : /busy/.test(text) ? 'busy' : /not valid/.test(text) ? 'wrong credentials' : text.slice(0, 40);
  return `${status} ${sub} (${why})`;
}

// ---- parent ----------------------------------------------------------------------------------
async function main(): Promise<void> {
  const enrollments = arg('enrollments', 30);
  const floodWays = arg('flood', 64);
  const srcArg = process.argv.indexOf('--sources');
  const sources = (srcArg > 0 ? process.argv[srcArg + 1].split(',') : ['single', 'spread']) as ('single' | 'spread')[];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-bench-'));
  const entra = await startFakeEntra();
  const token = crypto.randomBytes(24).toString('base64url');
  const server = await startChild({ dir, authority: entra.authority, token });
  const url = (p: string) => `https://${HOST}${p}`;

  // One account per legitimate enrollment (created up front; each creation is one scrypt).
  const phases = 1 + sources.length;
  const accounts = Array.from({ length: enrollments * phases }, (_, i) => ({ username: `bench${i}`, password: `pw-${crypto.randomBytes(8).toString('hex')}` }));
  for (const a of accounts) {
    const r = await httpsRequest(url('/api/v1/enrollment-accounts'), {
      ca: server.ca,
      connectTo: { host: '127.0.0.1', port: server.port },
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(a),
    });
    if (r.status !== 201) throw new Error(`account create failed: ${r.status} ${r.text()}`);
  }
  const keys = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const csr = buildCsr({ ...keys, subjectCn: 'dev', windowsQuirks: true }).toString('base64');
  const secureContext = tls.createSecureContext({ ca: server.ca });
  const connect = () => new RawHttpsConnection({ host: '127.0.0.1', port: server.port, servername: HOST, secureContext }, HOST);
  let nextAccount = 0;
  const LEGIT_FROM = 'X-Forwarded-For: 192.0.2.10\r\n';

  /** `n` legitimate enrollments, one after another, each over a new connection (as a device). */
  async function legitimate(n: number) {
    const lat: number[] = [];
    let failed = 0;
    for (let i = 0; i < n; i++) {
      const a = accounts[nextAccount++];
      const cred = { kind: 'password' as const, username: a.username, password: a.password };
      const deviceId = crypto.randomBytes(16).toString('hex').toUpperCase();
      const steps: [string, string][] = [
        [PATHS.discovery, discoverMessage(url(PATHS.discovery), { email: `${a.username}@contoso.com`, authPolicies: ['OnPremise'] })],
        [PATHS.policy, getPoliciesMessage(url(PATHS.policy), cred)],
        [
          PATHS.enrollment,
          rstMessage(url(PATHS.enrollment), cred, {
            requestType: 'Issue',
            tokenBase64: csr,
            context: [
              ['DeviceID', deviceId],
              ['EnrollmentType', 'Device'],
              ['DeviceName', `LEGIT-${i}`],
              ['OSVersion', '10.0.22631.1'],
            ],
          }),
        ],
      ];
      const conn = connect();
      const t0 = performance.now();
      for (const [p, xml] of steps) {
        const r = await conn.request(p, SOAP, Buffer.from(xml), LEGIT_FROM);
        if (r.status !== 200) {
          failed++;
          console.log(`  legitimate enrollment ${i}: ${p} answered ${kindOf(r.status, r.body)}`);
          break;
        }
      }
      lat.push(performance.now() - t0);
      conn.close();
    }
    return { lat: summarize(lat), failed };
  }

  /** The flood, in a process of its own (so that its client work does not delay the legitimate one). */
  async function flood(ways: number, spread: boolean) {
    const child = fork(fileURLToPath(import.meta.url), ['--flood'], {
      env: { ...process.env, BENCH_FLOOD: JSON.stringify({ port: server.port, ca: server.ca, ways, spread }) },
    });
    await new Promise((r) => child.once('message', r));
    const ask = <T>(cmd: string) => {
      child.send({ cmd });
      return new Promise<T>((r) => child.once('message', (m) => r(m as T)));
    };
    return {
      sent: async () => (await ask<{ sent: number }>('count')).sent,
      async stop() {
        const { kinds } = await ask<{ kinds: [string, number][] }>('stop');
        await new Promise((r) => child.once('exit', r));
        return new Map(kinds);
      },
    };
  }

  const report = (name: string, r: { lat: { n: number; p50: number; p99: number; max: number }; failed: number }, cores: number) =>
    console.log(
      `${name}: legitimate enrollments n=${r.lat.n} p50 ${fmt(r.lat.p50, 0)} ms  p99 ${fmt(r.lat.p99, 0)} ms  max ${fmt(r.lat.max, 0)} ms  failed ${r.failed}; server ${fmt(cores, 2)} cores`,
    );

  console.log(`auth-flood: ${enrollments} legitimate on-premises enrollments per phase, flood ${floodWays}-way, ${os.availableParallelism()} cores`);
  let c0 = await server.cpuSeconds();
  let t0 = performance.now();
  const base = await legitimate(enrollments);
  report('baseline (no flood)', base, ((await server.cpuSeconds()) - c0) / ((performance.now() - t0) / 1000));

  for (const src of sources) {
    const f = await flood(floodWays, src === 'spread');
    await new Promise((r) => setTimeout(r, 2000)); // the flood reaches its steady state
    c0 = await server.cpuSeconds();
    t0 = performance.now();
    const sent0 = await f.sent();
    const r = await legitimate(enrollments);
    const secs = (performance.now() - t0) / 1000;
    const cores = ((await server.cpuSeconds()) - c0) / secs;
    const rate = ((await f.sent()) - sent0) / secs;
    const kinds = await f.stop();
    report(`during flood (${src === 'spread' ? 'a new address per request' : 'one address'})`, r, cores);
    const total = [...kinds.values()].reduce((a, b) => a + b, 0);
    console.log(
      `  flood: ${fmt(rate, 0)} requests/s; answered: ${[...kinds]
        .sort((a, b) => b[1] - a[1])
        .map(([k, n]) => `${k} ${fmt((100 * n) / total, 1)}%`)
        .join(', ')}`,
    );
    // Let back-offs and queues drain before the next phase.
    await new Promise((res) => setTimeout(res, 1000));
  }
  await server.stop();
  await entra.close();
  fs.rmSync(dir, { recursive: true, force: true });
}

// ---- child: the flood ------------------------------------------------------------------------
async function floodMain(): Promise<void> {
  const o = JSON.parse(process.env.BENCH_FLOOD!) as { port: number; ca: string; ways: number; spread: boolean };
  const secureContext = tls.createSecureContext({ ca: o.ca });
  const connect = () => new RawHttpsConnection({ host: '127.0.0.1', port: o.port, servername: HOST, secureContext }, HOST);
  const keys = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const csr = buildCsr({ ...keys, subjectCn: 'dev', windowsQuirks: true }).toString('base64');
  const url = `https://${HOST}${PATHS.enrollment}`;
  let stop = false;
  let sent = 0;
  const kinds = new Map<string, number>();
  const count = (k: string) => kinds.set(k, (kinds.get(k) ?? 0) + 1);
  const done = Promise.all(
    Array.from({ length: o.ways }, async () => {
      let conn = connect();
      while (!stop) {
        const cred = { kind: 'password' as const, username: `nobody-${crypto.randomBytes(6).toString('hex')}`, password: 'guess' };
        const body = Buffer.from(
          rstMessage(url, cred, {
            requestType: 'Issue',
            tokenBase64: csr,
            context: [
              ['DeviceID', 'FLOOD'],
              ['EnrollmentType', 'Device'],
            ],
          }),
        );
        const from = o.spread ? `X-Forwarded-For: 10.${crypto.randomInt(256)}.${crypto.randomInt(256)}.${crypto.randomInt(256)}\r\n` : '';
        try {
          const r = await conn.request(PATHS.enrollment, SOAP, body, from);
          count(kindOf(r.status, r.body));
          sent++;
        } catch {
          count('connection error');
          conn.close();
          conn = connect();
        }
      }
      conn.close();
    }),
  );
  process.on('message', (m: { cmd: string }) => {
    if (m.cmd === 'count') process.send!({ sent });
    if (m.cmd === 'stop') {
      stop = true;
      void done.then(() => process.send!({ kinds: [...kinds] }, () => process.exit(0)));
    }
  });
  process.send!({ ready: true });
}

if (process.argv.includes('--server')) void serverMain();
else if (process.argv.includes('--flood')) void floodMain();
else
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
