// The line content reads wait in on PostgreSQL. Many downloads starting together (a wave of
// devices sent the same package) would otherwise take every pooled connection: check-ins, enrollments
// and admin requests would wait behind them, and the last of them would pass the pool's
// connection wait (FENESTRA_DATABASE_TIMEOUT) and be refused. Here at most `slots` content
// queries run at once; the others wait their turn, first come first served, for as long as the
// queries ahead of them keep finishing. A slot is held for one query, never while a client reads
// what it fetched, so a slow client does not hold up the line.
// The line also keeps a budget of bytes (issue #15: 200 ranged downloads grew the server by
// ~1 GiB, each holding a whole fetched batch while its client read it): `take` waits, in the same
// line, for a slot and for its bytes, and keeps the bytes after the query until the caller
// releases them (once what it fetched has gone to its client). Whatever the number of downloads,
// fetched content not yet sent stays under the budget. A request larger than the whole budget
// runs alone. First come first served here too: a large request is never overtaken.
// A waiter leaves the line when its signal aborts (the client went away), and with
// StoreUnavailableError when a query runs and nothing in the line made progress (a query
// finished, bytes were released) for `stallMs` while it waited: the database went silent. Bytes
// held by downloads whose clients stopped reading are not a stalled database: those downloads
// are cut by their own stall timer (FENESTRA_CONTENT_STALL_SECONDS), which releases the bytes, so
// a few dozen readers that stop cannot make every other download fail.
import { StoreUnavailableError } from '../errors.js';

export interface ReadQueue {
  /** `fn` once a slot is free; a slot whose query succeeded counts as progress. */
  run<R>(fn: () => Promise<R>, signal?: AbortSignal): Promise<R>;
  /** `fn` once a slot and `bytes` of the budget are free; the bytes stay taken until `release` (or fn fails). */
  take<R>(bytes: number, fn: () => Promise<R>, signal?: AbortSignal): Promise<{ value: R; release(): void }>;
  /** Queries waiting for a slot (and bytes). */
  readonly waiting: number;
  /** Queries holding a slot. */
  readonly running: number;
  /** Bytes of the budget taken. */
  readonly held: number;
}

interface Waiter {
  since: number;
  bytes: number;
  start(): void;
  fail(err: unknown): void;
}

export function readQueue(o: { slots: number; stallMs: number; budget?: number }): ReadQueue {
  const slots = Math.max(1, Math.floor(o.slots));
  const budget = o.budget ?? Infinity;
  let running = 0;
  let held = 0;
  let lastProgress = Date.now();
  // A Set keeps insertion order: first in, first served; a waiter that leaves is removed at once.
  const line = new Set<Waiter>();

  // Bytes fit when they are within what is left, or when nothing is held (a request larger than
  // the budget runs alone rather than never).
  const fits = (bytes: number) => running < slots && (held === 0 || held + bytes <= budget);
  const next = () => {
    for (const w of line) {
      if (!fits(w.bytes)) return;
      line.delete(w);
      running++;
      held += w.bytes;
      w.start();
    }
  };

  const acquire = (signal: AbortSignal | undefined, bytes: number) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      if (line.size === 0 && fits(bytes)) {
        running++;
        held += bytes;
        return resolve();
      }
      let timer: NodeJS.Timeout;
      const onAbort = () => leave(signal!.reason);
      const leave = (err: unknown) => {
        line.delete(w);
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        reject(err);
        // It may have been the head that did not fit: the ones behind it may now.
        next();
      };
      const w: Waiter = {
        since: Date.now(),
        bytes,
        start() {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        fail: leave,
      };
      // Checked when it would be due: progress since then moves the check on.
      // Only a query that does not finish is the database stalling: while none runs, the line
      // waits for bytes held by downloads whose clients are slow or stopped, and those are cut by
      // the download's own stall timer (http/content.ts), which gives their bytes back.
      const check = () => {
        const quiet = Date.now() - Math.max(w.since, lastProgress);
        if (quiet >= o.stallMs && running > 0) {
          w.fail(
            new StoreUnavailableError(
              `PostgreSQL finished no content read within ${o.stallMs} ms (${running} running, ${line.size} waiting, ${held} bytes held by downloads)`,
            ),
          );
        } else timer = setTimeout(check, Math.max(1, o.stallMs - quiet));
      };
      timer = setTimeout(check, o.stallMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      line.add(w);
    });

  const release = (bytes: number) => {
    held -= bytes;
    lastProgress = Date.now();
    next();
  };

  async function take<R>(bytes: number, fn: () => Promise<R>, signal?: AbortSignal) {
    const n = Math.max(0, bytes);
    await acquire(signal, n);
    let ok = false;
    try {
      const value = await fn();
      ok = true;
      let done = false;
      return {
        value,
        release() {
          if (done) return;
          done = true;
          release(n);
        },
      };
    } finally {
      running--;
      if (ok) lastProgress = Date.now();
      // A failed query keeps nothing.
      else held -= n;
      next();
    }
  }

  return {
    async run(fn, signal) {
      return (await take(0, fn, signal)).value;
    },
    take,
    get waiting() {
      return line.size;
    },
    get running() {
      return running;
    },
    get held() {
      return held;
    },
  };
}
