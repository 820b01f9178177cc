// bench/enroll: full Entra enrollments per second over new HTTPS connections, next to the raw
// crypto ceiling of one enrollment (Entra JWT verify + CSR verify + certificate signature)
// measured in this run on one core.
//
//   npm run bench:enroll [-- --enrollments 1000 --concurrency 16]
//
// The server runs in a child process (its own core); this process is the client fleet.
// A full enrollment = POST Discover + POST GetPolicies + POST RequestSecurityToken, each on a
// new TLS connection, as Windows does during Entra join.
import { fork } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { loadConfig } from '../src/config.js';
import { EntraValidator } from '../src/identity/entra.js';
import { CertificateAuthority, generateCa } from '../src/pki/ca.js';
import { buildCsr } from '../src/pki/csr-build.js';
import { parseAndVerifyCsr } from '../src/pki/csr.js';
import { startServer } from '../src/server.js';
import { httpsRequest } from '../src/sim/https-client.js';
import { discoverMessage, getPoliciesMessage, rstMessage } from '../src/sim/enroll-messages.js';
import { startFakeEntra } from '../test/helpers/entra.js';
import { fmt, opsPerSecond, summarize } from './stats.js';

const HOST = 'enterpriseenrollment.bench.test';
const AUD = 'https://mdm.bench.test';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
}

// ---- child: the server ------------------------------------------------------------------------
async function serverMain(): Promise<void> {
  const opts = JSON.parse(process.env.BENCH_SERVER!) as { dir: string; authority: string; token: string };
  const cfg = loadConfig({
    FENESTRA_PUBLIC_URL: `https://${HOST}`,
    FENESTRA_LISTEN: '127.0.0.1:0',
    FENESTRA_DATA_DIR: path.join(opts.dir, 'data'),
    FENESTRA_CERTS_DIR: path.join(opts.dir, 'certs'),
    FENESTRA_ADMIN_TOKEN: opts.token,
    FENESTRA_ENTRA_AUTHORITY: opts.authority,
    FENESTRA_LOG_LEVEL: 'warn',
  });
  const server = await startServer(cfg, pino({ level: 'warn' }));
  process.send!({ port: server.port, ca: server.caCertPem });
  process.on('message', (m: { cmd: string }) => {
    if (m.cmd === 'rss') process.send!({ rss: process.memoryUsage().rss, cpu: process.cpuUsage() });
    if (m.cmd === 'stop') void server.close().then(() => process.exit(0));
  });
}

// ---- parent: ceiling, then load ---------------------------------------------------------------
async function ceiling(entraAuthority: string, tid: string, mint: (deviceId: string) => Promise<string>) {
  const validator = new EntraValidator({
    authorityOverride: entraAuthority,
    lookupTenant: async (t) => (t === tid ? { tenantId: tid, cloud: 'standard', audiences: [AUD] } : undefined),
  });
  const token = await mint(crypto.randomUUID());
  const keys = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const csr = buildCsr({ ...keys, subjectCn: 'x', windowsQuirks: true });
  const spki = keys.publicKey.export({ type: 'spki', format: 'der' });
  const caPem = generateCa({ commonName: 'bench' });
  const ca = CertificateAuthority.fromPem(caPem.certPem, caPem.keyPem);
  const jwtPerSec = await opsPerSecond(() => validator.validate(token));
  const csrPerSec = await opsPerSecond(() => parseAndVerifyCsr(csr));
  const signPerSec = await opsPerSecond(() => ca.issueClientCertificate({ subjectCn: 'x', publicKeySpkiDer: spki, validityDays: 365 }));
  const perEnrollmentMs = 1000 / jwtPerSec + 1000 / csrPerSec + 1000 / signPerSec;
  return { jwtPerSec, csrPerSec, signPerSec, ceilingPerSec: 1000 / perEnrollmentMs };
}

