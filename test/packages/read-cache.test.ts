// cachedReadAt: the same bytes as the reader it wraps, whatever the offsets, with fewer reads.
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { cachedReadAt, type ReadAt } from '../../src/protocol/packages/errors.js';

t.test('same bytes as the underlying reader, across blocks and at the end of the file', async (t) => {
  const file = randomBytes(10_000);
  let calls = 0;
  const direct: ReadAt = async (o, l) => (calls++, file.subarray(o, o + l));
  const cached = cachedReadAt(direct, 1024, 4);
  for (const [o, l] of [
    [0, 8],
    [1000, 100],
    [1020, 10],
    [3000, 3000],
    [9990, 100],
    [10_000, 10],
    [20_000, 5],
    [5, 0],
  ] as const) {
    t.same(await cached(o, l), file.subarray(o, o + l), `${l} bytes at ${o}`);
  }
  calls = 0;
  for (let o = 0; o < 1024; o += 16) await cached(o, 16);
  t.ok(calls <= 1, `${calls} reads for 64 small reads in one block`);
  calls = 0;
  t.same(await cached(0, 5000), file.subarray(0, 5000), 'a read over four blocks');
  t.equal(calls, 1, 'goes straight through');
});

t.test('a failed read is not cached', async (t) => {
  let fail = true;
  const flaky: ReadAt = async (o, l) => {
    if (fail) throw new Error('storage unavailable');
    return Buffer.alloc(l, 7);
  };
  const cached = cachedReadAt(flaky, 1024, 4);
  await t.rejects(cached(0, 10), /storage unavailable/);
  fail = false;
  t.same(await cached(0, 10), Buffer.alloc(10, 7));
});
