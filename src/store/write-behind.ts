// Bypass (docs/performance.md): an idle check-in writes no transaction (SQLite ~35 µs CPU less, PostgreSQL no commit); same data: suite.ts 'written behind'.
// What both backends' write-behind (traces, last-seen times) does when a flush fails: the
// database is down or the disk is full. The buffer is kept for the next attempt, bounded: past
// MAX_BUFFERED_TRACES the oldest traces are dropped (counted and logged), never the process.
import { isStoreUnavailable } from './errors.js';
import type { SessionTurn } from './types.js';

/**
 * Whether a session turn changes anything besides its trace and the device's last-seen time
 * (both written behind): an idle check-in does not, and both backends then open no transaction.
 */
export function turnWrites(turn: SessionTurn): boolean {
  return !!(
    turn.enqueue.length ||
    turn.acks.length ||
    turn.sent.length ||
    turn.alerts.length ||
    turn.login ||
    turn.device ||
    turn.session ||
    !turn.sessionIsNew ||
    turn.deliveries?.length ||
    turn.dropDeliveries?.length
  );
}

/** Where a store reports what it cannot tell a caller (a pino logger fits). */
export interface StoreLog {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

// Traces are at most 16 KiB each (engine traceMaxBytes): 64 MiB at worst.
export const MAX_BUFFERED_TRACES = 4000;
/** Delay before a failed flush is tried again (without new traffic to trigger one). */
export const FLUSH_RETRY_MS = 1000;

/** `failed` (taken by a flush that failed) back in front of what arrived since; the newest `max` kept. */
export function requeueTraces<T>(failed: T[], since: T[], max = MAX_BUFFERED_TRACES): { kept: T[]; dropped: number } {
  const all = failed.length ? failed.concat(since) : since;
  const dropped = Math.max(0, all.length - max);
  return { kept: dropped ? all.slice(dropped) : all, dropped };
}

/** Last-seen times of a failed flush merged back: the later time of each device wins. */
export function requeueSeen(failed: Map<string, string>, since: Map<string, string>): Map<string, string> {
  for (const [pk, at] of failed) {
    const now = since.get(pk);
    if (now === undefined || now < at) since.set(pk, at);
  }
  return since;
}

/** Counts failures and drops, logs a failure once per outage (and its end), and says whether writes are failing. */
export class WriteBehindHealth {
  failing: Error | undefined;
  dropped = 0;
  private readonly log: StoreLog | undefined;
  private readonly what: string;
  constructor(log: StoreLog | undefined, what: string) {
    this.log = log;
    this.what = what;
  }

  failed(err: unknown, buffered: number, dropped: number): void {
    this.dropped += dropped;
    if (dropped) this.log?.error({ dropped, droppedTotal: this.dropped }, `${this.what}: buffer full, oldest traces dropped`);
    if (!this.failing) {
      this.log?.error({ err, buffered, unavailable: isStoreUnavailable(err) }, `${this.what}: write-behind flush failed; kept for retry`);
    }
    this.failing = err instanceof Error ? err : new Error(String(err));
  }

  succeeded(): void {
    if (this.failing) this.log?.warn({ droppedTotal: this.dropped }, `${this.what}: write-behind flush succeeded again`);
    this.failing = undefined;
  }
}

/**
 * The write-behind buffer both backends share: traces and last-seen times wait here for the next
 * flush; a flush takes them all, and hands them back (bounded, in order) when it fails.
 */
export class WriteBehindBuffer<T> {
  traces: T[] = [];
  seen = new Map<string, string>();
  readonly health: WriteBehindHealth;

  constructor(log: StoreLog | undefined, what: string) {
    this.health = new WriteBehindHealth(log, what);
  }

  get empty(): boolean {
    return this.traces.length === 0 && this.seen.size === 0;
  }

  /** Everything buffered, for one flush (the buffer starts again empty). */
  take(): { traces: T[]; seen: Map<string, string> } {
    const batch = { traces: this.traces, seen: this.seen };
    this.traces = [];
    this.seen = new Map();
    return batch;
  }

  /** The flush of `batch` succeeded. */
  written(): void {
    this.health.succeeded();
  }

  /** The flush of `batch` failed: it goes back in front of what arrived since, bounded. */
  restore(batch: { traces: T[]; seen: Map<string, string> }, err: unknown): void {
    const { kept, dropped } = requeueTraces(batch.traces, this.traces);
    this.traces = kept;
    this.seen = requeueSeen(batch.seen, this.seen);
    this.health.failed(err, kept.length, dropped);
  }
}
