// Package downloads from a real server over TLS, as Windows makes them: without a client
// certificate, from a signed expiring URL; HEAD, whole GET, ranges, a resumed download,
// If-Range / If-None-Match, 416, refusals (400 / 403 / 404), and a client that goes away stops
// the server reading the package.
import crypto from 'node:crypto';
import https from 'node:https';
import t from 'tap';
import { deriveKey } from '../../src/app.js';
import { CONTENT_TOKEN, contentUrlSigner, resolveContentTokens } from '../../src/service/apps/content-url.js';
import { Reconciler } from '../../src/service/reconcile/index.js';
import { PUBLIC_URL, startTestServer } from '../helpers/server.js';

const SECRET = Buffer.alloc(32, 42);
const MiB = 1 << 20;
const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

t.test('downloads', async (t) => {
  const srv = await startTestServer({ FENESTRA_SECRET_KEY: SECRET.toString('base64') }, { database: 'sqlite' });
  t.teardown(() => srv.close());
  const key = deriveKey(SECRET, 'content-urls');
  const signer = contentUrlSigner({ baseUrl: PUBLIC_URL, key, ttlSeconds: 3600 });
  const data = crypto.randomBytes(3 * MiB + 17);
  const hash = sha(data);
  await srv.server.store.content.put(
    (async function* () {
      yield data;
    })(),
    { limit: 10 * MiB },
  );
  const url = signer.url(hash);
  t.match(url, new RegExp(`^${PUBLIC_URL}/content/${hash}\\?e=\\d+&s=[A-Za-z0-9_-]{43}$`), 'URL form of contract 3');
  // No client certificate on any request below: the signature is the authorization.
  const get = (u: string, headers: Record<string, string> = {}, method = 'GET') => srv.request(u, { method, headers });

  await t.test('HEAD', async (t) => {
    const r = await get(url, {}, 'HEAD');
    t.equal(r.status, 200, 'answered without a client certificate');
    t.equal(r.headers['content-length'], String(data.length), 'exact Content-Length');
    t.equal(r.headers['accept-ranges'], 'bytes');
    t.equal(r.headers.etag, `"${hash}"`, 'strong ETag: the hash');
    t.equal(r.headers['content-type'], 'application/octet-stream');
    t.equal(r.body.length, 0, 'no body');
    const ranged = await get(url, { range: 'bytes=0-9' }, 'HEAD');
    t.equal(ranged.status, 200, 'Range ignored on HEAD');
  });

  await t.test('whole GET', async (t) => {
    const r = await get(url);
    t.equal(r.status, 200);
    t.equal(r.headers['content-length'], String(data.length));
    t.equal(sha(r.body), hash, 'the bytes hash to the name');
  });

  await t.test('ranges', async (t) => {
    const cases: [string, number, number][] = [
      ['bytes=0-0', 0, 0],
      ['bytes=0-99', 0, 99],
      [`bytes=${MiB - 1}-${MiB}`, MiB - 1, MiB],
      [`bytes=${data.length - 10}-`, data.length - 10, data.length - 1],
      ['bytes=-5', data.length - 5, data.length - 1],
      [`bytes=-${data.length + 100}`, 0, data.length - 1],
      [`bytes=100-${data.length + 1000}`, 100, data.length - 1],
    ];
    for (const [range, start, end] of cases) {
      const r = await get(url, { range });
      t.equal(r.status, 206, `${range}: 206`);
      t.equal(r.headers['content-range'], `bytes ${start}-${end}/${data.length}`, `${range}: Content-Range`);
      t.equal(r.headers['content-length'], String(end - start + 1), `${range}: Content-Length`);
      t.ok(r.body.equals(data.subarray(start, end + 1)), `${range}: the bytes`);
    }
  });

  await t.test('resume: the first half, then the rest', async (t) => {
    const half = Math.floor(data.length / 2);
    const first = await get(url, { range: `bytes=0-${half - 1}` });
    t.equal(first.status, 206);
    const rest = await get(url, { range: `bytes=${half}-`, 'if-range': first.headers.etag as string });
    t.equal(rest.status, 206, 'If-Range with the same ETag: the range');
    t.equal(sha(Buffer.concat([first.body, rest.body])), hash, 'the two halves make the package');
  });

  await t.test('If-Range that does not match: the whole body', async (t) => {
    const r = await get(url, { range: 'bytes=10-', 'if-range': `"${'0'.repeat(64)}"` });
    t.equal(r.status, 200);
    t.equal(r.body.length, data.length);
    const weak = await get(url, { range: 'bytes=10-', 'if-range': `W/"${hash}"` });
    t.equal(weak.status, 200, 'a weak validator never matches If-Range');
  });

  await t.test('unsatisfiable and odd ranges', async (t) => {
    for (const range of [`bytes=${data.length}-`, `bytes=${data.length + 5}-${data.length + 9}`, 'bytes=-0']) {
      const r = await get(url, { range });
      t.equal(r.status, 416, `${range}: 416`);
      t.equal(r.headers['content-range'], `bytes */${data.length}`, `${range}: the size`);
    }
    const multi = await get(url, { range: 'bytes=0-9,20-29' });
    t.equal(multi.status, 200, 'several ranges: the whole body (documented choice)');
    t.equal(multi.body.length, data.length);
    for (const range of ['bytes=9-5', 'items=0-5', 'bytes=abc']) {
      const r = await get(url, { range });
      t.equal(r.status, 200, `${range}: ignored, whole body`);
    }
  });

  await t.test('If-None-Match', async (t) => {
    const r = await get(url, { 'if-none-match': `"${hash}"` });
    t.equal(r.status, 304);
    t.equal(r.body.length, 0);
    t.equal((await get(url, { 'if-none-match': `"x", W/"${hash}"` })).status, 304, 'weak comparison, in a list');
    t.equal((await get(url, { 'if-none-match': '"other"' })).status, 200, 'another tag: the body');
  });

  await t.test('refusals', async (t) => {
    const [path, query] = url.slice(PUBLIC_URL.length).split('?');
    const expired = contentUrlSigner({ baseUrl: PUBLIC_URL, key, ttlSeconds: -60 }).url(hash);
    const r1 = await get(expired);
    t.equal(r1.status, 403, 'expired: 403');
    t.match(r1.text(), /expired/, 'says so');
    t.match(r1.headers['content-type'], /^text\/plain/);
    const forged = contentUrlSigner({ baseUrl: PUBLIC_URL, key: crypto.randomBytes(32), ttlSeconds: 3600 }).url(hash);
    const r2 = await get(forged);
    t.equal(r2.status, 403, 'another key: 403');
    t.match(r2.text(), /bad signature/);
    const later = new URLSearchParams(query);
    later.set('e', String(Number(later.get('e')) + 3600));
    t.match((await get(`${path}?${later}`)).text(), /bad signature/, 'a longer expiry than signed: bad signature');
    const other = crypto.randomBytes(32).toString('hex');
    const r3 = await get(`/content/${other}?${query}`);
    t.equal(r3.status, 403, "another hash with this hash's signature: 403");
    t.equal((await get(path)).status, 403, 'no signature: 403');
    t.match((await get(path)).text(), /not signed/);
    t.equal((await get(signer.url(other))).status, 404, 'signed but unknown: 404');
    const upper = await get(`/content/${hash.toUpperCase()}?${query}`);
    t.equal(upper.status, 400, 'upper-case hash: 400');
    t.match(upper.text(), /sha256/, 'names the field');
    t.equal((await get(`/content/${hash.slice(1)}?${query}`)).status, 400, 'short hash: 400');
  });

  await t.test('a client that goes away stops the read', async (t) => {
    const big = crypto.randomBytes(48 * MiB);
    const bigHash = sha(big);
    await srv.server.store.content.put(
      (async function* () {
        for (let i = 0; i < big.length; i += MiB) yield big.subarray(i, i + MiB);
      })(),
      { limit: 64 * MiB },
    );
    const content = srv.server.store.content;
    const read = content.read.bind(content);
    let served = 0;
    let reads = 0;
    let finished!: () => void;
    const stopped = new Promise<void>((r) => (finished = r));
    content.read = (h, range) =>
      (async function* () {
        reads++;
        try {
          for await (const c of read(h, range)) {
            served += c.length;
            yield c;
          }
        } finally {
          finished();
        }
      })();
    t.teardown(() => {
      content.read = read;
    });
    const bigUrl = signer.url(bigHash);
    const head = await get(bigUrl, {}, 'HEAD');
    t.equal(head.headers['content-length'], String(big.length));
    t.equal(reads, 0, 'HEAD reads nothing of the package');
    const u = new URL(bigUrl);
    await new Promise<void>((resolve, reject) => {
      const req = https.get(
        {
          host: '127.0.0.1',
          port: srv.server.port,
          servername: u.hostname,
          path: u.pathname + u.search,
          headers: { host: u.host },
          ca: srv.caPem,
          agent: false,
        },
        (res) => {
          res.once('data', () => {
            req.destroy();
            resolve();
          });
        },
      );
      req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
    });
    await stopped;
    t.ok(served < big.length / 2, `the server read ${(served / MiB).toFixed(1)} MiB of 48 before stopping`);
  });
});

