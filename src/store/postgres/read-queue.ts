// The line content reads wait in on PostgreSQL. Many downloads starting together (a wave of
// devices sent the same package) would otherwise take every pooled connection: check-ins, enrollments
// and admin requests would wait behind them, and the last of them would pass the pool's
// connection wait (FENESTRA_DATABASE_TIMEOUT) and be refused. Here at most `slots` content
// queries run at once; the others wait their turn, first come first served, for as long as the
// queries ahead of them keep finishing. A slot is held for one query, never while a client reads
// what it fetched, so a slow client does not hold up the line.
// A waiter leaves the line when its signal aborts (the client went away), and with
// StoreUnavailableError when no query of the line has finished for `stallMs` while it waited
// (the database went silent: the queries running time out on their own, the waiters need not
// each wait their turn to find out).
import { StoreUnavailableError } from '../errors.js';

export interface ReadQueue {
  /** `fn` once a slot is free; a slot whose query succeeded counts as progress. */
  run<R>(fn: () => Promise<R>, signal?: AbortSignal): Promise<R>;
  /** Queries waiting for a slot. */
  readonly waiting: number;
  /** Queries holding a slot. */
  readonly running: number;
}

interface Waiter {
  since: number;
  start(): void;
  fail(err: unknown): void;
}

export function readQueue(o: { slots: number; stallMs: number }): ReadQueue {
  const slots = Math.max(1, Math.floor(o.slots));
  let running = 0;
  let lastProgress = Date.now();
  // A Set keeps insertion order: first in, first served; a waiter that leaves is removed at once.
  const line = new Set<Waiter>();

  const next = () => {
    for (const w of line) {
      if (running >= slots) return;
      line.delete(w);
      running++;
      w.start();
    }
  };

  const acquire = (signal: AbortSignal | undefined) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      if (running < slots && line.size === 0) {
        running++;
        return resolve();
      }
      let timer: NodeJS.Timeout;
      const onAbort = () => leave(signal!.reason);
      const leave = (err: unknown) => {
        line.delete(w);
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        reject(err);
      };
      const w: Waiter = {
        since: Date.now(),
        start() {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        fail: leave,
      };
      // Checked when it would be due: progress since then moves the check on.
      const check = () => {
        const quiet = Date.now() - Math.max(w.since, lastProgress);
        if (quiet >= o.stallMs) {
          w.fail(new StoreUnavailableError(`PostgreSQL finished no content read within ${o.stallMs} ms (${running} running, ${line.size} waiting)`));
        } else timer = setTimeout(check, o.stallMs - quiet);
      };
      timer = setTimeout(check, o.stallMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      line.add(w);
    });

  return {
    async run(fn, signal) {
      await acquire(signal);
      let ok = false;
      try {
        const r = await fn();
        ok = true;
        return r;
      } finally {
        running--;
        if (ok) lastProgress = Date.now();
        next();
      }
    },
    get waiting() {
      return line.size;
    },
    get running() {
      return running;
    },
  };
}
