// bench/enroll: full Entra enrollments per second over new HTTPS connections, next to the raw
// crypto ceiling of one enrollment (Entra JWT verify + CSR verify + certificate signature)
// measured in this run on one core.
//
//   npm run bench:enroll [-- --enrollments 400 --concurrency 16 --workers 1 --modes keepalive,per-enrollment,per-request]
//        [--floor 0] [--log-level info]
//
// --floor 0 skips the transport floor runs; --log-level runs the server at that level (default
// warn) with its log lines going to /dev/null (info: an access line per request, as by default).
//
// The server runs in a child process (with --workers N, FENESTRA_WORKERS=N); this process is
// the client fleet, on the same machine. A full enrollment = POST Discover + POST GetPolicies +
// POST RequestSecurityToken, measured three ways: over kept-alive connections, over one new
// TLS connection per enrollment (what WinHTTP does for one device), and over a new TLS
// connection per request, where the device resumes its TLS session as Schannel does.
// The client is a lean raw-TLS one (raw-https.ts) so that the shared cores go to the server.
import { fork } from 'node:child_process';
import cluster from 'node:cluster';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import pino from 'pino';
import { loadConfig } from '../src/config.js';
import { SignJWT, generateKeyPair, jwtVerify } from 'jose';
import { CertificateAuthority, generateCa } from '../src/pki/ca.js';
import { buildCsr } from '../src/pki/csr-build.js';
import { parseAndVerifyCsr } from '../src/pki/csr.js';
import { startPrimary } from '../src/cluster.js';
import { startServer } from '../src/server.js';
import { httpsRequest } from '../src/sim/https-client.js';
import { PATHS } from '../src/service/urls.js';
import { discoverMessage, getPoliciesMessage, rstMessage } from '../src/sim/enroll-messages.js';
import { startFakeEntra } from '../test/helpers/entra.js';
import { freePort } from '../test/helpers/child-server.js';
import { RawHttpsConnection } from './raw-https.js';
import { cpuWithWorkers, rssWithWorkers } from './server-usage.js';
import { fmt, opsPerSecond, summarize } from './stats.js';

const HOST = 'enterpriseenrollment.bench.test';
const AUD = 'https://mdm.bench.test';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
}

// ---- child: the server (fenestra, or the transport floor) --------------------------------------
interface ServerOpts {
  dir: string;
  authority: string;
  token: string;
  workers: number;
  port: number;
  logLevel?: string;
  /** Transport floor: a bare Fastify on the same TLS certificate answering each path with the
   * reply fenestra gave it (same sizes), doing nothing else. */
  canned?: Record<string, string>;
}

async function bareServer(o: ServerOpts): Promise<{ port: number; close: () => Promise<void> }> {
  const certs = path.join(o.dir, 'certs');
  const app = Fastify({ https: { key: fs.readFileSync(path.join(certs, 'tls-key.pem')), cert: fs.readFileSync(path.join(certs, 'tls.pem')) } });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_r, b, done) => done(null, b));
  for (const [p, b64] of Object.entries(o.canned!)) {
    const body = Buffer.from(b64, 'base64');
    app.post(p, async (_req, reply) => reply.header('content-type', 'application/soap+xml; charset=utf-8').header('content-length', body.length).send(body));
  }
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { port: (app.server.address() as { port: number }).port, close: () => app.close() };
}

