// The line PostgreSQL content reads wait in (src/store/postgres/read-queue.ts): no more than its
// slots at once, first come first served, a waiter whose signal aborts leaves at once, waiters
// give up only when nothing in the line finishes for the stall time. The same line under real
// downloads: test/http/content-download-pg.test.ts.
import t from 'tap';
import { StoreUnavailableError } from '../../src/store/errors.js';
import { readQueue } from '../../src/store/postgres/read-queue.js';

/** A promise and its resolve, to finish a query when the test says so. */
function gate<T = void>() {
  let open!: (v: T) => void;
  const p = new Promise<T>((r) => (open = r));
  return { p, open };
}

t.test('at most its slots run; the others start in arrival order as slots free', async (t) => {
  const q = readQueue({ slots: 2, stallMs: 60_000 });
  const gates = Array.from({ length: 5 }, () => gate());
  const started: number[] = [];
  const runs = gates.map((g, i) =>
    q.run(async () => {
      started.push(i);
      await g.p;
      return i;
    }),
  );
  await new Promise((r) => setImmediate(r));
  t.same(started, [0, 1], 'two run');
  t.equal(q.running, 2);
  t.equal(q.waiting, 3);
  gates[1].open();
  t.equal(await runs[1], 1);
  await new Promise((r) => setImmediate(r));
  t.same(started, [0, 1, 2], 'the first waiter took the freed slot');
  gates[0].open();
  gates[2].open();
  await Promise.all([runs[0], runs[2]]);
  await new Promise((r) => setImmediate(r));
  t.same(started, [0, 1, 2, 3, 4], 'then the rest, in order');
  gates[3].open();
  gates[4].open();
  t.same(await Promise.all(runs), [0, 1, 2, 3, 4]);
  t.equal(q.running + q.waiting, 0, 'nothing held');
});

t.test('a failed query frees its slot', async (t) => {
  const q = readQueue({ slots: 1, stallMs: 60_000 });
  const g = gate();
  const a = q.run(async () => {
    await g.p;
    throw new Error('boom');
  });
  const b = q.run(async () => 'b');
  g.open();
  await t.rejects(a, /boom/);
  t.equal(await b, 'b', 'the next one ran');
});

t.test('a waiter whose signal aborts leaves the line at once; one aborted already never waits', async (t) => {
  const q = readQueue({ slots: 1, stallMs: 60_000 });
  const hold = gate();
  const first = q.run(() => hold.p);
  const ac = new AbortController();
  let ran = false;
  const leaving = q.run(async () => {
    ran = true;
  }, ac.signal);
  const after = q.run(async () => 'after');
  t.equal(q.waiting, 2);
  ac.abort(new Error('client gone'));
  // Rejected while the slot is still held: it did not wait for its turn to find out.
  await t.rejects(leaving, /client gone/);
  t.equal(q.waiting, 1, 'out of the line');
  t.equal(q.running, 1, 'the slot still held by the first');
  await t.rejects(
    q.run(async () => undefined, AbortSignal.abort(new Error('already'))),
    /already/,
  );
  hold.open();
  await first;
  t.equal(await after, 'after', 'the one behind it ran');
  t.notOk(ran, 'the aborted query never ran');
});

t.test('a stalled database: waiters give up with StoreUnavailableError, the query running is left to its own timeout', async (t) => {
  const q = readQueue({ slots: 1, stallMs: 200 });
  const stuck = gate();
  const running = q.run(() => stuck.p);
  const waiters = [q.run(async () => 'a'), q.run(async () => 'b')];
  // Without the stall check these would wait for ever (tap's timeout would fail the test). Each has
  // its handler at once: timers and Date.now() may round apart by a millisecond, so the second
  // waiter can give up before the first.
  for (const err of await Promise.all(waiters.map((w) => w.catch((e: unknown) => e)))) {
    t.ok(err instanceof StoreUnavailableError, 'StoreUnavailableError');
    t.match((err as Error).message, /finished no content read within 200 ms/, 'says why');
  }
  t.equal(q.waiting, 0, 'the line is empty');
  t.equal(q.running, 1, 'the stuck query keeps its slot until it ends');
  stuck.open();
  await running;
  t.equal(await q.run(async () => 'later'), 'later', 'the line works again');
});

