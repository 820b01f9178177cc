// Push (WNS): making sure each device has our PFN and reports its channel, and waking devices
// when an urgent command waits for them. The session engine asks `plan` at a session start for
// the commands to add (set the PFN, read ChannelURI and Status) and hands `answered` what the
// device answered; the admin side calls `commandQueued` after queueing a command, and
// `wake` for the manual push. Pushing is always in the background: an admin request never waits
// on WNS; the outcome is recorded on the device (push health) and counted (fenestra_pushes_total).
//
// When the channel is read: at the first session, then at a session start once the last read
// is older than a day while the channel is usable (Windows renews channels, valid 30 days, about
// half-way: a daily read follows it, as the inventory refresh does), at the next session after
// WNS called it gone (410/404), and at most every ten minutes while it is not usable otherwise
// (no channel yet, device error, refused).
import type { Logger } from 'pino';
import type { CommandAck, CommandRecord } from '../../domain/command.js';
import type { PushChannelRecord } from '../../domain/push.js';
import { decrypt, encrypt } from '../../identity/secret-box.js';
import type { Store } from '../../store/types.js';
import { newCommand } from '../commands/queue.js';
import { channelReadPayload, channelRefusal, pfnPayload, readChannel } from './channel.js';
import { WnsClient, type PushResult } from './wns-client.js';

export interface PushSettings {
  pfn: string;
  clientId: string;
  clientSecret: string;
  tokenUrl: string;
  channelHosts: string[];
  providerId: string;
}

export interface PushDeps {
  store: Store;
  settings: PushSettings;
  /** Seals ChannelURIs at rest. */
  sealKey: Buffer;
  log: Logger;
  now?: () => Date;
  /** Counts each push attempt by result (metrics). */
  onResult?: (result: string) => void;
  /** Timeout of each WNS request, ms. */
  timeoutMs?: number;
}

/**
 * Named actions that make the device check in now rather than at its next poll. No `lock`:
 * Windows desktop has no remote lock over MDM (docs/operations.md), the action is refused.
 */
export const URGENT_ACTIONS = new Set(['wipe', 'retire', 'reboot', 'sync']);

const PFN_ACTION = 'push-pfn';
const READ_ACTION = 'push-channel';
const REREAD_USABLE_MS = 24 * 3600_000;
const REREAD_UNUSABLE_MS = 10 * 60_000;
/** WNS channels are valid 30 days from when the device got them (an estimate: devices do not say). */
const CHANNEL_LIFE_MS = 30 * 24 * 3600_000;
const BACKOFF_BASE_MS = 30_000;
const BACKOFF_MAX_MS = 3600_000;

export class PushService {
  private readonly client: WnsClient;
  private readonly inFlight = new Map<string, Promise<PushResult | 'skipped'>>();
  private readonly deps: PushDeps;

  constructor(deps: PushDeps) {
    this.deps = deps;
    const s = deps.settings;
    this.client = new WnsClient({ clientId: s.clientId, clientSecret: s.clientSecret, tokenUrl: s.tokenUrl }, { timeoutMs: deps.timeoutMs });
  }

  private now() {
    return this.deps.now?.() ?? new Date();
  }

  /** Pushes on their way now (to WNS, or their outcome to the store). */
  get busy(): number {
    return this.inFlight.size;
  }

  /** Resolves once no push is in flight (those started meanwhile included). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight.values()]);
  }

  /** Ends the requests to WNS under way (shutdown): their pushes record `cancelled`. */
  cancel(): void {
    this.client.cancel();
  }

  /** Session start: the push commands to add (none while ours are still queued or unanswered). */
  async plan(devicePk: string, at: string, queued: CommandRecord[]): Promise<CommandRecord[]> {
    if (queued.some((c) => c.origin === 'system' && (c.action === PFN_ACTION || c.action === READ_ACTION))) return [];
    const { pfn, providerId } = this.deps.settings;
    const rec = await this.deps.store.push.get(devicePk);
    const age = rec?.reportedAt ? Date.parse(at) - Date.parse(rec.reportedAt) : Infinity;
    const usable = rec?.channelState === 'ok' && rec.pfn === pfn;
    // WNS called the channel gone after the device last reported it: ask for the new one now.
    const goneSinceRead = rec?.channelState === 'gone' && !!rec.lastPushAt && !!rec.reportedAt && rec.lastPushAt > rec.reportedAt;
    if (!goneSinceRead && age < (usable ? REREAD_USABLE_MS : REREAD_UNUSABLE_MS)) return [];
    const out: CommandRecord[] = [];
    if (rec?.pfn !== pfn) out.push(newCommand(devicePk, pfnPayload(providerId, pfn), { origin: 'system', action: PFN_ACTION, at }));
    // One millisecond later: the queue is in creation order, the read after the PFN.
    const readAt = new Date(Date.parse(at) + 1).toISOString();
    out.push(newCommand(devicePk, channelReadPayload(providerId), { origin: 'system', action: READ_ACTION, at: readAt }));
    return out;
  }

