// The content store (app packages by SHA-256) on both backends: streamed puts, kept once, the
// size limit enforced as bytes arrive, a pinned hash, ranges (PostgreSQL's 1 MiB chunk edges
// included), random access, delete; nothing left behind by a refused or aborted upload; a 64 MiB
// blob in and out without the process growing by anything near its size.
// PostgreSQL must be reachable (FENESTRA_TEST_PG), as for test/store/postgres.test.ts.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import pg from 'pg';
import t, { type Test } from 'tap';
import { openStore } from '../../src/store/open.js';
import { ContentHashMismatchError, ContentNotFoundError, ContentTooLargeError } from '../../src/store/errors.js';
import type { Store } from '../../src/store/types.js';
import { freshSchema } from '../helpers/pg.js';

const MiB = 1 << 20;
v8.setFlagsFromString('--expose-gc');
/** A full collection (the flag set at run time, the function taken from a fresh context). */
const gc = vm.runInNewContext('gc') as () => void;
const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

/** `data` in pieces of odd sizes, as a network would hand them over. */
async function* pieces(data: Buffer, sizes = [1, 7000, 65536, 333_333]): AsyncGenerator<Uint8Array> {
  let off = 0;
  for (let i = 0; off < data.length; i++) {
    const n = sizes[i % sizes.length];
    yield data.subarray(off, off + n);
    off += n;
  }
}

async function collect(it: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of it) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

/** What a backend has left of uploads: files in the content directory, or chunk rows. */
type Leftovers = () => Promise<string[]>;

