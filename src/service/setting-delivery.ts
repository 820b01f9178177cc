// Per-device setting delivery: the one mechanism behind the settings fenestra keeps on each device
// through OMA-DM — the check-in schedule (checkin-schedule.ts), the branding and help contacts
// (branding.ts) and the certificate renewal settings (management/renewal-settings.ts).
//
// Each device has a stored state: the value it acknowledged (`applied`), the command carrying a
// newer one (`pending`) and the last refusal (`failure`), each named by the hash of its value.
// At a session start the pending command's answer is folded in, then the device is brought to
// the wanted value: nothing when it holds it (a queued delivery becoming moot is cancelled), one
// command when it holds another and none is on its way, nothing while a refused delivery of the
// same value waits RETRY_AFTER_MS.
//
// What it costs an idle session: devices found with nothing to do are remembered per process
// (Remembered) with the mark they were found at (the profile generation, which every change of
// these settings moves, and the enrollment): the next session of such a device reads nothing.
// A device whose delivery was refused is remembered the same way until its retry is due.
import type { Store } from '../store/types.js';

/** A delivery the device refused is tried again at its first session this long after. */
export const RETRY_AFTER_MS = 3600_000;
const FINAL_FAILURES = new Set(['failed', 'expired', 'cancelled']);
/** Devices remembered per service instance (bounded: the oldest are forgotten first). */
const REMEMBERED_MAX = 200_000;

/** The part of a device's stored state the mechanism reads: each entry names its value by hash. */
export interface DeliveryState {
  applied?: { hash: string; at: string };
  pending?: { hash: string; commandId: string; at: string };
  failure?: { hash: string; error: string; at: string };
}

type Pending<S extends DeliveryState> = NonNullable<S['pending']>;
type Applied<S extends DeliveryState> = NonNullable<S['applied']>;

/** What the pending delivery's command says now: acknowledged, finally failed, or still on its way (undefined). */
export async function pendingOutcome(
  store: Store,
  commandId: string,
  at: string,
): Promise<{ acked: true; at: string } | { acked: false; error: string; at: string } | undefined> {
  const [c] = await store.management.getCommands([commandId]);
  if (c?.state === 'acked') return { acked: true, at: c.ackedAt ?? c.updatedAt };
  if (!c || FINAL_FAILURES.has(c.state))
    return { acked: false, error: c ? (c.error ?? (c.status ? `status ${c.status}` : c.state)) : 'command lost', at: c?.updatedAt ?? at };
  return undefined;
}

/** Fold the answer of the pending delivery into the state: acknowledged (its value applied, `applied` builds the entry), or failed. */
export async function settlePending<S extends DeliveryState>(
  store: Store,
  state: S,
  at: string,
  applied: (p: Pending<S>, at: string) => Applied<S>,
): Promise<S> {
  const p = state.pending as Pending<S> | undefined;
  if (!p) return state;
  const o = await pendingOutcome(store, p.commandId, at);
  if (!o) return state;
  if (o.acked) return { ...state, applied: applied(p, o.at), pending: undefined, failure: undefined };
  return { ...state, pending: undefined, failure: { hash: p.hash, error: o.error, at: o.at } };
}

/** A refused delivery of `hash` is waiting for its retry at `at`. */
export const retryWaiting = (failure: { hash: string; at: string } | undefined, hash: string, at: string): boolean =>
  failure?.hash === hash && Date.parse(at) - Date.parse(failure.at) < RETRY_AFTER_MS;

/**
 * Bring the (settled) state to the wanted value `hash`. `send` gives the state with the new
 * delivery (its command pushed to `out`), or with the value applied when there is nothing to send.
 */
export async function bringToWanted<S extends DeliveryState>(
  store: Store,
  state: S,
  hash: string,
  at: string,
  send: (state: S) => S,
): Promise<{ state: S; changed: boolean }> {
  if (state.applied?.hash === hash) {
    // Back to what the device holds: a delivery still queued is moot. One already sent stays
    // pending: once it is answered the device may hold it, and the next session corrects that.
    if (state.pending && (await store.commands.cancel(state.pending.commandId, at))) return { state: { ...state, pending: undefined }, changed: true };
    return { state, changed: false };
  }
  if (state.pending?.hash === hash || retryWaiting(state.failure, hash, at)) return { state, changed: false };
  // A newer value replaces one still queued (one already sent is answered first, then this one goes).
  if (state.pending) await store.commands.cancel(state.pending.commandId, at);
  return { state: send(state), changed: true };
}

/**
 * Until when a device in `state` needs nothing for the wanted value `hash`, its mark unchanged:
 * for ever once it holds it with nothing on its way, until the retry while a refusal waits, else
 * not at all (0: something is on its way or due).
 */
export function quietUntil(state: { pending?: object; applied?: { hash: string }; failure?: { hash: string; at: string } }, hash: string, at: string): number {
  if (state.pending) return 0;
  if (state.applied?.hash === hash) return Infinity;
  if (state.failure && retryWaiting(state.failure, hash, at)) return Date.parse(state.failure.at) + RETRY_AFTER_MS;
  return 0;
}

/** Devices found needing nothing, with the mark (generation, enrollment…) they were found at and until when. */
export class Remembered {
  private readonly quiet = new Map<string, { mark: string; until: number }>();

  /** The device needs nothing at `at`: remembered with this mark, and not past its time. */
  has(devicePk: string, mark: string, at: string): boolean {
    const q = this.quiet.get(devicePk);
    return q !== undefined && q.mark === mark && (q.until === Infinity || Date.parse(at) < q.until);
  }

  /** After a session start's decision: remember the device until `until` (0: forget it). */
  set(devicePk: string, mark: string, until: number): void {
    this.quiet.delete(devicePk);
    if (until <= 0) return;
    if (this.quiet.size >= REMEMBERED_MAX) this.quiet.delete(this.quiet.keys().next().value!);
    this.quiet.set(devicePk, { mark, until });
  }
}
