// Rule 60: the certificate renewal settings (FENESTRA_RENEW_PERIOD_DAYS: RenewPeriod,
// RetryInterval, ROBOSupport) reach enrolled devices when they change. A device holds the values
// of the provisioning document it enrolled with; renewal refuses a device before the server's
// current RenewPeriod (NotEligibleToRenew), so a device left on an older, longer one would try
// and be refused until its window opened. Each such device gets one Atomic of Replaces of
// CertificateStore/My/WSTEP/Renew/* at its next session (protocol/csp/renewal.ts).
//
// What the server knows: since when its current settings apply (settings key 'renewal-settings':
// their hash and the start of the first process that ran them) — a device enrolled since then got
// them in its provisioning document — and per device what it acknowledged or what is on its way
// ('renewal-settings:device:<pk>'). A device enrolled before the settings were first seen (the
// first start of a server with this code included) gets them once. A refused delivery is tried
// again an hour later (setting-delivery.ts, shared with the check-in schedule and the branding).
// Devices found holding the current settings, or waiting to retry them, are remembered per process.
import crypto from 'node:crypto';
import type { CommandRecord } from '../../domain/command.js';
import type { Device } from '../../domain/device.js';
import { type RenewalSettings, renewalSettingsPayload } from '../../protocol/csp/renewal.js';
import type { Store } from '../../store/types.js';
import { newCommand } from '../commands/queue.js';
import { pendingOutcome, quietUntil, Remembered, retryWaiting } from '../setting-delivery.js';

const ACTION = 'renewal-settings';

interface DeviceRenewalState {
  /** The enrollment this state belongs to (a new enrollment's provisioning document set the values anew). */
  enrolledAt: string;
  applied?: string;
  pending?: { hash: string; commandId: string };
  failure?: { hash: string; at: string };
}

function parse<T>(raw: string | undefined): T | undefined {
  try {
    return raw ? (JSON.parse(raw) as T) : undefined;
  } catch {
    return undefined;
  }
}

const renewalSettingsHash = (r: RenewalSettings): string =>
  crypto.createHash('sha256').update(`ROBOSupport=true;RenewPeriod=${r.renewPeriodDays};RetryInterval=${r.retryIntervalDays}`).digest('hex').slice(0, 32);

export class RenewalSettingsDelivery {
  private readonly store: Store;
  private readonly settings: RenewalSettings;
  private readonly hash: string;
  private readonly startedAt: string;
  private since?: Promise<string>;
  /** Devices found holding the current settings (or waiting to retry them), with the enrollment they were found at. */
  private readonly quiet = new Remembered();

  constructor(store: Store, settings: RenewalSettings, startedAt: string) {
    this.store = store;
    this.settings = settings;
    this.hash = renewalSettingsHash(settings);
    this.startedAt = startedAt;
  }

  /** Since when the current settings apply: kept from an earlier process with the same settings, else this process's start. */
  private currentSince(): Promise<string> {
    this.since ??= (async () => {
      const stored = parse<{ hash: string; since: string }>(await this.store.renewalSettings.current());
      if (stored?.hash === this.hash) return stored.since;
      await this.store.renewalSettings.setCurrent(JSON.stringify({ hash: this.hash, since: this.startedAt }), this.startedAt);
      return this.startedAt;
    })().catch((err: unknown) => {
      this.since = undefined;
      throw err;
    });
    return this.since;
  }

  /** Session-engine hook, at the start of a session: the Atomic that brings the device's Renew nodes to the server's settings. */
  async due(device: Device, at: string): Promise<CommandRecord[]> {
    if (this.quiet.has(device.id, device.enrolledAt, at)) return [];
    const since = await this.currentSince();
    const stored = parse<DeviceRenewalState>(await this.store.renewalSettings.deviceState(device.id));
    let state: DeviceRenewalState = stored?.enrolledAt === device.enrolledAt ? stored : { enrolledAt: device.enrolledAt };
    if (!state.applied && device.enrolledAt >= since) state = { ...state, applied: this.hash };
    if (state.pending) {
      const o = await pendingOutcome(this.store, state.pending.commandId, at);
      if (o?.acked) state = { enrolledAt: state.enrolledAt, applied: state.pending.hash };
      else if (o) state = { enrolledAt: state.enrolledAt, applied: state.applied, failure: { hash: state.pending.hash, at } };
    }
    const out: CommandRecord[] = [];
    const waiting = state.pending?.hash === this.hash || retryWaiting(state.failure, this.hash, at);
    if (state.applied !== this.hash && !waiting) {
      if (state.pending) await this.store.commands.cancel(state.pending.commandId, at);
      const cmd = newCommand(device.id, renewalSettingsPayload(this.settings), { origin: 'system', action: ACTION, at });
      out.push(cmd);
      state = { enrolledAt: state.enrolledAt, applied: state.applied, pending: { hash: this.hash, commandId: cmd.id }, failure: state.failure };
    }
    if (JSON.stringify(state) !== JSON.stringify(stored)) await this.store.renewalSettings.putDeviceState(device.id, JSON.stringify(state), at);
    // Nothing to do until the enrollment changes: it holds them, or (until the retry) refused them.
    const until = quietUntil(
      { pending: state.pending, applied: state.applied === undefined ? undefined : { hash: state.applied }, failure: state.failure },
      this.hash,
      at,
    );
    this.quiet.set(device.id, device.enrolledAt, until);
    return out;
  }
}