async function serverMain(): Promise<void> {
  const opts = JSON.parse(process.env.BENCH_SERVER!) as ServerOpts;
  const cfg = loadConfig({
    FENESTRA_PUBLIC_URL: `https://${HOST}`,
    FENESTRA_LISTEN: `127.0.0.1:${opts.workers > 1 ? opts.port : 0}`,
    FENESTRA_DATA_DIR: path.join(opts.dir, 'data'),
    FENESTRA_CERTS_DIR: path.join(opts.dir, 'certs'),
    FENESTRA_ADMIN_TOKEN: opts.token,
    FENESTRA_ENTRA_AUTHORITY: opts.authority,
    FENESTRA_LOG_LEVEL: opts.logLevel ?? 'warn',
  });
  const logger = () => (opts.logLevel ? pino({ level: opts.logLevel }, pino.destination('/dev/null')) : pino({ level: 'warn' }));
  if (cluster.isWorker) {
    await startServer(cfg, logger(), { maintenance: false });
    return;
  }
  let port: number;
  let workerPids: () => number[] = () => [];
  let close: () => Promise<void>;
  if (opts.canned) {
    ({ port, close } = await bareServer(opts));
  } else if (opts.workers > 1) {
    const primary = await startPrimary(cfg, opts.workers, logger());
    port = opts.port;
    workerPids = primary.workers;
    close = async () => undefined;
  } else {
    const server = await startServer(cfg, logger());
    port = server.port;
    close = () => server.close();
  }
  process.send!({ port, ca: fs.readFileSync(path.join(opts.dir, 'certs', 'ca.pem'), 'utf8') });
  process.on('message', (m: { cmd: string }) => {
    if (m.cmd === 'usage') process.send!({ rss: rssWithWorkers(workerPids()), cpu: cpuWithWorkers(workerPids()) });
    if (m.cmd === 'stop') void close().then(() => process.exit(0));
  });
}

/** A server child process and what the parent asks of it. */
async function startChild(o: ServerOpts) {
  const child = fork(fileURLToPath(import.meta.url), ['--server'], {
    execArgv: process.env.BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_PROFILE] : [],
    env: { ...process.env, BENCH_SERVER: JSON.stringify(o) },
  });
  const ready = await new Promise<{ port: number; ca: string }>((resolve) => child.once('message', (m) => resolve(m as never)));
  return {
    ...ready,
    usage: () => {
      child.send({ cmd: 'usage' });
      return new Promise<{ rss: number; cpu: NodeJS.CpuUsage }>((r) => child.once('message', (m) => r(m as never)));
    },
    stop: () => {
      child.send({ cmd: 'stop' });
      return new Promise((r) => child.once('exit', r));
    },
  };
}
type Child = Awaited<ReturnType<typeof startChild>>;

// ---- parent: ceiling, then load ---------------------------------------------------------------
async function ceiling() {
  // Raw costs, no caches: jose's RS256 JWT verification with the key in hand, the CSR's
  // self-signature check, and issuing (building + signing) one device certificate.
  const jwk = await generateKeyPair('RS256');
  const token = await new SignJWT({ tid: 't', oid: 'o', deviceid: 'd' })
    .setProtectedHeader({ alg: 'RS256', kid: 'k' })
    .setIssuer('https://login.microsoftonline.com/t/v2.0')
    .setAudience(AUD)
    .setExpirationTime('1h')
    .sign(jwk.privateKey);
  const keys = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const csr = buildCsr({ ...keys, subjectCn: 'x', windowsQuirks: true });
  const spki = keys.publicKey.export({ type: 'spki', format: 'der' });
  const caPem = generateCa({ commonName: 'bench' });
  const ca = CertificateAuthority.fromPem(caPem.certPem, caPem.keyPem);
  const jwtPerSec = await opsPerSecond(() => jwtVerify(token, jwk.publicKey, { algorithms: ['RS256'], audience: AUD }));
  const csrPerSec = await opsPerSecond(() => parseAndVerifyCsr(csr));
  const signPerSec = await opsPerSecond(() => ca.issueClientCertificate({ subjectCn: 'x', publicKeySpkiDer: spki, validityDays: 365 }));
  const perEnrollmentMs = 1000 / jwtPerSec + 1000 / csrPerSec + 1000 / signPerSec;
  return { jwtPerSec, csrPerSec, signPerSec, ceilingPerSec: 1000 / perEnrollmentMs };
}