t.test('closing the server cuts a download under way instead of waiting for it', async (t) => {
  const srv = await startTestServer({ FENESTRA_SECRET_KEY: SECRET.toString('base64') }, { database: 'sqlite' });
  let closed = false;
  t.teardown(() => (closed ? undefined : srv.close()));
  const big = crypto.randomBytes(32 * MiB);
  const info = await srv.server.store.content.put(
    (async function* () {
      yield big;
    })(),
    { limit: 64 * MiB },
  );
  const u = new URL(contentUrlSigner({ baseUrl: PUBLIC_URL, key: deriveKey(SECRET, 'content-urls'), ttlSeconds: 3600 }).url(info.sha256));
  let received = 0;
  const ended = new Promise<void>((resolve) => {
    const req = https.get(
      { host: '127.0.0.1', port: srv.server.port, servername: u.hostname, path: u.pathname + u.search, headers: { host: u.host }, ca: srv.caPem, agent: false },
      (res) => {
        res.on('data', (c: Buffer) => {
          received += c.length;
          if (closed || res.isPaused()) return;
          // A client that stops reading: the server's stream waits on back-pressure. Once the
          // server has closed, it reads what had arrived and finds the connection cut.
          res.pause();
          void srv.close().then(() => {
            closed = true;
            res.resume();
          });
        });
        res.on('error', () => undefined);
      },
    );
    // The connection ends (the server cut it), whatever the paused response makes of it.
    req.on('close', () => resolve());
    req.on('error', () => undefined);
  });
  await ended;
  t.ok(closed, 'the server closed with the download under way');
  t.ok(received < big.length, `the download was cut (${(received / MiB).toFixed(1)} MiB of 32 received)`);
});

