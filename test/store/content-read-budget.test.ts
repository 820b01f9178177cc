// The byte budget of PostgreSQL content reads (issue #15: 200 ranged downloads grew the server by
// ~1 GiB): on a real database, with a line whose budget is one batch, reads never hold more than
// the budget together, a reader whose consumer stops holds its one batch and no more (the next
// read waits for it), a reader that ends early gives its share back, a waiter whose signal aborts
// leaves, and pieces stay small. The budget at scale: bench/content.ts (RSS of 200 downloads).
// PostgreSQL must be reachable (FENESTRA_TEST_PG), as for test/store/content.test.ts.
import crypto from 'node:crypto';
import t from 'tap';
import { openStore } from '../../src/store/open.js';
import { openDb } from '../../src/store/postgres/db.js';
import { CONTENT_CHUNK, postgresContent } from '../../src/store/postgres/content.js';
import { readQueue } from '../../src/store/postgres/read-queue.js';
import { freshSchema } from '../helpers/pg.js';

const MiB = 1 << 20;
/** Base64 text of a whole batch (one 1 MiB chunk, 76 characters and a line break per 57 bytes). */
const BATCH_TEXT = Math.ceil(CONTENT_CHUNK / 57) * 77;
/** A read as a generator (it is one), to end it early as the HTTP stream does. */
const open = (it: AsyncIterable<Uint8Array>) => it[Symbol.asyncIterator]() as AsyncGenerator<Uint8Array>;

/** Until `cond` holds, each turn of the event loop (what the database answers decides when; no timer). */
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 100_000; i++) {
    if (cond()) return;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error(`never: ${what}`);
}

t.test('postgres content reads stay within the byte budget', async (t) => {
  const s = await freshSchema('budget');
  const store = await openStore({ kind: 'postgres', url: s.url });
  const db = openDb(s.url);
  t.teardown(async () => {
    await db.pool.end();
    await store.close();
    await s.drop();
  });
  const data = crypto.randomBytes(5 * MiB + 3);
  const { sha256 } = await store.content.put(
    (async function* () {
      yield data;
    })(),
    { limit: 10 * MiB },
  );
  // Room for one batch's text and not two; two slots, so only the budget holds a second read back.
  const budget = BATCH_TEXT + 1000;
  const line = readQueue({ slots: 2, stallMs: 60_000, budget });
  const content = postgresContent(db, { line });

  await t.test('a consumer that stops holds its batch; the next read waits until it ends', async (t) => {
    const a = open(content.read(sha256));
    const first = await a.next();
    t.equal(line.held, BATCH_TEXT, 'the first reader holds its batch text');
    const b = open(content.read(sha256));
    let bGot = false;
    const bFirst = b.next().then((r) => ((bGot = true), r));
    await until(() => line.waiting === 1, 'the second read waits');
    // The first reader's client stops reading here: nothing more is fetched for anyone.
    t.equal(line.held, BATCH_TEXT, 'still one batch held, no more');
    t.notOk(bGot, 'the second read has nothing yet');
    t.ok(Buffer.from((first.value ?? []) as Uint8Array).equals(data.subarray(0, 49152)), 'the first piece, 48 KiB');
    await a.return(undefined);
    t.ok(Buffer.from(((await bFirst).value ?? []) as Uint8Array).equals(data.subarray(0, 49152)), 'the second read goes on once the first ends');
    t.equal(line.held, BATCH_TEXT, 'its batch is held now');
    await b.return(undefined);
    t.equal(line.held, 0, 'both gave their share back');
  });

  await t.test('reads run together: never more than the budget held, small pieces, right bytes', async (t) => {
    let most = 0;
    let biggest = 0;
    const readers = Array.from({ length: 4 }, async (_, i) => {
      const start = i * MiB + 11;
      const parts: Buffer[] = [];
      for await (const c of content.read(sha256, { start, end: data.length - 1 })) {
        most = Math.max(most, line.held);
        biggest = Math.max(biggest, c.length);
        parts.push(Buffer.from(c));
      }
      return Buffer.concat(parts).equals(data.subarray(start));
    });
    t.same(await Promise.all(readers), [true, true, true, true], 'every read has its bytes');
    t.ok(most > 0 && most <= budget, `held at most ${most} of ${budget}`);
    t.ok(biggest <= 49152, `pieces of ${biggest} bytes at most`);
    t.equal(line.held, 0, 'nothing held at the end');
  });

  await t.test('a read waiting for the budget leaves when its signal aborts', async (t) => {
    const a = open(content.read(sha256));
    await a.next();
    const ac = new AbortController();
    const b = open(content.read(sha256, undefined, { signal: ac.signal }));
    const bFirst = b.next();
    await until(() => line.waiting === 1, 'the second read waits');
    ac.abort(new Error('client gone'));
    await t.rejects(bFirst, /client gone/);
    t.equal(line.waiting, 0, 'out of the line');
    await a.return(undefined);
    t.equal(line.held, 0, 'and nothing held');
  });

  await t.test('a small range takes at least the 1 MiB slab it pins from the budget', async (t) => {
    const it = open(content.read(sha256, { start: 100, end: 100 + 10_000 }));
    const first = await it.next();
    t.ok(Buffer.from((first.value ?? []) as Uint8Array).equals(data.subarray(100, 10_101)), 'the range');
    t.equal(line.held, CONTENT_CHUNK, 'charged its slab, not the 13 KB of its text');
    await it.return(undefined);
    t.equal(line.held, 0);
  });

  await t.test('a read that fails gives its share back', async (t) => {
    const it = open(content.read(sha256));
    await it.next();
    await t.rejects(it.throw(new Error('socket reset')), /socket reset/);
    t.equal(line.held, 0);
  });
});