  /** What the device answered to our push commands in this message: recorded on the device. Never throws (the session goes on). */
  async answered(devicePk: string, acks: CommandAck[], commands: Map<string, CommandRecord>, at: string): Promise<void> {
    try {
      let pfnSet: string | undefined;
      let read: { channel?: string; status?: number } | undefined;
      for (const a of acks) {
        const c = commands.get(a.commandId);
        if (c?.origin !== 'system') continue;
        if (c.action === PFN_ACTION && a.state === 'acked') pfnSet = a.requeueAs ? undefined : c.payload.items?.[0]?.data;
        if (c.action === READ_ACTION && (a.state === 'acked' || a.state === 'failed')) read = readChannel(a.results, this.deps.settings.providerId);
      }
      if (pfnSet === undefined && read === undefined) return;
      const rec: PushChannelRecord = (await this.deps.store.push.get(devicePk)) ?? { devicePk, channelState: 'none', failures: 0, updatedAt: at };
      if (pfnSet !== undefined) rec.pfn = pfnSet;
      if (read) this.applyRead(rec, read, at);
      rec.updatedAt = at;
      await this.deps.store.push.put(rec);
    } catch (err) {
      this.deps.log.error({ err, device: devicePk }, 'push: recording the channel failed');
    }
  }

  private applyRead(rec: PushChannelRecord, read: { channel?: string; status?: number }, at: string): void {
    const previous = rec.sealedChannel ? this.open(rec.sealedChannel) : undefined;
    rec.reportedAt = at;
    rec.deviceStatus = read.status;
    if (!read.channel) {
      rec.channelState = read.status !== undefined && read.status !== 0 ? 'device-error' : 'none';
      rec.sealedChannel = rec.channelHost = rec.expiresAt = undefined;
      return;
    }
    const refusal = channelRefusal(read.channel, this.deps.settings.channelHosts);
    rec.channelHost = hostOf(read.channel);
    if (refusal) {
      // Never stored nor contacted; the admin sees why.
      this.deps.log.warn({ device: rec.devicePk, reason: refusal }, 'push: ChannelURI refused');
      rec.channelState = 'refused';
      rec.sealedChannel = rec.expiresAt = undefined;
      rec.lastResult = `refused: ${refusal}`;
      return;
    }
    const same = previous === read.channel;
    if (!same) {
      rec.sealedChannel = encrypt(read.channel, this.deps.sealKey);
      rec.expiresAt = new Date(Date.parse(at) + CHANNEL_LIFE_MS).toISOString();
      rec.failures = 0;
      rec.backoffUntil = undefined;
    }
    if (read.status !== undefined && read.status !== 0) rec.channelState = 'device-error';
    // The channel WNS called gone stays gone until the device reports another one.
    else if (same && rec.channelState === 'gone') rec.channelState = 'gone';
    else rec.channelState = 'ok';
  }

  private open(sealed: string): string | undefined {
    try {
      return decrypt(sealed, this.deps.sealKey);
    } catch {
      return undefined;
    }
  }

  /** Why this device cannot be woken now (undefined: it can). */
  unusable(rec: PushChannelRecord | undefined): string | undefined {
    if (!rec || rec.channelState === 'none' || !rec.reportedAt) return 'the device has not reported a push channel yet';
    if (rec.channelState === 'refused') return `the device's ChannelURI was refused (${rec.lastResult ?? 'not an allowed host'})`;
    if (rec.channelState === 'gone') return 'WNS said the channel is gone; waiting for the device to report a new one';
    if (rec.channelState === 'device-error') return `the device reports push status ${rec.deviceStatus ?? '?'} (DMClient Push/Status)`;
    if (!rec.sealedChannel) return 'no channel stored';
    // A channel registered for another PFN: WNS would refuse our credentials (403).
    if (rec.pfn !== this.deps.settings.pfn) return 'the device has not taken the current PFN yet (at its next check-in)';
    return undefined;
  }

