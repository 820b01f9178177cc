// The outbox of compliance reports to Entra ID: rows the compliance evaluation writes in the
// transaction that changes a device's state (compliance_outbox), sent by this worker through
// the reporter. It survives restarts (the rows are the queue; a claim is a lease that runs out
// if its process dies), retries with exponential back-off and jitter (Retry-After honoured,
// capped), and never reports a device twice out of order: per device only the newest pending
// row is sent, one at a time, and never one older than a row already sent (the store's claim).
// It wakes when this process enqueues (notifyComplianceOutbox), when a retry falls due, and
// every pollMs for rows other replicas wrote.
import type { Logger } from 'pino';
import type { ComplianceReport, Store } from '../../store/types.js';
import { GraphClient } from '../entra/graph-client.js';
import { Outbound, type OutboundOptions } from '../entra/outbound.js';
import { EntraAppTokens } from '../entra/token-provider.js';
import { ComplianceReporter, type ReportOutcome } from './reporter.js';

const wakers = new Set<() => void>();

/** Call after committing outbox rows: the workers of this process look for due rows at once. */
export function notifyComplianceOutbox(): void {
  for (const wake of wakers) wake();
}

export interface OutboxSettings {
  /** Look for due rows at least this often (rows of other replicas), ms. Default 5 s. */
  pollMs: number;
  /** How long a claimed row is kept from other claimers: far longer than one report takes. Default 5 min. */
  leaseMs: number;
  /** Rows claimed (and sent concurrently, one per device) per round. Default 20. */
  batch: number;
  /** Back-off of a row's n-th failure: base × 2^(n-1), capped, with jitter (half fixed, half random). Defaults 10 s and 1 h. */
  backoffBaseMs: number;
  backoffCapMs: number;
}

export const DEFAULT_OUTBOX_SETTINGS: OutboxSettings = { pollMs: 5000, leaseMs: 5 * 60_000, batch: 20, backoffBaseMs: 10_000, backoffCapMs: 3_600_000 };

export interface OutboxDeps {
  store: Store;
  reporter: { report(r: ComplianceReport): Promise<ReportOutcome> };
  log: Logger;
  now?: () => Date;
  random?: () => number;
  settings?: Partial<OutboxSettings>;
}

/** When a row that failed for the `attempts`-th time is tried again (ms from now). */
export function retryDelay(
  s: Pick<OutboxSettings, 'backoffBaseMs' | 'backoffCapMs'>,
  attempts: number,
  retryAfterMs: number | undefined,
  random: number,
): number {
  if (retryAfterMs !== undefined) return Math.min(s.backoffCapMs, Math.max(0, retryAfterMs));
  const full = Math.min(s.backoffCapMs, s.backoffBaseMs * 2 ** Math.min(30, Math.max(0, attempts - 1)));
  return Math.round(full / 2 + (full / 2) * random);
}

export class ComplianceOutbox {
  private readonly s: OutboxSettings;
  private readonly now: () => Date;
  private readonly random: () => number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = true;
  private readonly wake = () => this.kick();
  private readonly deps: OutboxDeps;

  constructor(deps: OutboxDeps) {
    this.deps = deps;
    this.s = { ...DEFAULT_OUTBOX_SETTINGS, ...deps.settings };
    this.now = deps.now ?? (() => new Date());
    this.random = deps.random ?? Math.random;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    wakers.add(this.wake);
    this.kick();
  }

