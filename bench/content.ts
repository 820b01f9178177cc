// bench/content: app package content (issue #15) from one fenestra server on loopback, on SQLite
// (files beside the database) and on PostgreSQL (1 MiB chunks in the database):
//   - upload: store.content.put of the package streamed from disk, hashed as it goes (MB/s, server
//     CPU), next to the same file read and hashed alone (the floor: what the disk and SHA-256 give);
//   - download: the whole package over HTTPS from its signed URL, as Windows fetches it (MB/s,
//     server CPU per GiB), next to a plain read of the same file from disk in this process;
//   - 200 concurrent ranged downloads, each a different range (together the whole package), with
//     the server's RSS before, at its peak (read from /proc every 20 ms) and after.
// The server runs in a child process (its CPU and RSS are its own); this process is the client,
// and it checks what it received (SHA-256 of the whole download, length of every range).
//
//   npm run bench:content [-- --size-mb 1024 --ranges 200 --store sqlite|pg|both]
//   (smoke: --size-mb 64)
import { fork } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { deriveKey } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { startServer } from '../src/server.js';
import { contentUrlSigner } from '../src/service/apps/content-url.js';
import { freshSchema } from '../test/helpers/pg.js';
import { fmt } from './stats.js';

const HOST = 'mdm.bench.test';
const MiB = 1 << 20;
const argv = process.argv;
const arg = (name: string, def: string) => {
  const i = argv.indexOf(`--${name}`);
  return i > 0 ? argv[i + 1] : def;
};

// ---- child: the server -------------------------------------------------------------------------
interface ServerOpts {
  dir: string;
  secret: string;
  database?: string;
}
type Usage = { rss: number; cpuMs: number; heap: number; external: number };
const usage = (): Usage => {
  const c = process.cpuUsage();
  const u = process.memoryUsage();
  return { rss: u.rss, cpuMs: (c.user + c.system) / 1000, heap: u.heapTotal, external: u.external };
};

async function serverMain(): Promise<void> {
  const o = JSON.parse(process.env.BENCH_SERVER!) as ServerOpts;
  const cfg = loadConfig({
    FENESTRA_PUBLIC_URL: `https://${HOST}`,
    FENESTRA_LISTEN: '127.0.0.1:0',
    FENESTRA_DATA_DIR: path.join(o.dir, 'data'),
    FENESTRA_CERTS_DIR: path.join(o.dir, 'certs'),
    FENESTRA_ADMIN_TOKEN: 'x'.repeat(32),
    FENESTRA_SECRET_KEY: o.secret,
    FENESTRA_LOG_LEVEL: 'error',
    ...(o.database ? { FENESTRA_DATABASE_URL: o.database } : {}),
  });
  const server = await startServer(cfg, pino({ level: 'error' }), { maintenance: false, complianceOutbox: false });
  // The transport floor: a bare HTTPS server (same certificate, same process) streaming a file with fs.
  let bareFile = '';
  const bare = https.createServer(
    { key: fs.readFileSync(path.join(o.dir, 'certs', 'tls-key.pem')), cert: server.tlsCertPem, minVersion: 'TLSv1.2' },
    (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': fs.statSync(bareFile).size });
      fs.createReadStream(bareFile).pipe(res);
    },
  );
  await new Promise<void>((r) => bare.listen(0, '127.0.0.1', r));
  const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
  // Peaks of the process's memory by kind while watched (what grows: V8's heap, or buffers outside it).
  let peaks = { heap: 0, external: 0 };
  let watch: NodeJS.Timeout | undefined;
  process.on('message', (m: { cmd: string; file?: string }) => {
    void (async () => {
      if (m.cmd === 'watch') {
        peaks = { heap: 0, external: 0 };
        watch = setInterval(() => {
          const u = process.memoryUsage();
          peaks = { heap: Math.max(peaks.heap, u.heapTotal), external: Math.max(peaks.external, u.external) };
        }, 20);
        process.send!({});
      } else if (m.cmd === 'peaks') {
        clearInterval(watch);
        process.send!(peaks);
      } else if (m.cmd === 'usage') {
        gc();
        process.send!(usage());
      } else if (m.cmd === 'put') {
        // The floor: the same file read and hashed, nothing written.
        const f0 = performance.now();
        const h = crypto.createHash('sha256');
        for await (const c of fs.createReadStream(m.file!, { highWaterMark: MiB })) h.update(c as Buffer);
        const floorMs = performance.now() - f0;
        const u0 = usage();
        const t0 = performance.now();
        const info = await server.store.content.put(fs.createReadStream(m.file!, { highWaterMark: MiB }), { limit: 2 ** 40 });
        const ms = performance.now() - t0;
        const blob = path.join(o.dir, 'data', 'content', info.sha256.slice(0, 2), info.sha256);
        bareFile = fs.existsSync(blob) ? blob : m.file!;
        process.send!({ sha256: info.sha256, floorHash: h.digest('hex'), floorMs, ms, cpuMs: usage().cpuMs - u0.cpuMs });
      } else if (m.cmd === 'stop') {
        await server.close();
        process.exit(0);
      }
    })();
  });
  process.send!({ port: server.port, barePort: (bare.address() as { port: number }).port, caPem: server.caCertPem });
}

