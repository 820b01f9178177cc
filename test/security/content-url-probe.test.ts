// Outside-in probe of package downloads (GET|HEAD /content/:sha256?e=…&s=…, src/http/content.ts)
// beyond what test/http/content-download.test.ts covers: query tricks (parameters given twice,
// reordered, padded expiry), encoded and traversing paths, a signature of one hash on another,
// conditional requests without a signature (no answer may tell whether a blob exists), range
// floods and absurd numbers, HEAD consistent with GET, and a package deleted after its URL was
// signed. Every refusal is plain text naming the problem, never a crash or a byte of the package.
import crypto from 'node:crypto';
import t from 'tap';
import { deriveKey } from '../../src/app.js';
import { contentUrlSigner } from '../../src/service/apps/content-url.js';
import { PUBLIC_URL, startTestServer } from '../helpers/server.js';

const SECRET = Buffer.alloc(32, 7);
const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

t.test('content URLs under attack', async (t) => {
  const s = await startTestServer({ FENESTRA_SECRET_KEY: SECRET.toString('base64') }, { database: 'sqlite' });
  t.teardown(() => s.close());
  const signer = contentUrlSigner({ baseUrl: PUBLIC_URL, key: deriveKey(SECRET, 'content-urls'), ttlSeconds: 3600 });
  const put = async (b: Buffer) =>
    s.server.store.content.put(
      (async function* () {
        yield b;
      })(),
      { limit: 1 << 20 },
    );
  const data = crypto.randomBytes(100_000);
  const hash = sha(data);
  await put(data);
  const url = signer.url(hash);
  const [path, query] = url.slice(PUBLIC_URL.length).split('?');
  const q = new URLSearchParams(query);
  const e = q.get('e')!;
  const sig = q.get('s')!;
  const get = (u: string, headers: Record<string, string> = {}, method = 'GET') => s.request(u, { method, headers });

  await t.test('query tricks', async (t) => {
    const later = String(Number(e) + 365 * 86400);
    t.equal((await get(`${path}?e=${later}&s=${sig}&e=${e}`)).status, 403, 'a later expiry first, the signed one after: 403');
    t.equal((await get(`${path}?s=${sig}&e=${e}`)).status, 200, 'order of the parameters does not matter');
    t.equal((await get(`${path}?e=0${e}&s=${sig}`)).status, 403, 'a zero-padded expiry is another expiry: 403');
    t.equal((await get(`${path}?e=${e}.0&s=${sig}`)).status, 403, 'a decimal expiry: 403');
    t.equal((await get(`${path}?e=${e}&s=${sig}=`)).status, 403, 'a padded signature: 403');
    t.equal((await get(`${path}?e=${e}&s=${sig.slice(0, 42)}`)).status, 403, 'a short signature: 403');
    t.equal(
      (await get(`${path}?e=${e}&s=${Buffer.from(sig, 'base64url').toString('base64')}`)).status,
      403,
      'base64 instead of base64url (or not): 403 unless identical',
    );
    const r = await get(`${path}?e=${'9'.repeat(40)}&s=${sig}`);
    t.equal(r.status, 403, 'a 40-digit expiry: 403');
    t.match(r.text(), /malformed expiry/, 'named');
  });

  await t.test('paths', async (t) => {
    for (const p of [
      `/content/..%2F..%2F..%2Fetc%2Fpasswd?${query}`,
      `/content/${hash}%00?${query}`,
      `/content/${hash}%2F..?${query}`,
      `/content/${hash.slice(0, 63)}G?${query}`,
      `/content/${'0'.repeat(64)}${hash}?${query}`,
    ]) {
      const r = await get(p);
      t.ok([400, 404, 414].includes(r.status), `${p.slice(0, 50)}: ${r.status}`);
      t.not(r.body.length, data.length, 'no package bytes');
    }
    const encoded = `/content/${[...hash].map((c) => `%${c.charCodeAt(0).toString(16)}`).join('')}?${query}`;
    const r = await get(encoded);
    t.equal(r.status, 200, 'the hash percent-encoded is the same hash, signed: 200');
    t.equal(sha(r.body), hash);
  });

  await t.test('a signature says nothing about another blob, and an unsigned request learns nothing', async (t) => {
    const other = crypto.randomBytes(5000);
    await put(other);
    const otherHash = sha(other);
    for (const headers of [{} as Record<string, string>, { 'if-none-match': `"${otherHash}"` }, { 'if-none-match': '*' }, { range: 'bytes=0-0' }]) {
      const r = await get(`/content/${otherHash}?${query}`, headers);
      t.equal(r.status, 403, `${JSON.stringify(headers)} with another hash's signature: 403`);
      t.notOk(r.headers.etag, 'no ETag');
      t.notOk(r.headers['content-range'], 'no size');
      const unsigned = await get(`/content/${otherHash}`, headers, 'HEAD');
      t.equal(unsigned.status, 403, `${JSON.stringify(headers)} HEAD unsigned: 403`);
      t.notOk(unsigned.headers['content-length'] === String(other.length), 'no size in the HEAD answer');
    }
    const unknown = crypto.randomBytes(32).toString('hex');
    const u1 = await get(`/content/${unknown}?${query}`);
    const u2 = await get(`/content/${otherHash}?${query}`);
    t.equal(u1.status, u2.status, 'unknown and existing look alike without their signature');
    t.equal(u1.text(), u2.text());
  });

  await t.test('ranges: floods and absurd numbers', async (t) => {
    const flood = Array.from({ length: 1500 }, (_, i) => `${i}-${i}`).join(',');
    const r1 = await get(url, { range: `bytes=${flood}` });
    t.equal(r1.status, 200, '1500 ranges: the whole body once, not a multipart answer');
    t.equal(r1.body.length, data.length);
    t.notMatch(String(r1.headers['content-type']), /multipart/);
    const huge = '9'.repeat(400);
    for (const [range, status] of [
      [`bytes=${huge}-`, 416],
      [`bytes=0-${huge}`, 206],
      [`bytes=-${huge}`, 206],
      [`bytes=${huge}-${huge}`, 416],
      ['bytes=-1-2', 200],
      ['bytes= 0 - 1 ', 200],
      ['bytes=0x10-0x20', 200],
      ['bytes=1e3-2e3', 200],
      ['bytes=-', 200],
      ['bytes=', 200],
      [`bytes=0-0${',0-0'.repeat(10)}`, 200],
    ] as const) {
      const r = await get(url, { range });
      t.equal(r.status, status, `${range.slice(0, 30)}: ${status}`);
      if (status === 206) t.equal(r.headers['content-range'], `bytes 0-${data.length - 1}/${data.length}`, 'clamped to the blob');
      if (status === 200) t.equal(r.body.length, data.length, 'the whole body');
      if (status === 416) t.equal(r.body.length < 100, true, 'no bytes');
    }
  });

  await t.test('HEAD answers as GET would, without the body', async (t) => {
    const h = await get(url, {}, 'HEAD');
    const g = await get(url);
    for (const k of ['content-length', 'etag', 'last-modified', 'accept-ranges', 'content-type', 'cache-control', 'x-content-type-options'])
      t.equal(h.headers[k], g.headers[k], `${k} alike`);
    t.equal(h.body.length, 0);
    const cond = await get(url, { 'if-none-match': `"${hash}"` }, 'HEAD');
    t.equal(cond.status, 304, 'HEAD with the ETag: 304 as GET');
  });

  await t.test('a package deleted after its URL was signed is gone', async (t) => {
    const doomed = crypto.randomBytes(3000);
    const h = sha(doomed);
    await put(doomed);
    const u = signer.url(h);
    t.equal((await get(u)).status, 200, 'before: 200');
    await s.server.store.content.delete(h);
    for (const method of ['GET', 'HEAD']) {
      const r = await get(u, { range: 'bytes=0-9' }, method);
      t.equal(r.status, 404, `${method} after the delete: 404`);
      t.not(r.body.length, 10, 'no bytes of it');
    }
  });
});
