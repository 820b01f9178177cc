// The push service of this process, as configured now. Push settings come from the environment
// (the FENESTRA_WNS_PFN… variables: fixed for the life of the process, the stored ones are not read) or from the
// admin API (stored in the settings table). The session engine and the admin side ask the holder,
// never a PushService kept from start-up:
// * a change through the API in this process takes effect at once (reload after the write);
// * other processes (workers, replicas) read the stored settings again once they are older than
//   the TTL (RELOAD_MS), so they follow a change within that time;
// * a service replaced by a change keeps its pushes in flight to the end, and shutdown waits for
//   them all (idle), bounded.
import type { Logger } from 'pino';
import type { CommandAck, CommandRecord } from '../../domain/command.js';
import type { Store } from '../../store/types.js';
import type { PushService, PushSettings } from './service.js';
import { openStored, parseStored } from './settings.js';

/** How old the stored settings may be before a process reads them again. */
export const RELOAD_MS = 30_000;

export type PushSource = 'env' | 'api' | 'none';

export interface PushHolderDeps {
  store: Store;
  /** From the FENESTRA_WNS_PFN… variables: when set, these and only these. */
  env?: PushSettings;
  providerId: string;
  /** Opens the stored client secret (settings.ts). */
  settingsKey: Buffer;
  build(settings: PushSettings): PushService;
  log: Logger;
  ttlMs?: number;
  now?: () => number;
}

export class PushHolder {
  private service?: PushService;
  /** updatedAt and value of the stored settings the service was built from. */
  private stamp?: string;
  private loadedAt = -Infinity;
  private loading?: Promise<void>;
  /** Replaced services whose pushes may still be in flight. */
  private readonly retired = new Set<PushService>();
  private readonly deps: PushHolderDeps;

  constructor(deps: PushHolderDeps) {
    this.deps = deps;
    if (deps.env) this.service = deps.build(deps.env);
  }

  /** Where the settings in force come from. */
  get source(): PushSource {
    if (this.deps.env) return 'env';
    return this.stamp ? 'api' : 'none';
  }

  /** The environment's settings, when they are the ones in force. */
  get envSettings(): PushSettings | undefined {
    return this.deps.env;
  }

  private now() {
    return this.deps.now?.() ?? Date.now();
  }

  /** The push service in force, undefined when push is off (the stored settings read again once older than the TTL). */
  async current(): Promise<PushService | undefined> {
    if (!this.deps.env && this.now() - this.loadedAt >= (this.deps.ttlMs ?? RELOAD_MS)) await (this.loading ?? this.track(this.load()));
    return this.service;
  }

  /** Read the stored settings now (after this process changed them), after any read already under way. */
  async reload(): Promise<void> {
    if (this.deps.env) return;
    const before = this.loading ?? Promise.resolve();
    await this.track(before.then(() => this.load()));
  }

  /** One read at a time; load() never rejects. */
  private track(p: Promise<void>): Promise<void> {
    this.loading = p;
    void p.finally(() => {
      if (this.loading === p) this.loading = undefined;
    });
    return p;
  }

  private async load(): Promise<void> {
    let row: { value: string; updatedAt: string } | undefined;
    try {
      row = await this.deps.store.push.settings();
    } catch (err) {
      // Keep what is in force; try again after the TTL.
      this.loadedAt = this.now();
      this.deps.log.warn({ err }, 'push settings: store unavailable, keeping the current ones');
      return;
    }
    this.loadedAt = this.now();
    const stamp = row ? `${row.updatedAt}\n${row.value}` : undefined;
    if (stamp === this.stamp) return;
    let next: PushService | undefined;
    if (row) {
      try {
        next = this.deps.build(openStored(parseStored(row.value), this.deps.settingsKey, this.deps.providerId));
      } catch (err) {
        // Sealed under another server secret, or damaged: push is off until an admin sets it again.
        this.deps.log.error({ err: { message: (err as Error).message } }, 'push settings: stored settings unreadable, push is off');
      }
    }
    this.prune();
    if (this.service) this.retired.add(this.service);
    this.service = next;
    this.stamp = stamp;
    this.deps.log.info({ push: next ? 'on' : 'off', source: this.source }, 'push settings loaded');
  }

  private prune() {
    for (const s of this.retired) if (s.busy === 0) this.retired.delete(s);
  }

  // ---- what the session engine and the admin side call --------------------------------------------

  async plan(devicePk: string, at: string, queued: CommandRecord[]): Promise<CommandRecord[]> {
    return (await this.current())?.plan(devicePk, at, queued) ?? [];
  }

  async answered(devicePk: string, acks: CommandAck[], commands: Map<string, CommandRecord>, at: string): Promise<void> {
    await (await this.current())?.answered(devicePk, acks, commands, at);
  }

  /** After a command was queued: push when it is urgent (in the background). */
  commandQueued(cmd: Pick<CommandRecord, 'devicePk' | 'action'>): void {
    void this.current().then((p) => p?.commandQueued(cmd));
  }

  async health(devicePk: string): Promise<Record<string, unknown>> {
    const p = await this.current();
    return p ? p.health(devicePk) : { configured: false };
  }

  /**
   * Shutdown: wait for the pushes in flight, at most `ms`; then end those still waiting on WNS
   * (their outcome recorded as `cancelled`) and wait for that, at most `ms` again. True when
   * every push finished within the first wait.
   */
  async idle(ms: number): Promise<boolean> {
    const all = [...this.retired, ...(this.service ? [this.service] : [])];
    const done = Promise.all(all.map((s) => s.idle()));
    if (await within(done, ms)) return true;
    for (const s of all) s.cancel();
    await within(done, ms);
    return false;
  }
}

async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([p.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
