// Revoking a device from the server side (POST /api/v1/devices/:id/revoke), and what becomes of
// the devices of a disconnected tenant.
//
// Revoking at once marks the device unenrolled, revokes its certificates (management and
// renewal are refused from the next request on), cancels its queue and drops its sessions. It
// also releases the record: the next enrollment of that DeviceID, by anyone, gets a fresh record
// that inherits nothing. Revoking "after wipe/retire" queues that action first and revokes once
// the device has answered it (acknowledged or failed) or at the deadline, whichever comes first
// — revoking at once would keep the wipe from ever being delivered. Due revocations are carried
// out by the periodic maintenance (runDueRevocations).
import type { Store } from '../store/types.js';
import type { AuditEntry } from '../domain/audit.js';
import type { CommandRecord } from '../domain/command.js';
import { ApiError, invalid, notFound } from './errors.js';
import { newCommand } from './commands/queue.js';
import { actionPayload } from './management/commands.js';

export interface RevokeInput {
  /** Queue this action first; revoke once it is answered, or at the deadline. */
  after?: 'wipe' | 'retire';
  /** With `after`: revoke at the latest this many hours from now (default 72). */
  deadlineHours?: number;
}

export const DEFAULT_REVOKE_DEADLINE_HOURS = 72;
const MAX_DEADLINE_HOURS = 24 * 30;

const entry = (actor: string, action: string, devicePk: string, at: string, detail?: Record<string, unknown>): AuditEntry => ({
  at,
  actor,
  action,
  targetType: 'device',
  targetId: devicePk,
  detail,
});

/** Carry out the revocations that are due (their command answered, or the deadline passed): periodic maintenance. */
export async function runDueRevocations(store: Store, now: Date): Promise<number> {
  const at = now.toISOString();
  let n = 0;
  for (const pk of await store.enrollments.revocationsDue(at, 500)) {
    if (await store.enrollments.revoke(pk, at, 'revoked by an administrator', entry('system', 'device.revoke', pk, at, { pending: true }))) n++;
  }
  return n;
}

export class DeviceRevocationService {
  private readonly store: Store;
  private readonly providerId: string;
  private readonly now: () => Date;
  private readonly queued?: (cmd: CommandRecord) => void;
  constructor(
    store: Store,
    providerId: string,
    now: () => Date = () => new Date(),
    /** Told of the wipe/retire once queued (push wakes the device). */
    queued?: (cmd: CommandRecord) => void,
  ) {
    this.store = store;
    this.providerId = providerId;
    this.now = now;
    this.queued = queued;
  }

  async revoke(id: string, input: RevokeInput, actor: string) {
    const d = (await this.store.devices.get(id)) ?? (await this.store.devices.getByDeviceId(id));
    if (!d) throw notFound('device');
    if (d.state !== 'enrolled') throw new ApiError(409, 'conflict', 'the device is not enrolled');
    const now = this.now();
    const at = now.toISOString();
    if (input.after === undefined) {
      if (input.deadlineHours !== undefined) throw invalid('/deadlineHours', 'a deadline goes with "after"');
      if (!(await this.store.enrollments.revoke(d.id, at, 'revoked by an administrator', entry(actor, 'device.revoke', d.id, at)))) {
        throw new ApiError(409, 'conflict', 'the device is not enrolled');
      }
      return { id: d.id, deviceId: d.deviceId, state: 'unenrolled' as const, revokedAt: at };
    }
    if (input.after !== 'wipe' && input.after !== 'retire') throw invalid('/after', 'after must be wipe or retire');
    const hours = input.deadlineHours ?? DEFAULT_REVOKE_DEADLINE_HOURS;
    if (!Number.isFinite(hours) || hours <= 0 || hours > MAX_DEADLINE_HOURS)
      throw invalid('/deadlineHours', `must be more than 0 and at most ${MAX_DEADLINE_HOURS}`);
    const deadline = new Date(now.getTime() + hours * 3_600_000).toISOString();
    const cmd = newCommand(d.id, actionPayload(input.after, this.providerId), { origin: 'admin', action: input.after, at, expiresAt: deadline });
    await this.store.commands.enqueue(cmd);
    const audit = entry(actor, 'device.revoke.pending', d.id, at, { after: input.after, command: cmd.id, deadline });
    if (!(await this.store.enrollments.revokeAfter(d.id, cmd.id, deadline, at, audit))) {
      await this.store.commands.cancel(cmd.id, at);
      throw new ApiError(409, 'conflict', 'the device is not enrolled');
    }
    this.queued?.(cmd);
    return { id: d.id, deviceId: d.deviceId, state: 'enrolled' as const, revokeAfter: { action: input.after, command: cmd.id, deadline } };
  }

  /** Revoke every enrolled device of a tenant (its disconnection with revokeDevices). */
  async revokeTenantDevices(tenantId: string, actor: string): Promise<number> {
    const at = this.now().toISOString();
    let n = 0;
    for (const pk of await this.store.enrollments.devicesOfTenant(tenantId)) {
      const audit = entry(actor, 'device.revoke', pk, at, { tenantDisconnected: tenantId });
      if (await this.store.enrollments.revoke(pk, at, 'tenant disconnected', audit)) n++;
    }
    return n;
  }
}