async function cases(t: Test, store: Store, leftovers: Leftovers) {
  const c = store.content;
  const data = crypto.randomBytes(2 * MiB + MiB / 2 + 7); // three chunks on PostgreSQL, the last partial
  const hash = sha(data);

  await t.test('streamed put, stat, whole read', async (t) => {
    const info = await c.put(pieces(data), { limit: 10 * MiB });
    t.equal(info.sha256, hash, 'hash of what was streamed');
    t.equal(info.size, data.length);
    t.match(info.createdAt, /^\d{4}-\d\d-\d\dT/);
    t.same(await c.stat(hash), info, 'stat says the same');
    t.ok((await collect(c.read(hash))).equals(data), 'read gives the bytes back');
    t.equal(await c.stat(hash.toUpperCase()), undefined, 'upper-case hex is not a content hash');
    t.equal(await c.stat('../' + hash.slice(3)), undefined, 'nor a path');
  });

  await t.test('the same bytes again: kept once', async (t) => {
    const before = await c.stat(hash);
    const again = await c.put(pieces(data, [MiB]), { limit: 10 * MiB, expectSha256: hash });
    t.same(again, before, 'the stored blob, unchanged');
    t.same(await leftovers(), [hash], 'one copy, nothing else');
  });

  await t.test('ranges', async (t) => {
    const C = MiB;
    const ranges: [number, number][] = [
      [0, 0],
      [0, data.length - 1],
      [C - 1, C - 1],
      [C - 1, C],
      [C, C],
      [C - 5, 2 * C + 5],
      [C + 10, 2 * C - 1],
      [2 * C, data.length - 1],
      [data.length - 1, data.length - 1],
      [12345, 12345 + 1000],
    ];
    for (const [start, end] of ranges) {
      const got = await collect(c.read(hash, { start, end }));
      t.ok(got.equals(data.subarray(start, end + 1)), `bytes ${start}-${end}`);
    }
    for (const r of [
      { start: 0, end: data.length },
      { start: 5, end: 4 },
      { start: -1, end: 3 },
    ]) {
      await t.rejects(collect(c.read(hash, r)), RangeError, `${r.start}-${r.end} refused`);
    }
  });

  await t.test('readAt', async (t) => {
    for (const [off, len] of [
      [0, 16],
      [MiB - 3, 6],
      [MiB - 1, MiB + 2],
      [data.length - 10, 10],
    ]) {
      t.ok((await c.readAt(hash, off, len)).equals(data.subarray(off, off + len)), `${len} bytes at ${off}`);
    }
    t.ok((await c.readAt(hash, data.length - 4, 100)).equals(data.subarray(data.length - 4)), 'fewer at the end');
    t.equal((await c.readAt(hash, data.length + 10, 5)).length, 0, 'past the end: nothing');
    t.equal((await c.readAt(hash, 3, 0)).length, 0, 'no length: nothing');
    await t.rejects(c.readAt('0'.repeat(64), 0, 4), ContentNotFoundError, 'unknown hash');
  });

  await t.test('the size limit, as bytes arrive', async (t) => {
    const big = crypto.randomBytes(3 * MiB);
    let pulled = 0;
    async function* counting() {
      for await (const p of pieces(big, [64 * 1024])) {
        pulled += p.length;
        yield p;
      }
    }
    await t.rejects(c.put(counting(), { limit: MiB + 100 }), ContentTooLargeError);
    t.ok(pulled <= MiB + 100 + 64 * 1024, `stopped reading at the limit (${pulled} bytes read)`);
    t.equal(await c.stat(sha(big)), undefined, 'nothing kept');
    t.same(await leftovers(), [hash], 'no temporary file or chunk left');
    const exact = big.subarray(0, MiB + 100);
    t.equal((await c.put(pieces(exact), { limit: exact.length })).size, exact.length, 'exactly the limit: accepted');
    await c.delete(sha(exact));
  });

  await t.test('a pinned hash that does not match', async (t) => {
    const other = crypto.randomBytes(MiB + 1);
    const err = await c.put(pieces(other), { limit: 10 * MiB, expectSha256: hash.replace(/^./, (d) => (d === '0' ? '1' : '0')) }).catch((e) => e);
    t.type(err, ContentHashMismatchError);
    t.equal((err as ContentHashMismatchError).actual, sha(other), 'names the hash it got');
    t.equal(await c.stat(sha(other)), undefined, 'nothing kept');
    t.same(await leftovers(), [hash], 'no temporary file or chunk left');
  });

  await t.test('an upload that breaks off', async (t) => {
    const part = crypto.randomBytes(MiB + MiB / 2);
    async function* broken() {
      yield* pieces(part);
      throw new Error('client went away');
    }
    await t.rejects(c.put(broken(), { limit: 10 * MiB }), /client went away/);
    t.same(await leftovers(), [hash], 'no temporary file or chunk left');
  });

  await t.test('empty content', async (t) => {
    const info = await c.put(pieces(Buffer.alloc(0)), { limit: 10 });
    t.equal(info.sha256, sha(Buffer.alloc(0)));
    t.equal(info.size, 0);
    t.equal((await collect(c.read(info.sha256))).length, 0);
    await c.delete(info.sha256);
  });

  await t.test('a reader that stops early, then delete', async (t) => {
    let n = 0;
    for await (const chunk of c.read(hash)) {
      n += chunk.length;
      break;
    }
    t.ok(n > 0 && n < data.length, 'stopped after the first piece');
    await c.delete(hash);
    t.equal(await c.stat(hash), undefined, 'gone');
    await t.rejects(collect(c.read(hash)), ContentNotFoundError, 'reading it: not found');
    await t.rejects(collect(c.read('not-a-hash')), ContentNotFoundError, 'not a hash: not found');
    await c.delete(hash);
    t.pass('deleting it again: nothing to do');
    t.same(await leftovers(), [], 'nothing left');
  });

  await t.test('64 MiB in and out without holding it', async (t) => {
    const SIZE = 64 * MiB;
    const block = crypto.randomBytes(64 * 1024);
    /** Deterministic bytes (the block, stamped with its index), never all in memory; `fresh`: a new buffer each (as a stream gives), else the block itself. */
    function* blocks(fresh: boolean) {
      for (let i = 0; i < SIZE / block.length; i++) {
        const b = fresh ? Buffer.from(block) : block;
        b.writeUInt32BE(i, 0);
        yield b;
      }
    }
    const expected = crypto.createHash('sha256');
    for (const b of blocks(false)) expected.update(b);
    const want = expected.digest('hex');
    // Collected as it goes, so that RSS follows what is alive, not the garbage of the pieces.
    gc();
    const base = process.memoryUsage().rss;
    let peak = base;
    const sample = () => {
      gc();
      peak = Math.max(peak, process.memoryUsage().rss);
    };
    async function* body() {
      let i = 0;
      for (const b of blocks(true)) {
        if (++i % 16 === 0) sample();
        yield b;
      }
    }
    const info = await c.put(body(), { limit: SIZE });
    t.equal(info.sha256, want);
    const putGrowth = (peak - base) / MiB;
    t.ok(putGrowth < 16, `put: RSS grew ${putGrowth.toFixed(1)} MiB for a 64 MiB blob`);
    const back = crypto.createHash('sha256');
    let i = 0;
    for await (const chunk of c.read(want)) {
      back.update(chunk);
      if (++i % 4 === 0) sample();
    }
    t.equal(back.digest('hex'), want, 'read back whole');
    const readGrowth = (peak - base) / MiB;
    // Reading holds a few chunks (PostgreSQL: two, as hex text, then bytes), never the blob.
    t.ok(readGrowth < 64, `read: RSS grew ${readGrowth.toFixed(1)} MiB for a 64 MiB blob`);
    await c.delete(want);
  });
}