t.test('a client that stops taking bytes is cut after FENESTRA_CONTENT_STALL_SECONDS, and resumes', async (t) => {
  const srv = await startTestServer({ FENESTRA_SECRET_KEY: SECRET.toString('base64'), FENESTRA_CONTENT_STALL_SECONDS: '1' }, { database: 'sqlite' });
  t.teardown(() => srv.close());
  const big = crypto.randomBytes(32 * MiB);
  const info = await srv.server.store.content.put(
    (async function* () {
      yield big;
    })(),
    { limit: 64 * MiB },
  );
  const u = new URL(contentUrlSigner({ baseUrl: PUBLIC_URL, key: deriveKey(SECRET, 'content-urls'), ttlSeconds: 3600 }).url(info.sha256));
  // The server's read of the package ends when the server gives up on the client.
  const content = srv.server.store.content;
  const read = content.read.bind(content);
  let readEnded!: () => void;
  const serverGaveUp = new Promise<void>((r) => (readEnded = r));
  content.read = (h, range, o) =>
    (async function* () {
      try {
        yield* read(h, range, o);
      } finally {
        readEnded();
      }
    })();
  const got: Buffer[] = [];
  let paused = false;
  await new Promise<void>((resolve) => {
    const req = https.get(
      { host: '127.0.0.1', port: srv.server.port, servername: u.hostname, path: u.pathname + u.search, headers: { host: u.host }, ca: srv.caPem, agent: false },
      (res) => {
        res.on('data', (c: Buffer) => {
          got.push(c);
          // Stops reading after the first bytes; only once the server has given up does it read what
          // had reached it, and find the connection cut.
          if (!paused) {
            paused = true;
            res.pause();
            void serverGaveUp.then(() => res.resume());
          }
        });
        res.on('error', () => undefined);
      },
    );
    req.on('close', () => resolve());
    req.on('error', () => undefined);
  });
  const head = Buffer.concat(got);
  t.ok(paused && head.length < big.length, `the stalled download was cut (${(head.length / MiB).toFixed(1)} MiB of 32 taken)`);
  t.ok(head.equals(big.subarray(0, head.length)), 'what arrived is the start of the package');
  // Windows resumes from where it stopped.
  const rest = await srv.request(u.toString(), { headers: { range: `bytes=${head.length}-` } });
  t.equal(rest.status, 206);
  t.ok(Buffer.concat([head, rest.body]).equals(big), 'resumed with Range: the whole package');
});

