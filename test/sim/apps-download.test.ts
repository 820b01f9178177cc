// The simulator's package download against a real local HTTPS server that honours Range and
// If-Range: a whole download, a dropped connection resumed from where it stopped (206 from a
// start > 0), a changed ETag served whole again (200), an HTTP error.
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { CertificateAuthority, generateCa, generateServerCertificate } from '../../src/pki/ca.js';
import { downloadAttempt, sha256File } from '../../src/sim/apps/download.js';

interface Seen {
  range?: string;
  ifRange?: string;
  status: number;
}

/** A package server: GET /pkg with ETag, Range (bytes=N-) and If-Range, as the content endpoint does. */
async function packageServer(body: () => Buffer, etag: () => string) {
  const ca = generateCa({ commonName: 'Apps test CA' });
  const tls = generateServerCertificate(CertificateAuthority.fromPem(ca.certPem, ca.keyPem), { hostnames: ['content.fenestra.test'] });
  const seen: Seen[] = [];
  const server = https.createServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) => {
    const b = body();
    const range = req.headers.range;
    const ifRange = req.headers['if-range'] as string | undefined;
    const rec: Seen = { range, ifRange, status: 0 };
    seen.push(rec);
    if (req.url !== '/pkg') {
      rec.status = 404;
      res.writeHead(404).end();
      return;
    }
    const m = range ? /^bytes=(\d+)-$/.exec(range) : null;
    if (m && (!ifRange || ifRange === etag())) {
      const start = Number(m[1]);
      rec.status = 206;
      res.writeHead(206, { etag: etag(), 'content-length': b.length - start, 'content-range': `bytes ${start}-${b.length - 1}/${b.length}` });
      res.end(b.subarray(start));
      return;
    }
    rec.status = 200;
    res.writeHead(200, { etag: etag(), 'content-length': b.length });
    // In pieces, so a cut lands in the middle of the body.
    for (let i = 0; i < b.length; i += 16 * 1024) res.write(b.subarray(i, i + 16 * 1024));
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    seen,
    caPem: ca.certPem,
    url: (p = '/pkg') => `https://content.fenestra.test${p}`,
    connectTo: { host: '127.0.0.1', port },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

t.test('downloads, resumes with Range after a dropped connection, restarts when the ETag changed', async (t) => {
  let content = crypto.randomBytes(300 * 1024);
  let tag = '"v1"';
  const srv = await packageServer(
    () => content,
    () => tag,
  );
  t.teardown(() => srv.close());
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sim-dl-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');
  const base = { ca: srv.caPem, connectTo: srv.connectTo };

  await t.test('whole', async (t) => {
    const file = path.join(dir, 'whole');
    const a = await downloadAttempt({ ...base, url: srv.url(), file, have: 0 });
    t.ok(a.complete, a.error ?? 'complete');
    t.equal(a.status, 200);
    t.equal(a.have, content.length);
    t.equal(await sha256File(file), sha(content));
    t.equal(srv.seen.at(-1)?.range, undefined, 'no Range on a first attempt');
  });

  await t.test('cut, then resumed from the byte it stopped at', async (t) => {
    const file = path.join(dir, 'resumed');
    const cut = await downloadAttempt({ ...base, url: srv.url(), file, have: 0, cutAfter: 100_000 });
    t.notOk(cut.complete, 'the first attempt is cut');
    t.equal(cut.have, 100_000, 'what arrived is kept');
    t.equal(fs.statSync(file).size, 100_000);
    t.match(cut.error, /dropped after 100000 bytes/);
    t.equal(cut.etag, '"v1"');
    const again = await downloadAttempt({ ...base, url: srv.url(), file, have: cut.have, etag: cut.etag });
    t.ok(again.complete, again.error ?? 'complete');
    t.equal(again.status, 206, 'the server answered the Range');
    t.equal(again.contentRange, `bytes 100000-${content.length - 1}/${content.length}`);
    t.equal(again.received, content.length - 100_000, 'only the rest travelled');
    t.same(srv.seen.at(-1), { range: 'bytes=100000-', ifRange: '"v1"', status: 206 });
    t.equal(await sha256File(file), sha(content), 'the resumed file is the package');
  });

  await t.test('the package changed meanwhile: If-Range gets the whole new one', async (t) => {
    const file = path.join(dir, 'changed');
    const cut = await downloadAttempt({ ...base, url: srv.url(), file, have: 0, cutAfter: 50_000 });
    t.equal(cut.have, 50_000);
    content = crypto.randomBytes(200 * 1024);
    tag = '"v2"';
    const again = await downloadAttempt({ ...base, url: srv.url(), file, have: cut.have, etag: cut.etag });
    t.ok(again.complete, again.error ?? 'complete');
    t.equal(again.status, 200, 'If-Range did not match: the whole package');
    t.equal(again.have, content.length);
    t.equal(await sha256File(file), sha(content), 'no stale bytes of the old package left in front');
  });

  await t.test('an HTTP error is reported as such', async (t) => {
    const a = await downloadAttempt({ ...base, url: srv.url('/gone'), file: path.join(dir, 'gone'), have: 0 });
    t.notOk(a.complete);
    t.equal(a.status, 404);
    t.ok(a.httpError);
  });

  await t.test('an untrusted server is refused', async (t) => {
    const a = await downloadAttempt({ url: srv.url(), connectTo: srv.connectTo, file: path.join(dir, 'untrusted'), have: 0 });
    t.notOk(a.complete);
    t.equal(a.status, 0);
    t.match(a.error, /certificate/i);
  });
});