  /** After a command was queued: push when it is urgent. */
  commandQueued(cmd: Pick<CommandRecord, 'devicePk' | 'action'>): void {
    if (cmd.action && URGENT_ACTIONS.has(cmd.action)) this.wake(cmd.devicePk, cmd.action);
  }

  /** Push in the background; the outcome is recorded. A push already on its way to the device covers this one. */
  wake(devicePk: string, reason: string): void {
    void this.push(devicePk, reason);
  }

  /** One push to the device (coalesced with one in flight); resolves to its result, never rejects. */
  push(devicePk: string, reason: string): Promise<PushResult | 'skipped'> {
    const running = this.inFlight.get(devicePk);
    if (running) return running;
    const p = this.pushNow(devicePk, reason)
      .catch((err: unknown) => {
        this.deps.log.error({ err, device: devicePk }, 'push failed');
        return 'error' as const;
      })
      .finally(() => this.inFlight.delete(devicePk));
    this.inFlight.set(devicePk, p);
    return p;
  }

  private async pushNow(devicePk: string, reason: string): Promise<PushResult | 'skipped'> {
    const { store, log } = this.deps;
    const rec = await store.push.get(devicePk);
    const why = this.unusable(rec);
    const now = this.now();
    if (why || !rec) {
      log.debug({ device: devicePk, reason, why }, 'push skipped');
      this.deps.onResult?.('no-channel');
      return 'skipped';
    }
    if (rec.backoffUntil && Date.parse(rec.backoffUntil) > now.getTime()) {
      log.info({ device: devicePk, reason, until: rec.backoffUntil }, 'push skipped: backing off');
      this.deps.onResult?.('backoff');
      return 'skipped';
    }
    const channel = this.open(rec.sealedChannel!);
    // Checked again: the allowed hosts may have changed since the device reported it.
    if (!channel || channelRefusal(channel, this.deps.settings.channelHosts)) {
      this.deps.onResult?.('no-channel');
      return 'skipped';
    }
    const out = await this.client.send(channel);
    const at = this.now();
    const cur = (await store.push.get(devicePk)) ?? rec;
    // The device reported another channel meanwhile: this outcome is not its health.
    if (cur.sealedChannel !== rec.sealedChannel) return out.result;
    cur.lastPushAt = at.toISOString();
    cur.lastResult = out.result + (out.status && out.result !== 'sent' ? ` (${out.status})` : '');
    // A push cut by our own shutdown (cancelled) says nothing about the channel: no failure, no backoff.
    if (out.result === 'sent') {
      cur.failures = 0;
      cur.backoffUntil = undefined;
    } else if (out.result !== 'cancelled') {
      cur.failures += 1;
      if (out.result === 'gone') cur.channelState = 'gone';
      const wait = out.retryAfterMs ?? Math.min(BACKOFF_BASE_MS * 2 ** Math.min(cur.failures - 1, 10), BACKOFF_MAX_MS);
      cur.backoffUntil = new Date(at.getTime() + Math.min(wait, BACKOFF_MAX_MS)).toISOString();
    }
    cur.updatedAt = at.toISOString();
    await store.push.put(cur);
    const level = out.result === 'sent' ? 'info' : 'warn';
    log[level]({ device: devicePk, reason, result: out.result, status: out.status, detail: out.detail }, 'push');
    this.deps.onResult?.(out.result);
    return out.result;
  }

  /** Push health for the device detail (what an admin needs, never the channel itself). */
  async health(devicePk: string) {
    const rec = await this.deps.store.push.get(devicePk);
    return {
      configured: true,
      channel: rec?.channelState ?? 'none',
      channelHost: rec?.channelHost ?? null,
      deviceStatus: rec?.deviceStatus ?? null,
      reportedAt: rec?.reportedAt ?? null,
      expiresAt: rec?.expiresAt ?? null,
      lastPushAt: rec?.lastPushAt ?? null,
      lastResult: rec?.lastResult ?? null,
      consecutiveFailures: rec?.failures ?? 0,
      backoffUntil: rec?.backoffUntil ?? null,
      usable: this.unusable(rec) === undefined,
    };
  }
}

function hostOf(uri: string): string | undefined {
  try {
    return new URL(uri).host.slice(0, 255);
  } catch {
    return undefined;
  }
}