t.test('the reconciler puts signed URLs into commands when they are sent', async (t) => {
  const signer = contentUrlSigner({ baseUrl: 'https://mdm.example.com', key: crypto.randomBytes(32), ttlSeconds: 60 });
  const h = 'a'.repeat(64);
  t.equal(resolveContentTokens('x', signer), 'x', 'no token: unchanged');
  const plain = resolveContentTokens(`{{content:${h}}} and {{content:${h}}}`, signer);
  t.match(plain, new RegExp(`^https://mdm\\.example\\.com/content/${h}\\?e=\\d+&s=[^ ]+ and https://`), 'every token');
  t.equal(resolveContentTokens('{{content:NOTAHASH}}', signer), '{{content:NOTAHASH}}', 'not a hash: left alone');
  const store = {} as ConstructorParameters<typeof Reconciler>[0];
  const r = new Reconciler(store, crypto.randomBytes(32), { contentUrls: signer });
  const job = `<MsiInstallJob><ContentURL>${CONTENT_TOKEN}${h}}}</ContentURL></MsiInstallJob>`;
  const out = r.reveal({
    kind: 'Atomic',
    commands: [
      { kind: 'Exec', items: [{ target: './Device/Vendor/MSFT/X/DownloadInstall', format: 'xml', data: job }] },
      { kind: 'Replace', items: [{ target: './Device/Vendor/MSFT/Y', format: 'chr', data: `{{content:${h}}}` }] },
    ],
  });
  const xml = out.commands![0].items![0].data!;
  t.match(xml, /<ContentURL>https:\/\/mdm\.example\.com\/content\/a{64}\?e=\d+&amp;s=/, 'in an XML document: the URL XML-escaped');
  t.notMatch(out.commands![1].items![0].data!, /&amp;/, 'in plain text: as it is');
  t.match(out.commands![1].items![0].data!, /^https:\/\/mdm\.example\.com\/content\/a{64}\?e=\d+&s=/, 'nested commands too');
  const without = new Reconciler(store, crypto.randomBytes(32));
  t.equal(without.reveal({ kind: 'Exec', items: [{ target: 'x', data: job }] }).items![0].data, job, 'no signer: tokens stay');
});