async function main(): Promise<void> {
  const total = arg('enrollments', 400);
  const concurrency = arg('concurrency', 16);
  const workers = arg('workers', 1);
  const withFloor = arg('floor', 1) !== 0;
  const levelArg = process.argv.indexOf('--log-level');
  const logLevel = levelArg > 0 ? process.argv[levelArg + 1] : undefined;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-bench-'));
  const entra = await startFakeEntra();
  const tid = crypto.randomUUID();
  const mint = (deviceId: string) => entra.mintToken({ tid, aud: AUD, upn: 'bench@contoso.com', deviceid: deviceId, version: 'v2' });

  const c = await ceiling();

  const token = crypto.randomBytes(24).toString('base64url');
  const server = await startChild({ dir, authority: entra.authority, token, workers, port: await freePort(), logLevel });
  const admin = await httpsRequest(`https://${HOST}/api/v1/tenants`, {
    ca: server.ca,
    connectTo: { host: '127.0.0.1', port: server.port },
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ tenantId: tid, cloud: 'standard', audiences: [AUD] }),
  });
  if (admin.status !== 201) throw new Error(`tenant connect failed: ${admin.status}`);

  // Device material, made before the clock starts: a pool of keys (RSA key generation is the
  // device's cost, not ours), one Entra token and the three request bodies per enrollment.
  const pool = Array.from({ length: 8 }, () => {
    const k = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    return buildCsr({ ...k, subjectCn: 'dev', windowsQuirks: true }).toString('base64');
  });
  const url = (p: string) => `https://${HOST}${p}`;
  let seq = 0;
  const makeJobs = (n: number) =>
    Promise.all(
      Array.from({ length: n }, async () => {
        const i = seq++;
        const deviceId = crypto.randomBytes(16).toString('hex');
        const cred = { kind: 'entra' as const, jwt: await mint(deviceId) };
        return {
          discover: Buffer.from(discoverMessage(url(PATHS.discovery), { email: 'bench@contoso.com', authPolicies: ['Federated'] })),
          policies: Buffer.from(getPoliciesMessage(url(PATHS.policy), cred)),
          rst: Buffer.from(
            rstMessage(url(PATHS.enrollment), cred, {
              requestType: 'Issue',
              tokenBase64: pool[i % pool.length],
              context: [
                ['DeviceID', deviceId],
                ['EnrollmentType', 'Device'],
                ['DeviceName', `BENCH-${i}`],
                ['OSVersion', '10.0.22631.1'],
              ],
            }),
          ),
        };
      }),
    );
  type Job = Awaited<ReturnType<typeof makeJobs>>[number];
  const secureContext = tls.createSecureContext({ ca: server.ca });
  const SOAP = 'application/soap+xml; charset=utf-8';

  type Mode = 'keepalive' | 'per-enrollment' | 'per-request';
  /** The last reply fenestra gave per path: the transport floor answers with these bytes. */
  const lastReply: Record<string, Buffer> = {};
  async function measure(target: Child, mode: Mode, jobs: Job[]) {
    const connect = (session?: Buffer) => new RawHttpsConnection({ host: '127.0.0.1', port: target.port, servername: HOST, secureContext, session }, HOST);
    let errors = 0;
    let resumed = 0;
    const latencies: number[] = [];
    async function enrollOne(j: Job, kept?: RawHttpsConnection): Promise<void> {
      const t0 = performance.now();
      let conn = kept ?? connect();
      let session: Buffer | undefined;
      const statuses: number[] = [];
      const steps: [string, Buffer][] = [
        [PATHS.discovery, j.discover],
        [PATHS.policy, j.policies],
        [PATHS.enrollment, j.rst],
      ];
      for (const [i, [p, body]] of steps.entries()) {
        if (mode === 'per-request' && i > 0) {
          // The device's next request: a new connection that resumes its last TLS session.
          session = conn.session ?? session;
          conn.close();
          conn = connect(session);
        }
        const r = await conn.request(p, SOAP, body);
        statuses.push(r.status);
        lastReply[p] = r.body;
        if (mode === 'per-request' && i > 0 && conn.resumed) resumed++;
      }
      if (statuses.some((s) => s !== 200)) errors++;
      latencies.push(performance.now() - t0);
      if (!kept) conn.close();
    }
    const kept = mode === 'keepalive' ? Array.from({ length: concurrency }, () => connect()) : [];
    const before = await target.usage();
    const c0 = process.cpuUsage();
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async (_, w) => {
        while (next < jobs.length) await enrollOne(jobs[next++], kept[w]);
      }),
    );
    const secs = (performance.now() - t0) / 1000;
    const cc = process.cpuUsage(c0);
    const after = await target.usage();
    for (const k of kept) k.close();
    const sCpu = (after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system) / 1e6;
    return {
      mode,
      n: jobs.length,
      secs,
      rate: jobs.length / secs,
      errors,
      resumed,
      lat: summarize(latencies),
      serverCpuMs: (sCpu * 1000) / jobs.length,
      serverCore: sCpu / secs,
      clientCpuMs: (cc.user + cc.system) / 1000 / jobs.length,
      rss: after.rss,
    };
  }

  const modeArg = process.argv.indexOf('--modes');
  const modes = (modeArg > 0 ? process.argv[modeArg + 1].split(',') : ['keepalive', 'per-enrollment', 'per-request']) as Mode[];
  await measure(server, 'keepalive', await makeJobs(40)); // warm-up
  const results = [];
  for (const m of modes) results.push(await measure(server, m, await makeJobs(total)));
  await server.stop();
  // The transport floor, same client, TLS certificate and reply sizes.
  const floor = new Map<Mode, Awaited<ReturnType<typeof measure>>>();
  if (withFloor) {
    const canned = Object.fromEntries(Object.entries(lastReply).map(([p, b]) => [p, b.toString('base64')]));
    const bare = await startChild({ dir, authority: entra.authority, token, workers: 1, port: 0, canned });
    await measure(bare, 'keepalive', await makeJobs(40));
    for (const m of modes) floor.set(m, await measure(bare, m, await makeJobs(total)));
    await bare.stop();
  }

  console.log('fenestra bench/enroll');
  console.log(
    `  machine: ${os.cpus().length} cores, node ${process.version}; server in a child process${workers > 1 ? ` with ${workers} workers (FENESTRA_WORKERS)` : ''}, this process is the client (raw TLS)`,
  );
  console.log(
    `  raw crypto, one core: Entra JWT verify ${fmt(c.jwtPerSec, 0)}/s, CSR verify ${fmt(c.csrPerSec, 0)}/s, certificate signature ${fmt(c.signPerSec, 0)}/s`,
  );
  console.log(
    `  crypto ceiling (1 JWT verify + 1 CSR verify + 1 signature per enrollment): ${fmt(c.ceilingPerSec, 0)} enrollments/s (${fmt(1000 / c.ceilingPerSec, 2)} ms)`,
  );
  console.log(`  full Entra enrollment = Discover + GetPolicies + RST; ${total} enrollments per mode, concurrency ${concurrency}:`);
  const label: Record<Mode, string> = {
    keepalive: 'kept-alive connections              ',
    'per-enrollment': 'new TLS connection/enrollment       ',
    'per-request': 'new TLS connection/request (resumed)',
  };
  if (logLevel) console.log(`  server log level ${logLevel} (lines to /dev/null)`);
  for (const r of results) {
    console.log(
      `    ${label[r.mode]}: ${fmt(r.rate, 1)} enrollments/s, p50 ${fmt(r.lat.p50)} ms, p99 ${fmt(r.lat.p99)} ms, errors ${r.errors}; ` +
        `server ${fmt(r.serverCpuMs, 3)} ms CPU/enrollment (${fmt(r.serverCore * 100, 0)}% core), client ${fmt(r.clientCpuMs, 2)} ms; ` +
        `ratio to ceiling ${fmt(r.rate / c.ceilingPerSec, 2)}${r.mode === 'per-request' ? `; ${r.resumed} of ${2 * r.n} later connections resumed` : ''}`,
    );
    const f = floor.get(r.mode);
    if (!f) continue;
    // The best any server could do on one core here: the transport floor plus the crypto.
    const bestPerSec = 1000 / (f.serverCpuMs + 1000 / c.ceilingPerSec);
    console.log(
      `      transport floor (bare Fastify, canned replies): ${fmt(f.rate, 1)}/s, ${fmt(f.serverCpuMs, 2)} ms CPU/enrollment; ` +
        `floor + crypto on one core = ${fmt(bestPerSec, 0)}/s (ratio ${fmt(bestPerSec / c.ceilingPerSec, 2)}); ` +
        `fenestra's own work ${fmt(r.serverCpuMs - f.serverCpuMs - 1000 / c.ceilingPerSec, 2)} ms`,
    );
  }
  console.log(`  server RSS after the run: ${fmt(results[results.length - 1].rss / 1048576, 0)} MiB`);
  await entra.close();
  fs.rmSync(dir, { recursive: true, force: true });
}

if (process.argv.includes('--server')) void serverMain();
else
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