// ---- parent: the client ------------------------------------------------------------------------
type Child = ReturnType<typeof fork>;
const ask = <T>(c: Child, msg: object) =>
  new Promise<T>((resolve) => {
    c.once('message', (m) => resolve(m as T));
    c.send(msg);
  });
const rssOf = (pid: number) => Number(fs.readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]) * 4096;

/** GET with optional Range: bytes received, their SHA-256 (when asked), status. */
function download(
  url: string,
  o: { port: number; ca: string; range?: [number, number]; hash?: boolean },
): Promise<{ status: number; bytes: number; sha256?: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = https.get(
      {
        host: '127.0.0.1',
        port: o.port,
        servername: u.hostname,
        path: u.pathname + u.search,
        ca: o.ca,
        agent: false,
        headers: { host: u.host, ...(o.range ? { range: `bytes=${o.range[0]}-${o.range[1]}` } : {}) },
      },
      (res) => {
        const h = o.hash ? crypto.createHash('sha256') : undefined;
        let bytes = 0;
        res.on('data', (c: Buffer) => {
          bytes += c.length;
          h?.update(c);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes, sha256: h?.digest('hex') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
  });
}

async function benchStore(kind: 'sqlite' | 'pg', file: string, size: number, ranges: number): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `fenestra-bench-content-${kind}-`));
  const schema = kind === 'pg' ? await freshSchema('benchcontent') : undefined;
  const secret = crypto.randomBytes(32);
  const child = fork(fileURLToPath(import.meta.url), ['--server'], {
    env: { ...process.env, BENCH_SERVER: JSON.stringify({ dir, secret: secret.toString('base64'), database: schema?.url } satisfies ServerOpts) },
    execArgv: ['--expose-gc', ...(process.env.BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_PROFILE] : [])],
  });
  try {
    const { port, barePort, caPem } = await new Promise<{ port: number; barePort: number; caPem: string }>((r) => child.once('message', (m) => r(m as never)));
    const mb = size / 1e6;
    console.log(`\n== ${kind === 'pg' ? 'PostgreSQL' : 'SQLite'}: a ${fmt(size / MiB, 0)} MiB package`);

    const put = await ask<{ sha256: string; floorHash: string; floorMs: number; ms: number; cpuMs: number }>(child, { cmd: 'put', file });
    if (put.sha256 !== put.floorHash) throw new Error('put: the stored hash is not the file hash');
    console.log(
      `  upload (put, hashed): ${fmt(mb / (put.ms / 1000), 0)} MB/s, ${fmt(put.ms / 1000, 2)} s, server CPU ${fmt(put.cpuMs / 1000, 2)} s` +
        `   | floor, read + SHA-256 alone: ${fmt(mb / (put.floorMs / 1000), 0)} MB/s`,
    );

    const signer = contentUrlSigner({ baseUrl: `https://${HOST}`, key: deriveKey(secret, 'content-urls'), ttlSeconds: 3600 });
    const url = signer.url(put.sha256);

    // Baselines: the same bytes read from disk by this process (the page cache is warm), and over
    // the bare HTTPS server of the child (fs stream to TLS: the transport floor), hashed alike.
    const f0 = performance.now();
    let fbytes = 0;
    for await (const c of fs.createReadStream(file, { highWaterMark: MiB })) fbytes += (c as Buffer).length;
    const floorMs = performance.now() - f0;
    const b0 = await ask<Usage>(child, { cmd: 'usage' });
    const bt = performance.now();
    const bareGot = await download(`https://${HOST}/bare`, { port: barePort, ca: caPem, hash: true });
    const bareMs = performance.now() - bt;
    const b1 = await ask<Usage>(child, { cmd: 'usage' });
    if (bareGot.sha256 !== put.sha256) throw new Error('bare download: wrong bytes');
    const bareCpu = b1.cpuMs - b0.cpuMs;
    const u0 = await ask<Usage>(child, { cmd: 'usage' });
    const t0 = performance.now();
    const whole = await download(url, { port, ca: caPem, hash: true });
    const ms = performance.now() - t0;
    const u1 = await ask<Usage>(child, { cmd: 'usage' });
    if (whole.status !== 200 || whole.bytes !== size || whole.sha256 !== put.sha256)
      throw new Error(`download: ${whole.status}, ${whole.bytes} bytes, hash ${whole.sha256}`);
    const cpu = u1.cpuMs - u0.cpuMs;
    console.log(
      `  download (HTTPS, whole, client hashes): ${fmt(mb / (ms / 1000), 0)} MB/s, ${fmt(ms / 1000, 2)} s; server CPU ${fmt(cpu / 1000, 2)} s` +
        ` (${fmt((cpu / ms) * 100, 0)}% of a core, ${fmt(cpu / 1000 / (size / 2 ** 30), 2)} s per GiB)`,
    );
    console.log(
      `    baselines: bare HTTPS fs stream ${fmt(mb / (bareMs / 1000), 0)} MB/s, server CPU ${fmt(bareCpu / 1000 / (size / 2 ** 30), 2)} s per GiB;` +
        ` fs read in this process ${fmt(fbytes / 1e6 / (floorMs / 1000), 0)} MB/s`,
    );

    // Concurrent ranged downloads: each its own part of the package, on its own connection.
    const part = Math.ceil(size / ranges);
    const parts = Array.from({ length: ranges }, (_, i) => [i * part, Math.min(size, (i + 1) * part) - 1] as [number, number]).filter(([a, b]) => a <= b);
    const before = await ask<Usage>(child, { cmd: 'usage' });
    await ask(child, { cmd: 'watch' });
    let peak = before.rss;
    const poll = setInterval(() => (peak = Math.max(peak, rssOf(child.pid!))), 20);
    const r0 = performance.now();
    const got = await Promise.all(parts.map((range) => download(url, { port, ca: caPem, range })));
    const rms = performance.now() - r0;
    clearInterval(poll);
    const peaks = await ask<{ heap: number; external: number }>(child, { cmd: 'peaks' });
    const after = await ask<Usage>(child, { cmd: 'usage' });
    const bad = got.filter((g, i) => g.status !== 206 || g.bytes !== parts[i][1] - parts[i][0] + 1);
    if (bad.length) throw new Error(`ranged downloads: ${bad.length} wrong (e.g. ${JSON.stringify(bad[0])})`);
    const m = (b: number) => fmt(b / MiB, 0);
    console.log(
      `  ${parts.length} concurrent ranged downloads of ${fmt(part / MiB, 1)} MiB: ${fmt(mb / (rms / 1000), 0)} MB/s together, ${fmt(rms / 1000, 2)} s; server CPU ${fmt((after.cpuMs - before.cpuMs) / 1000, 2)} s`,
    );
    console.log(`  server RSS: before ${m(before.rss)} MiB, peak ${m(peak)} MiB (+${m(peak - before.rss)}), after ${m(after.rss)} MiB`);
    console.log(
      `    of which at their peaks: V8 heap ${m(before.heap)} -> ${m(peaks.heap)} MiB, buffers outside it ${m(before.external)} -> ${m(peaks.external)} MiB (sampled every 20 ms)`,
    );
  } finally {
    child.send({ cmd: 'stop' });
    await new Promise((r) => child.once('exit', r));
    await schema?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const size = Math.round(Number(arg('size-mb', '1024')) * MiB);
  const ranges = Number(arg('ranges', '200'));
  const which = arg('store', 'sqlite');
  const stores: ('sqlite' | 'pg')[] = which === 'both' ? ['sqlite', 'pg'] : which === 'pg' || which === 'postgres' ? ['pg'] : ['sqlite'];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-bench-package-'));
  const file = path.join(dir, 'package.bin');
  // Random bytes (packages are compressed: nothing to gain from compression anywhere).
  const out = fs.openSync(file, 'w');
  const block = crypto.randomBytes(MiB);
  for (let off = 0; off < size; off += MiB) {
    crypto.randomFillSync(block);
    fs.writeSync(out, block, 0, Math.min(MiB, size - off));
  }
  fs.closeSync(out);
  console.log(`bench/content: ${os.cpus().length} cores, node ${process.version}; server in a child process, this process is the client (loopback, TLS)`);
  try {
    for (const s of stores) await benchStore(s, file, size, ranges);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (argv.includes('--server')) await serverMain();
else await main();