async function main(): Promise<void> {
  const total = arg('enrollments', 600);
  const concurrency = arg('concurrency', 16);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-bench-'));
  const entra = await startFakeEntra();
  const tid = crypto.randomUUID();
  const mint = (deviceId: string) =>
    entra.mintToken({ tid, aud: AUD, upn: 'bench@contoso.com', deviceid: deviceId, version: 'v2' });

  const c = await ceiling(entra.authority, tid, mint);

  const token = crypto.randomBytes(24).toString('base64url');
  const child = fork(fileURLToPath(import.meta.url), ['--server'], {
    execArgv: process.env.BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_PROFILE] : [],
    env: { ...process.env, BENCH_SERVER: JSON.stringify({ dir, authority: entra.authority, token }) },
  });
  const ready = await new Promise<{ port: number; ca: string }>((resolve) => child.once('message', (m) => resolve(m as never)));
  const keepAlive = process.argv.includes('--keepalive');
  const agent = keepAlive ? new https.Agent({ keepAlive: true, maxSockets: concurrency }) : undefined;
  const req = (p: string, body: string, extra: Record<string, string> = {}) =>
    httpsRequest(`https://${HOST}${p}`, {
      method: 'POST',
      body,
      ca: ready.ca,
      connectTo: { host: '127.0.0.1', port: ready.port },
      agent,
      headers: { 'content-type': 'application/soap+xml; charset=utf-8', ...extra },
    });
  const admin = await httpsRequest(`https://${HOST}/api/v1/tenants`, {
    method: 'POST',
    ca: ready.ca,
    connectTo: { host: '127.0.0.1', port: ready.port },
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ tenantId: tid, cloud: 'standard', audiences: [AUD] }),
  });
  if (admin.status !== 201) throw new Error(`tenant connect failed: ${admin.status}`);

  // Device material: a pool of keys (RSA key generation is the device's cost, not ours).
  const pool = Array.from({ length: 8 }, () => {
    const k = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    return buildCsr({ ...k, subjectCn: 'dev', windowsQuirks: true }).toString('base64');
  });
  const warm = 40;
  const jobs = await Promise.all(
    Array.from({ length: total + warm }, async (_, i) => {
      const entraDeviceId = crypto.randomUUID();
      return { i, jwt: await mint(entraDeviceId), deviceId: crypto.randomBytes(16).toString('hex'), csr: pool[i % pool.length] };
    }),
  );

  const url = (p: string) => `https://${HOST}${p}`;
  let errors = 0;
  const latencies: number[] = [];
  async function enrollOne(j: (typeof jobs)[number]): Promise<void> {
    const t0 = performance.now();
    const cred = { kind: 'entra' as const, jwt: j.jwt };
    const d = await req('/EnrollmentServer/Discovery.svc', discoverMessage(url('/EnrollmentServer/Discovery.svc'), { email: 'bench@contoso.com', authPolicies: ['Federated'] }));
    const p = await req('/EnrollmentServer/Policy.svc', getPoliciesMessage(url('/EnrollmentServer/Policy.svc'), cred));
    const e = await req(
      '/EnrollmentServer/Enrollment.svc',
      rstMessage(url('/EnrollmentServer/Enrollment.svc'), cred, {
        requestType: 'Issue',
        tokenBase64: j.csr,
        context: [['DeviceID', j.deviceId], ['EnrollmentType', 'Device'], ['DeviceName', `BENCH-${j.i}`], ['OSVersion', '10.0.22631.1']],
      }),
    );
    if (d.status !== 200 || p.status !== 200 || e.status !== 200) errors++;
    latencies.push(performance.now() - t0);
  }
  async function run(list: typeof jobs): Promise<number> {
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < list.length) await enrollOne(list[next++]);
      }),
    );
    return (performance.now() - t0) / 1000;
  }
  await run(jobs.slice(0, warm));
  latencies.length = 0;
  errors = 0;
  child.send({ cmd: 'rss' });
  const before = await new Promise<{ cpu: NodeJS.CpuUsage }>((r) => child.once('message', (m) => r(m as never)));
  const c0 = process.cpuUsage();
  const secs = await run(jobs.slice(warm));
  const cc = process.cpuUsage(c0);
  const clientCpuSec = (cc.user + cc.system) / 1e6;
  child.send({ cmd: 'rss' });
  const after = await new Promise<{ rss: number; cpu: NodeJS.CpuUsage }>((r) => child.once('message', (m) => r(m as never)));
  const serverCpuSec = (after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system) / 1e6;
  const s = summarize(latencies);
  const rate = total / secs;

  console.log('fenestra bench/enroll');
  console.log(`  machine: ${os.cpus().length} cores, node ${process.version}`);
  console.log(`  raw crypto, one core: Entra JWT verify ${fmt(c.jwtPerSec, 0)}/s, CSR verify ${fmt(c.csrPerSec, 0)}/s, certificate signature ${fmt(c.signPerSec, 0)}/s`);
  console.log(`  crypto ceiling (1 JWT verify + 1 CSR verify + 1 signature per enrollment): ${fmt(c.ceilingPerSec, 0)} enrollments/s`);
  console.log(`  full Entra enrollments (Discover + GetPolicies + RST, ${keepAlive ? 'kept-alive connections' : 'new TLS connection each'}, concurrency ${concurrency}):`);
  console.log(`    ${total} enrollments in ${fmt(secs, 2)} s = ${fmt(rate, 1)} enrollments/s, errors ${errors}`);
  console.log(`    latency per enrollment p50 ${fmt(s.p50)} ms, p99 ${fmt(s.p99)} ms, max ${fmt(s.max)} ms`);
  console.log(`    server CPU ${fmt(serverCpuSec, 2)} s (${fmt((serverCpuSec / secs) * 100, 0)}% of one core), ${fmt((serverCpuSec * 1000) / total, 2)} ms CPU per enrollment; server RSS ${fmt(after.rss / 1048576, 0)} MiB`);
  console.log(`    client CPU ${fmt(clientCpuSec, 2)} s (${fmt((clientCpuSec / secs) * 100, 0)}% of one core)`);
  console.log(`  ratio to ceiling: ${fmt(rate / c.ceilingPerSec, 2)} (target >= 0.5)`);
  child.send({ cmd: 'stop' });
  await new Promise((r) => child.once('exit', r));
  await entra.close();
  fs.rmSync(dir, { recursive: true, force: true });
}

if (process.argv.includes('--server')) void serverMain();
else
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
