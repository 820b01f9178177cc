// The write-behind buffer after a failed flush: kept for the next attempt in order, bounded
// (oldest traces dropped and counted), last-seen times merged (the later wins), and a failure
// logged once per outage, not once per retry.
import t from 'tap';
import { StoreUnavailableError } from '../../src/store/errors.js';
import { WriteBehindHealth, requeueSeen, requeueTraces } from '../../src/store/write-behind.js';

t.test('a failed batch goes back in front, the newest kept within the bound', async (t) => {
  t.same(requeueTraces([1, 2], [3], 10), { kept: [1, 2, 3], dropped: 0 });
  t.same(requeueTraces([1, 2, 3, 4], [5, 6], 4), { kept: [3, 4, 5, 6], dropped: 2 }, 'oldest dropped');
  t.same(requeueTraces([], [7], 4), { kept: [7], dropped: 0 });
});

t.test('last-seen times merged: the later of the two wins', async (t) => {
  const merged = requeueSeen(
    new Map([
      ['a', '2026-01-02'],
      ['b', '2026-01-05'],
    ]),
    new Map([
      ['a', '2026-01-03'],
      ['c', '2026-01-01'],
    ]),
  );
  t.same(Object.fromEntries(merged), { a: '2026-01-03', b: '2026-01-05', c: '2026-01-01' });
});

t.test('failures logged once per outage, drops counted, recovery logged', async (t) => {
  const lines: string[] = [];
  const log = { warn: (_o: object, m: string) => void lines.push(`warn ${m}`), error: (_o: object, m: string) => void lines.push(`error ${m}`) };
  const h = new WriteBehindHealth(log, 'SQLite');
  t.equal(h.failing, undefined);
  h.failed(new StoreUnavailableError('disk full'), 10, 0);
  h.failed(new StoreUnavailableError('disk full'), 20, 3);
  h.failed(new StoreUnavailableError('disk full'), 30, 0);
  t.match(h.failing?.message, /disk full/, 'failing while flushes fail');
  t.equal(h.dropped, 3);
  h.succeeded();
  t.equal(h.failing, undefined, 'ready again after a successful flush');
  h.succeeded();
  t.same(lines, [
    'error SQLite: write-behind flush failed; kept for retry',
    'error SQLite: buffer full, oldest traces dropped',
    'warn SQLite: write-behind flush succeeded again',
  ]);
});