t.test('a line that moves is not a stall: waiting longer than the stall time in all is fine', async (t) => {
  // Ten queries of 150 ms each through one slot: the last waits about 1.5 s, well over the
  // 600 ms stall time, but a query finishes every 150 ms.
  const q = readQueue({ slots: 1, stallMs: 600 });
  const runs = Array.from({ length: 10 }, (_, i) => q.run(() => new Promise<number>((r) => setTimeout(r, 150, i))));
  t.same(await Promise.all(runs), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 'every one answered');
});

t.test('the byte budget: bytes wait their turn in the line, are kept until released, and a failed query keeps none', async (t) => {
  const q = readQueue({ slots: 4, stallMs: 60_000, budget: 10 });
  const a = await q.take(6, async () => 'a');
  t.equal(q.held, 6, 'kept after the query');
  const started: string[] = [];
  const b = q.take(6, async () => started.push('b'));
  // Fits in what is left, but comes after b: not let past it (b would wait for ever).
  const c = q.take(1, async () => started.push('c'));
  await new Promise((r) => setImmediate(r));
  t.same(started, [], 'b waits for bytes, c behind it, slots free');
  t.equal(q.waiting, 2);
  a.release();
  a.release();
  const [rb, rc] = await Promise.all([b, c]);
  t.same(started, ['b', 'c'], 'in order once a released, released once');
  t.equal(q.held, 7);
  rb.release();
  rc.release();
  await t.rejects(
    q.take(5, async () => {
      throw new Error('boom');
    }),
    /boom/,
  );
  t.equal(q.held, 0, 'nothing kept by the failed query');
  const big = await q.take(50, async () => 'big');
  t.equal(q.held, 50, 'more than the budget runs when nothing else is held');
  big.release();
  t.equal(q.held + q.running + q.waiting, 0);
});

t.test('bytes held by readers that stopped are not a stalled database: the waiter waits for them', async (t) => {
  const stallMs = 50;
  const q = readQueue({ slots: 2, stallMs, budget: 10 });
  const held = await q.take(10, async () => 'held');
  t.equal(q.running, 0, 'no query runs: the budget is held by a download whose client stopped');
  let settled: unknown;
  const waiter = q
    .take(5, async () => 'after')
    .then(
      (r) => (settled = r),
      (e: unknown) => (settled = e),
    );
  // Several stall periods pass with nothing released: no query is stuck, so the waiter stays.
  await new Promise((r) => setTimeout(r, 4 * stallMs));
  t.equal(settled, undefined, 'still waiting, not refused');
  t.equal(q.waiting, 1);
  held.release();
  await waiter;
  t.equal((settled as { value: string }).value, 'after', 'it runs once the bytes are released');
});

t.test('a waiter that leaves the line lets the ones behind it start', async (t) => {
  const q = readQueue({ slots: 2, stallMs: 60_000, budget: 10 });
  const a = await q.take(6, async () => 'a');
  const gone = new AbortController();
  // 8 bytes do not fit beside 6: the head waits; 3 would fit, but first come first served.
  const big = q.take(8, async () => 'big', gone.signal).catch((e: unknown) => e);
  const small = q.take(3, async () => 'small');
  t.equal(q.waiting, 2);
  gone.abort(new Error('client went away'));
  t.match(await big, /client went away/, 'the head left');
  const r = await Promise.race([small, new Promise<'stuck'>((res) => setTimeout(res, 1000, 'stuck'))]);
  t.not(r, 'stuck', 'the one behind it started without waiting for another release');
  if (r !== 'stuck') r.release();
  a.release();
});