  /** No new round; waits up to `drainMs` for the round under way (its rows' leases run out otherwise). */
  async stop(drainMs = 5000): Promise<void> {
    this.stopped = true;
    wakers.delete(this.wake);
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.running) {
      let t: NodeJS.Timeout | undefined;
      await Promise.race([this.running, new Promise<void>((r) => (t = setTimeout(r, drainMs)))]);
      clearTimeout(t);
    }
  }

  /** Look for due rows now (or right after the round under way). Resolves when a round begun after this call is done. */
  kick(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.running) {
      // Another round follows the one under way (it may have read the rows before this kick).
      this.again = true;
      return this.running.then(() => this.running);
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.running = this.rounds()
      .catch((err) => this.deps.log.warn({ err }, 'compliance outbox: a round failed; trying again later'))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          void this.kick();
        } else void this.schedule();
      });
    return this.running;
  }

  private async rounds(): Promise<void> {
    // Most wake-ups find nothing due: a plain read, no claim transaction.
    const due = await this.deps.store.complianceOutbox.nextDue();
    if (!due || Date.parse(due) > this.now().getTime()) return;
    for (;;) {
      this.again = false;
      const now = this.now();
      const rows = await this.deps.store.complianceOutbox.claim(now.toISOString(), new Date(now.getTime() + this.s.leaseMs).toISOString(), this.s.batch);
      if (rows.length === 0 || this.stopped) return;
      await Promise.all(rows.map((r) => this.send(r)));
      if (this.stopped) return;
    }
  }

  private async send(r: ComplianceReport): Promise<void> {
    const store = this.deps.store.complianceOutbox;
    let outcome: ReportOutcome;
    try {
      outcome = await this.deps.reporter.report(r);
    } catch (err) {
      outcome = { kind: 'retry', error: err instanceof Error ? err.message : String(err) };
    }
    const at = this.now();
    const where = { device: r.devicePk, tenant: r.tenantId, report: r.id, attempts: r.attempts };
    switch (outcome.kind) {
      case 'sent':
        await store.sent(r.id, at.toISOString());
        return;
      case 'refused':
        this.deps.log.warn({ ...where, error: outcome.error }, 'compliance outbox: the report was refused');
        await store.refused(r.id, outcome.error, at.toISOString());
        return;
      case 'failed':
        this.deps.log.warn({ ...where, error: outcome.error }, 'compliance outbox: the report cannot be sent');
        await store.failed(r.id, outcome.error, at.toISOString());
        return;
      case 'retry': {
        const delay = retryDelay(this.s, r.attempts, outcome.retryAfterMs, this.random());
        this.deps.log.info({ ...where, error: outcome.error, delayMs: delay }, 'compliance outbox: will try again');
        await store.retry(r.id, new Date(at.getTime() + delay).toISOString(), outcome.error);
      }
    }
  }

  /** The next round: when the earliest pending row falls due, at most pollMs away. */
  private async schedule(): Promise<void> {
    if (this.stopped) return;
    let delay = this.s.pollMs;
    try {
      const due = await this.deps.store.complianceOutbox.nextDue();
      if (due) delay = Math.min(delay, Math.max(0, Date.parse(due) - this.now().getTime()));
    } catch (err) {
      this.deps.log.warn({ err }, 'compliance outbox: could not read when the next report is due');
    }
    if (this.stopped || this.running) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.kick(), delay);
    this.timer.unref();
  }
}

/** The outbox of a server process, with its own way out to Entra and Graph (one try per report). */
export function startComplianceOutbox(o: {
  store: Store;
  outbound?: OutboundOptions;
  /** The tenants' application credentials key (app.ts deriveKey 'tenant-credentials'). */
  sealKey: Buffer;
  log: Logger;
  settings?: Partial<OutboxSettings>;
}): { outbox: ComplianceOutbox; stop(): Promise<void> } {
  const outbound = new Outbound(o.outbound);
  const tokens = new EntraAppTokens({ outbound, sealKey: o.sealKey });
  const graph = new GraphClient({ outbound, tokens, maxAttempts: 1 });
  const reporter = new ComplianceReporter({ graph, tenant: (id) => o.store.tenants.get(id) });
  const outbox = new ComplianceOutbox({ store: o.store, reporter, log: o.log, settings: o.settings });
  outbox.start();
  return {
    outbox,
    async stop() {
      await outbox.stop();
      outbound.close();
    },
  };
}
