// bench/enroll: full Entra enrollments per second over new HTTPS connections, next to the raw
// crypto ceiling of one enrollment (Entra JWT verify + CSR verify + certificate signature)
// measured in this run on one core.
//
//   npm run bench:enroll [-- --enrollments 400 --concurrency 16]
//
// The server runs in a child process (its own core); this process is the client fleet.
// A full enrollment = POST Discover + POST GetPolicies + POST RequestSecurityToken, measured
// three ways: over kept-alive connections, over one new TLS connection per enrollment (what
// WinHTTP does for one device), and over a new TLS connection per request (worst case).
import { fork } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { loadConfig } from '../src/config.js';
import { SignJWT, generateKeyPair, jwtVerify } from 'jose';
import { CertificateAuthority, generateCa } from '../src/pki/ca.js';
import { buildCsr } from '../src/pki/csr-build.js';
import { parseAndVerifyCsr } from '../src/pki/csr.js';
import { startServer } from '../src/server.js';
import { httpsRequest } from '../src/sim/https-client.js';
import { discoverMessage, getPoliciesMessage, rstMessage } from '../src/sim/enroll-messages.js';
import { startFakeEntra } from '../test/helpers/entra.js';
import { OneServerAgent } from './agent.js';
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
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-bench-'));
  const entra = await startFakeEntra();
  const tid = crypto.randomUUID();
  const mint = (deviceId: string) =>
    entra.mintToken({ tid, aud: AUD, upn: 'bench@contoso.com', deviceid: deviceId, version: 'v2' });

  const c = await ceiling();

  const token = crypto.randomBytes(24).toString('base64url');
  const child = fork(fileURLToPath(import.meta.url), ['--server'], {
    execArgv: process.env.BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_PROFILE] : [],
    env: { ...process.env, BENCH_SERVER: JSON.stringify({ dir, authority: entra.authority, token }) },
  });
  const ready = await new Promise<{ port: number; ca: string }>((resolve) => child.once('message', (m) => resolve(m as never)));
  const base = { ca: ready.ca, connectTo: { host: '127.0.0.1', port: ready.port } };
  const admin = await httpsRequest(`https://${HOST}/api/v1/tenants`, {
    ...base,
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ tenantId: tid, cloud: 'standard', audiences: [AUD] }),
  });
  if (admin.status !== 201) throw new Error(`tenant connect failed: ${admin.status}`);

  // Device material: a pool of keys (RSA key generation is the device's cost, not ours).
  const pool = Array.from({ length: 8 }, () => {
    const k = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    return buildCsr({ ...k, subjectCn: 'dev', windowsQuirks: true }).toString('base64');
  });
  let seq = 0;
  const makeJobs = (n: number) =>
    Promise.all(
      Array.from({ length: n }, async () => {
        const i = seq++;
        return { i, jwt: await mint(crypto.randomUUID()), deviceId: crypto.randomBytes(16).toString('hex'), csr: pool[i % pool.length] };
      }),
    );
  type Job = Awaited<ReturnType<typeof makeJobs>>[number];
  const url = (p: string) => `https://${HOST}${p}`;
  const serverCpu = async () => {
    child.send({ cmd: 'rss' });
    return new Promise<{ rss: number; cpu: NodeJS.CpuUsage }>((r) => child.once('message', (m) => r(m as never)));
  };

  type Mode = 'keepalive' | 'per-enrollment' | 'per-request';
  async function measure(mode: Mode, jobs: Job[]) {
    const shared = mode === 'keepalive' ? new OneServerAgent({ keepAlive: true, maxSockets: concurrency }) : undefined;
    let errors = 0;
    const latencies: number[] = [];
    async function enrollOne(j: Job): Promise<void> {
      // per-enrollment: one new TLS connection carries the device's three requests (WinHTTP keep-alive).
      const agent = mode === 'per-enrollment' ? new OneServerAgent({ keepAlive: true, maxSockets: 1 }) : shared;
      const req = (p: string, body: string) =>
        httpsRequest(url(p), { ...base, method: 'POST', body, agent, headers: { 'content-type': 'application/soap+xml; charset=utf-8' } });
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
      if (mode === 'per-enrollment') agent!.destroy();
    }
    const before = await serverCpu();
    const c0 = process.cpuUsage();
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < jobs.length) await enrollOne(jobs[next++]);
      }),
    );
    const secs = (performance.now() - t0) / 1000;
    const cc = process.cpuUsage(c0);
    const after = await serverCpu();
    shared?.destroy();
    const sCpu = (after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system) / 1e6;
    return { mode, n: jobs.length, secs, rate: jobs.length / secs, errors, lat: summarize(latencies), serverCpuMs: (sCpu * 1000) / jobs.length, serverCore: sCpu / secs, clientCore: (cc.user + cc.system) / 1e6 / secs, rss: after.rss };
  }

  await measure('keepalive', await makeJobs(40)); // warm-up
  const modes: Mode[] = ['keepalive', 'per-enrollment', 'per-request'];
  const results = [];
  for (const m of modes) results.push(await measure(m, await makeJobs(total)));

  console.log('fenestra bench/enroll');
  console.log(`  machine: ${os.cpus().length} cores, node ${process.version}; server in a child process, this process is the client`);
  console.log(`  raw crypto, one core: Entra JWT verify ${fmt(c.jwtPerSec, 0)}/s, CSR verify ${fmt(c.csrPerSec, 0)}/s, certificate signature ${fmt(c.signPerSec, 0)}/s`);
  console.log(`  crypto ceiling (1 JWT verify + 1 CSR verify + 1 signature per enrollment): ${fmt(c.ceilingPerSec, 0)} enrollments/s (${fmt(1000 / c.ceilingPerSec, 2)} ms)`);
  console.log(`  full Entra enrollment = Discover + GetPolicies + RST; ${total} enrollments per mode, concurrency ${concurrency}:`);
  const label: Record<Mode, string> = {
    keepalive: 'kept-alive connections      ',
    'per-enrollment': 'new TLS connection/enrollment',
    'per-request': 'new TLS connection/request  ',
  };
  for (const r of results) {
    console.log(
      `    ${label[r.mode]}: ${fmt(r.rate, 1)} enrollments/s, p50 ${fmt(r.lat.p50)} ms, p99 ${fmt(r.lat.p99)} ms, errors ${r.errors}; ` +
        `server ${fmt(r.serverCpuMs, 2)} ms CPU/enrollment (${fmt(r.serverCore * 100, 0)}% core), client ${fmt(r.clientCore * 100, 0)}% core; ratio to ceiling ${fmt(r.rate / c.ceilingPerSec, 2)}`,
    );
  }
  console.log(`  server RSS after the run: ${fmt(results[results.length - 1].rss / 1048576, 0)} MiB`);
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