t.test('sqlite', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fenestra-content-'));
  const store = await openStore({ kind: 'sqlite', file: path.join(dir, 'db', 'f.db') });
  t.teardown(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const root = path.join(dir, 'db', 'content');
  const leftovers = async () => {
    const out: string[] = [];
    for (const e of fs.readdirSync(root, { withFileTypes: true, recursive: true })) {
      if (e.isFile()) out.push(path.relative(root, path.join(e.parentPath, e.name)));
    }
    return out.map((f) => (f.includes(path.sep) ? path.basename(f) : `(stray) ${f}`)).sort();
  };
  await cases(t, store, leftovers);
  t.test('files are where the design says, owner-only', async (t) => {
    const data = Buffer.from('fenestra');
    const info = await store.content.put(pieces(data), { limit: 100 });
    const file = path.join(root, info.sha256.slice(0, 2), info.sha256);
    t.ok(fs.readFileSync(file).equals(data));
    t.equal(fs.statSync(file).mode & 0o777, 0o600);
  });
});

t.test('postgres', async (t) => {
  const s = await freshSchema('content');
  const store = await openStore({ kind: 'postgres', url: s.url });
  const peek = new pg.Client({ connectionString: s.url });
  await peek.connect();
  t.teardown(async () => {
    await peek.end();
    await store.close();
    await s.drop();
  });
  const leftovers = async () => {
    const { rows } = await peek.query('SELECT DISTINCT sha256 FROM content_chunks ORDER BY sha256');
    const blobs = (await peek.query('SELECT sha256 FROM content_blobs ORDER BY sha256')).rows.map((r) => r.sha256);
    const chunked = rows.map((r) => r.sha256 as string);
    // A blob without chunks is an empty one; chunks without a blob are a leftover upload.
    return [...new Set([...blobs, ...chunked])].sort();
  };
  await cases(t, store, leftovers);
  t.test('1 MiB chunks', async (t) => {
    const data = crypto.randomBytes(2 * MiB + 1);
    const info = await store.content.put(pieces(data), { limit: 10 * MiB });
    const { rows } = await peek.query('SELECT seq, length(data) AS n FROM content_chunks WHERE sha256 = $1 ORDER BY seq', [info.sha256]);
    t.same(
      rows.map((r) => [r.seq, r.n]),
      [
        [0, MiB],
        [1, MiB],
        [2, 1],
      ],
    );
  });
});
